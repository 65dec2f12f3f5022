"""In a real browser (headless Chromium), at 1280 and 375 px: an admin opens the push settings of the
Swiss entity, whose QuickBooks company refuses lines without a tax code, and chooses MWST 8.1%; a
salesperson who was told to ask an admin then pushes a CHF sale and sees the invoice with its VAT.
No page reports a Content-Security-Policy violation."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

from tests import qbo
from tests.browser import SCREENSHOTS, log_in
from tests.builders import make_client, make_entity, make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def no_violations(page) -> None:
    assert page.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize("width", [1280, 375])
def test_admin_chooses_the_tax_code_and_a_salesperson_pushes_a_swiss_sale(
    client, company, admin_user, sales_user, local_quickbooks, live_server, chromium, width
):
    swiss = make_entity(company, "SoftInWay Switzerland", "CHF", "Europe/Zurich")
    client.force_login(admin_user)
    qbo.connect(client, swiss, local_quickbooks.realm(name="SoftInWay Switzerland AG", currency="CHF"))
    sale = make_sale(
        swiss,
        sales_user,
        client=make_client(company, "Zürich Präzision AG"),
        name="Compressor redesign",
        currency="CHF",
        amount=Decimal("48200.00"),
        amount_usd=Decimal("54300.00"),
        signed_date=date(2026, 2, 20),
    )
    base, sale_path = live_server.url, f"/sales/{sale.pk}/"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        context = chromium.new_context(viewport={"width": width, "height": 900})
        context.add_init_script(RECORD_VIOLATIONS)
        seller = context.new_page()
        seller.set_default_timeout(20_000)
        log_in(seller, base, sales_user, sale_path)
        blocker = seller.inner_text(".qb-push-blocker")
        assert "Ask an admin to choose the tax code for SoftInWay Switzerland" in blocker
        assert seller.locator("text=Push as QB invoice").count() == 0
        no_violations(seller)
        seller.screenshot(path=str(SCREENSHOTS / f"push-swiss-needs-tax-code-{width}.png"), full_page=True)
        context.clear_cookies()

        admin = context.new_page()
        admin.set_default_timeout(20_000)
        log_in(admin, base, admin_user, sale_path)
        admin.click("text=Open the push settings of SoftInWay Switzerland")
        admin.wait_for_selector("#push-settings form")
        admin.select_option("select[name=item]", label="Services")
        admin.select_option("select[name=tax_code]", label="MWST 8.1% (8.1%)")
        admin.select_option("select[name=amounts_include_tax]", value="0")
        admin.screenshot(path=str(SCREENSHOTS / f"push-settings-{width}.png"), full_page=True)
        admin.click("text=Save push settings")
        admin.wait_for_selector(".msg-success")
        assert "Push settings of SoftInWay Switzerland saved." in admin.inner_text(".messages")
        no_violations(admin)
        context.clear_cookies()

        log_in(seller, base, sales_user, sale_path)
        assert "CHF 48,200.00 (before tax: QuickBooks adds MWST 8.1%)" in seller.inner_text("#quickbooks")
        seller.click("text=Push as QB invoice")
        seller.wait_for_selector(".qb-invoice-number")
        sale.refresh_from_db()
        assert seller.inner_text(".qb-invoice-number") == sale.qb_invoice_number
        box = seller.inner_text("#quickbooks")
        assert "CHF 52,104.20" in box  # 48,200.00 + 8.1% VAT (3,904.20)
        assert "Open · CHF 52,104.20 due" in box
        no_violations(seller)
        seller.screenshot(path=str(SCREENSHOTS / f"push-swiss-sale-{width}.png"), full_page=True)
        context.close()
    finally:
        # ORM calls made while Playwright runs get their own database connection: close it here.
        connections.close_all()
