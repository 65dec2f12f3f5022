"""In a real browser (headless Chromium): every main page arrives with its Content-Security-Policy and
loads without a single violation (no inline script, style attribute or event handler), the chart keeps
its coloured keys, the Disconnect button still asks first, and a locked-out log-in shows its page."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse

from tests import qbo
from tests.browser import SCREENSHOTS
from tests.builders import PASSWORD, make_client, make_sale, make_snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records every violation the page reports, whatever its kind (script, style, image, connect...).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def open_page(page, url):
    response = page.goto(url)
    assert response is not None and response.status in (200, 429), f"{url} answered {response and response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, f"{url}: {policy!r}"
    page.wait_for_load_state("load")
    return response


def test_main_pages_load_under_the_content_security_policy_without_violations(
    client, admin_user, sales_user, entity, local_quickbooks, live_server, chromium
):
    client.force_login(admin_user)
    qbo.connect(client, entity, local_quickbooks.realm(name="CSP Books", currency="USD"))
    for month in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)):
        make_snapshot(
            entity,
            month,
            revenue=Decimal("1200") * month.month,
            expenses=Decimal("700"),
            ar_balance=Decimal("900"),
            ap_balance=Decimal("300"),
        )
    sale = make_sale(entity, sales_user, client=make_client(entity.company, "Policy AG"), name="Policy deal")
    pages = [
        reverse("home"),
        reverse("sales:list"),
        reverse("sales:detail", args=[sale.pk]),
        reverse("sales:create"),
        reverse("sales:clients"),
        reverse("sales:client_create"),
        reverse("finance:home"),
        reverse("finance:snapshots", args=[entity.pk]),
        reverse("finance:snapshot_edit", args=[entity.pk, "2026-02"]),
        reverse("finance:qb"),
        reverse("finance:qb_log"),
        reverse("settings"),
    ]

    console_errors = []
    try:
        context = chromium.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)

        open_page(page, f"{live_server.url}/login/")
        page.fill("input[name=username]", admin_user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        for path in pages:
            open_page(page, live_server.url + path)
            violations = page.evaluate("window.__cspViolations")
            assert violations == [], f"{path}: {violations}"

        # The chart's keys are SVG swatches in their line's colour, the size the stylesheet gives them.
        open_page(page, live_server.url + reverse("finance:snapshots", args=[entity.pk]))
        swatches = page.locator(".chart figcaption .key-swatch")
        assert swatches.count() == 4
        assert [swatches.nth(i).locator("rect").get_attribute("fill") for i in range(4)] == [
            "#2563eb",
            "#dc2626",
            "#059669",
            "#d97706",
        ]
        box = swatches.first.bounding_box()
        assert box is not None and abs(box["width"] - 12.8) < 0.5 and abs(box["height"] - 4) < 0.5  # .8rem x .25rem
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "csp-snapshots.png"), full_page=True)

        # Disconnect asks first (static/js/app.js reads data-confirm): Cancel sends nothing.
        open_page(page, live_server.url + reverse("finance:qb"))
        questions = []
        disconnects = []
        page.on("request", lambda request: disconnects.append(request.url) if "/disconnect" in request.url else None)
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
        page.click("button.danger:has-text('Disconnect')")
        page.wait_for_timeout(300)
        assert questions == [
            f"Disconnect {entity.name} from QuickBooks? Its figures stay; syncing stops until it is connected again."
        ]
        assert disconnects == []
        # OK submits the form.
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_request(lambda request: request.method == "POST" and "/disconnect" in request.url):
            page.click("button.danger:has-text('Disconnect')")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__cspViolations") == []

        # A locked-out log-in gets a readable page under the same policy.
        page.click("button.link:has-text('Log out')")
        page.wait_for_url(f"{live_server.url}/login/")
        for _ in range(5):
            page.fill("input[name=username]", sales_user.username)
            page.fill("input[name=password]", "not-the-password")
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
        assert "Too many failed log-ins" in page.inner_text("#lockout")
        assert "Wait 15 minutes" in page.inner_text("#lockout")
        assert page.evaluate("window.__cspViolations") == []
        page.screenshot(path=str(SCREENSHOTS / "login-lockout.png"), full_page=True)

        csp_errors = [text for text in console_errors if "Content Security Policy" in text]
        assert csp_errors == []
        context.close()
    finally:
        # ORM calls made while Playwright runs get their own database connection: close it here.
        connections.close_all()
