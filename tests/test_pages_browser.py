"""In a real browser (headless Chromium), at 1280×800 and 375×812: every main page fits a phone's width
(the body never scrolls sideways; wide tables scroll in their own box; the navigation sits behind a
Menu button), Sync now disables itself at once and shows Syncing… while QuickBooks is slow (a
double click makes one run), then the card shows the result; a 403 keeps the navigation and the
reason. Screenshots land in artifacts/screenshots/."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from finance.models import QuickBooksConnection, SyncRun
from finance.quickbooks.pull import sync_connection
from tests import qbo
from tests.browser import SCREENSHOTS, log_in
from tests.builders import make_client, make_sale, make_snapshot
from tests.finance.qbo_books import Books

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}


def sideways_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_main_pages_fit_a_phone_and_a_desktop(
    client, admin_user, sales_user, entity, local_quickbooks, live_server, chromium
):
    client.force_login(admin_user)
    today = timezone.localdate(timezone=entity.zone)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Pages Books Incorporated"))
    books.invoice(today.isoformat(), "1250.00")
    qbo.connect(client, entity, books.realm)
    sync_connection(connection=QuickBooksConnection.objects.get(entity=entity), trigger="manual")
    for month in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)):
        make_snapshot(entity, month, revenue=Decimal("120000") * month.month, expenses=Decimal("70000.55"),
                      ar_balance=Decimal("900000"), ap_balance=Decimal("300000"))  # fmt: skip
    sale = make_sale(entity, sales_user, client=make_client(entity.company, "Turbomachinery Consulting Group GmbH"),
                     name="Turbine design study for a very long project name")  # fmt: skip
    pages = {
        "overview": reverse("home"),
        "sales": reverse("sales:list"),
        "sale": reverse("sales:detail", args=[sale.pk]),
        "sale-new": reverse("sales:create"),
        "sale-edit": reverse("sales:edit", args=[sale.pk]),
        "clients": reverse("sales:clients"),
        "client-new": reverse("sales:client_create"),
        "snapshots-home": reverse("finance:home"),
        "snapshots": reverse("finance:snapshots", args=[entity.pk]),
        "snapshot-edit": reverse("finance:snapshot_edit", args=[entity.pk, "2026-02"]),
        "drilldown": reverse("finance:figure_sources", args=[entity.pk, f"{today:%Y-%m}", "ar_balance"]),
        "quickbooks": reverse("finance:qb"),
        "sync-log": reverse("finance:qb_log"),
        "settings": reverse("settings"),
        "not-found": "/finance/entities/999999/snapshots/",
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        for size, viewport in SIZES.items():
            context = chromium.new_context(viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(20_000)
            log_in(page, live_server.url, admin_user)
            for name, path in pages.items():
                page.goto(live_server.url + path)
                page.wait_for_load_state("load")
                assert sideways_overflow(page) <= 0, f"{name} scrolls sideways at {viewport['width']} px"
                page.screenshot(path=str(SCREENSHOTS / f"page-{name}-{size}.png"), full_page=True)
            if size == "phone":
                page.goto(live_server.url + reverse("finance:qb"))
                assert not page.locator("#mainnav").is_visible()
                page.click(".menu-button")
                assert page.locator("#mainnav a:has-text('QuickBooks')").is_visible()
                assert page.locator("button:has-text('Log out')").is_visible()
                page.screenshot(path=str(SCREENSHOTS / "page-menu-phone.png"), full_page=True)
                sync = page.locator(f"#entity-{entity.pk} button:has-text('Sync now')").bounding_box()
                assert sync is not None and sync["x"] + sync["width"] <= 375
            context.close()
    finally:
        connections.close_all()


def test_sync_now_shows_progress_takes_one_click_and_updates_the_card(
    client, admin_user, finance_user, entity, local_quickbooks, live_server, chromium
):
    client.force_login(admin_user)
    today = timezone.localdate(timezone=entity.zone)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Slow Books"))
    books.invoice(today.isoformat(), "100.00")
    qbo.connect(client, entity, books.realm)
    try:
        for size, viewport in SIZES.items():
            local_quickbooks.sandbox.inject_fault(books.realm, "hang", seconds=1.5)  # QuickBooks answers slowly
            context = chromium.new_context(viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(20_000)
            log_in(page, live_server.url, finance_user, reverse("finance:qb"))
            button = page.locator(f"#entity-{entity.pk} button:has-text('Sync now')")
            button.click()
            busy = page.locator(f"#entity-{entity.pk} button[disabled]")
            busy.wait_for(timeout=1_000)
            assert busy.inner_text() == "Syncing…"
            page.screenshot(path=str(SCREENSHOTS / f"qb-syncing-{size}.png"), full_page=True)
            page.locator(f"#entity-{entity.pk} .msg-success").wait_for(timeout=15_000)
            card = page.inner_text(f"#entity-{entity.pk}")
            assert "synced from QuickBooks" in card and "connected" in card
            assert page.locator(f"#entity-{entity.pk} button:has-text('Sync now')").is_enabled()
            page.screenshot(path=str(SCREENSHOTS / f"qb-synced-{size}.png"), full_page=True)
            context.close()
        assert SyncRun.objects.filter(entity=entity, direction="pull", trigger="manual").count() == 2
    finally:
        connections.close_all()


def test_a_double_click_on_sync_now_makes_one_run(client, admin_user, entity, local_quickbooks, live_server, chromium):
    client.force_login(admin_user)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Double Books"))
    qbo.connect(client, entity, books.realm)
    local_quickbooks.sandbox.inject_fault(books.realm, "hang", seconds=1.0)
    try:
        page = chromium.new_page()
        page.set_default_timeout(20_000)
        log_in(page, live_server.url, admin_user, reverse("finance:qb"))
        page.dblclick(f"#entity-{entity.pk} button:has-text('Sync now')")
        page.locator(f"#entity-{entity.pk} .msg-success").wait_for(timeout=15_000)
        page.wait_for_timeout(300)
        assert SyncRun.objects.filter(entity=entity, direction="pull").count() == 1
    finally:
        connections.close_all()


def test_a_403_keeps_the_navigation_and_the_reason(sales_user, live_server, chromium):
    try:
        page = chromium.new_page(viewport=SIZES["phone"])
        log_in(page, live_server.url, sales_user, reverse("sales:list"))
        response = page.goto(live_server.url + reverse("finance:qb"))
        assert response is not None and response.status == 403
        assert "Your role does not allow this page." in page.inner_text("#error-page")
        assert sideways_overflow(page) <= 0
        page.click(".menu-button")
        assert page.locator("#mainnav a:has-text('Sales')").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "page-403-phone.png"), full_page=True)
    finally:
        connections.close_all()
