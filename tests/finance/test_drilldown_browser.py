"""In a real browser (headless Chromium): a finance user opens the snapshot page, opens a month's
revenue, sees its payments, downloads the CSV and follows a row to the sandbox's transaction page."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.db import connections

from finance.models import QuickBooksConnection
from finance.quickbooks.pull import sync_connection
from tests import qbo
from tests.browser import SCREENSHOTS, log_in
from tests.finance.qbo_books import Books

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_user_drills_into_revenue_downloads_csv_and_opens_the_payment_in_quickbooks(
    client, admin_user, finance_user, entity, local_quickbooks, live_server, chromium
):
    client.force_login(admin_user)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Browser Books", today="2025-06-15"))
    invoice = books.invoice("2025-04-02", "900.00")
    books.payment("2025-05-06", (invoice, "400.00"))
    books.payment("2025-05-20", (invoice, "250.00"))
    qbo.connect(client, entity, books.realm)
    sync_connection(
        connection=QuickBooksConnection.objects.get(entity=entity), trigger="manual", today=date(2025, 6, 15)
    )

    try:
        page = chromium.new_page(accept_downloads=True)
        page.set_default_timeout(20_000)
        log_in(page, live_server.url, finance_user, f"/finance/entities/{entity.pk}/snapshots/")

        page.click(f"a[href='/finance/entities/{entity.pk}/snapshots/2025-05/revenue/']")
        page.wait_for_selector("#sources")
        rows = page.locator("#sources tbody tr")
        assert rows.count() == 2
        assert "400.00" in rows.nth(0).inner_text() and "250.00" in rows.nth(1).inner_text()
        assert page.inner_text("#rows-total") == "USD 650.00"
        number = local_quickbooks.sandbox.read_entity(books.realm, "Invoice", invoice)["DocNumber"]
        assert f"Invoice {number}" in rows.nth(0).inner_text()  # the paid invoice by its own number
        assert page.inner_text("#sources thead").lower().count("no.") == 2
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "drilldown.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("#download-csv")
        download = download_info.value
        assert download.suggested_filename.endswith("-2025-05-revenue.csv")
        lines = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
        assert [line["home_amount"] for line in lines] == ["400.00", "250.00"]

        page.click("#sources tbody tr:first-child a.qb-link")
        page.wait_for_url(f"{local_quickbooks.sandbox.url}/app/recvpayment?*")
        assert "Payment" in page.inner_text("h1")
        assert "Browser Books" in page.inner_text("main")
        assert "400" in page.inner_text("main")
    finally:
        # ORM calls made while Playwright runs get their own database connection: close it here.
        connections.close_all()
