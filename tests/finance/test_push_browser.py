"""In a real browser (headless Chromium): a salesperson logs in, opens a closed sale, clicks Push as
QB invoice and sees the invoice number. The Django server pushes to the local sandbox over HTTP."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

from tests import qbo
from tests.browser import SCREENSHOTS, log_in
from tests.builders import make_client, make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_salesperson_pushes_a_closed_sale_and_sees_the_invoice_number(
    client, admin_user, sales_user, entity, local_quickbooks, live_server, chromium
):
    client.force_login(admin_user)
    qbo.connect(client, entity, local_quickbooks.realm(name="SoftInWay Inc", currency="USD"))
    sale = make_sale(
        entity,
        sales_user,
        client=make_client(entity.company, "O'Brien Zürich AG"),
        name="Compressor redesign",
        amount_usd=Decimal("48200.00"),
        signed_date=date(2026, 2, 20),
    )

    try:
        page = chromium.new_page()
        page.set_default_timeout(20_000)
        log_in(page, live_server.url, sales_user, f"/sales/{sale.pk}/")
        page.click("text=Push as QB invoice")
        page.wait_for_selector(".qb-invoice-number")

        sale.refresh_from_db()
        assert sale.qb_invoice_number
        assert page.inner_text(".qb-invoice-number") == sale.qb_invoice_number
        assert f"pushed to QuickBooks as invoice {sale.qb_invoice_number}" in page.inner_text(".messages")
        assert page.locator("text=Push as QB invoice").count() == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "push-sale.png"), full_page=True)
    finally:
        # ORM calls made while Playwright runs get their own database connection: close it here.
        connections.close_all()
