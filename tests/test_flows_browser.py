"""The cockpit's flows in a real browser (headless Chromium, one per module), at 1280×800 and 375×812,
with screenshots: connecting an entity to a QuickBooks company of another currency connects nothing
and changes no figure; a pushed sale's amount change asks first and the sale then shows it differs
from its invoice; the snapshot table tells each figure's source and the chart gives hover values
with the currency."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from finance.models import MonthlySnapshot, QuickBooksConnection
from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, log_in
from tests.builders import make_client, make_entity, make_sale, make_snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's tests."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture(autouse=True)
def _close_connections():
    yield
    connections.close_all()  # ORM calls made while Playwright runs get their own database connection


def logged_in(browser, live_server, user, size, path):
    """A new browser window of ``size`` where ``user`` has logged in and opened ``path``."""
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, live_server.url, user, path)
    return context, page


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", SIZES)
def test_connecting_a_chf_entity_to_a_usd_company_connects_nothing(
    browser, live_server, admin_user, company, local_quickbooks, size, settings
):
    settings.SITE_URL = live_server.url  # QuickBooks' consent page sends the browser back here
    swiss = make_entity(company, "SoftInWay Switzerland", "CHF", "Europe/Zurich")
    make_snapshot(swiss, date(2026, 11, 1), revenue=Decimal("81000.00"))
    usd = local_quickbooks.realm(name="SoftInWay Inc", currency="USD")
    local_quickbooks.realm(name="SoftInWay AG", currency="CHF")
    before = list(MonthlySnapshot.objects.filter(entity=swiss).values_list())
    context, page = logged_in(browser, live_server, admin_user, size, reverse("finance:qb"))
    page.click(f"#entity-{swiss.pk} button:has-text('Connect to QuickBooks')")
    page.wait_for_selector("input[name=realm_id]")
    page.check(f"input[name=realm_id][value='{usd}']")
    page.click("button.approve")
    page.wait_for_url(f"{live_server.url}/finance/qb*")
    message = page.inner_text(".messages")
    assert "SoftInWay Switzerland keeps its books in CHF" in message and "keeps them in USD" in message
    assert "nothing was connected" in message
    assert "not connected" in page.inner_text(f"#entity-{swiss.pk} .badge")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"flow-wrong-company-{size}.png"), full_page=True)
    context.close()
    assert not QuickBooksConnection.objects.filter(entity=swiss).exists()
    assert list(MonthlySnapshot.objects.filter(entity=swiss).values_list()) == before


@pytest.mark.parametrize("size", SIZES)
def test_a_pushed_sales_amount_change_asks_first_then_shows_it_differs(
    browser, live_server, entity, sales_user, size
):
    QuickBooksConnection.objects.create(
        entity=entity, company=entity.company, status="connected", realm_id="9130", environment="sandbox",
        qb_home_currency="USD",
    )  # fmt: skip
    sale = make_sale(entity, sales_user, client=make_client(entity.company, "Helix Pumps"), name="Turbine study",
                     amount=Decimal("100.00"), amount_usd=Decimal("100.00"), qb_realm_id="9130",
                     qb_invoice_id="107", qb_invoice_number="1073")  # fmt: skip
    context, page = logged_in(browser, live_server, sales_user, size, reverse("sales:list"))
    link = page.locator("a.qb-invoice-link")
    assert link.inner_text() == "Invoice 1073" and "txnId=107" in link.get_attribute("href")
    assert no_sideways_scroll(page)
    page.goto(live_server.url + reverse("sales:edit", args=[sale.pk]))
    page.fill("input[name=amount]", "99999")
    page.fill("input[name=amount_usd]", "99999")
    page.click("button[type=submit]")
    warning = page.inner_text("#pushed-warning")
    assert "already in QuickBooks as invoice 1073" in warning and "QuickBooks keeps the invoice as it is" in warning
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"flow-pushed-sale-warning-{size}.png"), full_page=True)
    page.click("button:has-text('Save anyway')")
    page.wait_for_url(f"{live_server.url}{reverse('sales:detail', args=[sale.pk])}")
    assert "Differs from QuickBooks invoice 1073" in page.inner_text("#differs")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"flow-pushed-sale-differs-{size}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_snapshot_table_tells_sources_and_the_chart_gives_values(browser, live_server, entity, finance_user, size):
    current = timezone.localdate(timezone=entity.zone).replace(day=1)
    for back in range(6):
        month = date(current.year + (current.month - 1 - back) // 12, (current.month - 1 - back) % 12 + 1, 1)
        make_snapshot(entity, month, revenue=Decimal("104215.37") + back, ar_balance=Decimal("208429.10"))
    context, page = logged_in(browser, live_server, finance_user, size, reverse("finance:snapshots", args=[entity.pk]))
    assert "OPEN AR · USD" in page.inner_text("#snapshots thead").upper()
    assert "to date" in page.inner_text(f"#month-{current:%Y-%m}")
    assert "Entered by hand: replaced at the next sync" in page.inner_text(f"#month-{current:%Y-%m}")
    ticks = page.locator(".chart .ylabel").all_text_contents()
    assert ticks == ["USD", "0", "100k", "200k", "300k"]  # round ticks (the data reach 208,429.10)
    titles = page.locator(".chart circle title").all_text_contents()
    assert f"Revenue, {current:%B %Y} (to date): USD 104,215.37" in titles
    assert page.locator(".chart polyline.partial").count() == 4
    page.hover(".chart circle >> nth=0")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"flow-snapshots-{size}.png"), full_page=True)
    context.close()


def consent(page, realm):
    page.wait_for_selector("input[name=realm_id]")
    page.check(f"input[name=realm_id][value='{realm}']")
    page.click("button.approve")


@pytest.mark.parametrize("size", SIZES)
def test_switching_an_entity_to_another_company_asks_first_and_is_logged(
    browser, live_server, admin_user, entity, local_quickbooks, size, settings
):
    settings.SITE_URL = live_server.url
    first = local_quickbooks.realm(name="SoftInWay Inc", currency="USD")
    second = local_quickbooks.realm(name="SoftInWay Holdings LLC", currency="USD")
    context, page = logged_in(browser, live_server, admin_user, size, reverse("finance:qb"))
    page.click(f"#entity-{entity.pk} button:has-text('Connect to QuickBooks')")
    consent(page, first)
    page.wait_for_url(f"{live_server.url}/finance/qb*")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#entity-{entity.pk} button:has-text('Disconnect')")
    page.wait_for_load_state("load")
    page.click(f"#entity-{entity.pk} button:has-text('Connect to QuickBooks')")
    consent(page, second)
    page.wait_for_selector("#switch-confirm")
    text = page.inner_text("#switch-confirm")
    assert "Nothing was connected yet" in text and "“SoftInWay Inc”" in text and "“SoftInWay Holdings LLC”" in text
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"flow-switch-confirm-{size}.png"), full_page=True)
    page.click("button:has-text('Switch to')")
    consent(page, second)
    page.wait_for_url(f"{live_server.url}/finance/qb*")
    assert "SoftInWay Holdings LLC" in page.inner_text(f"#entity-{entity.pk}")
    page.goto(live_server.url + reverse("finance:qb_log"))
    assert "Switched from QuickBooks company “SoftInWay Inc”" in page.inner_text("#sync-log-table")
    context.close()
