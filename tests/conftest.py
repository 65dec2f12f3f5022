"""Fixtures shared by the whole suite."""

import pytest

# Models are imported inside fixtures so that tests of Django-free modules (the local sandbox, the
# figures) can also run with the Django plugin off.


def pytest_configure(config):
    if config.pluginmanager.hasplugin("django"):
        from django.conf import settings

        # Password hashing at production strength costs a third of a second per user made.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def company(db):
    from tests.builders import make_company

    return make_company("SoftInWay Test")


@pytest.fixture
def entity(company):
    from tests.builders import make_entity

    return make_entity(company, "SoftInWay USA", "USD", "America/New_York")


@pytest.fixture
def admin_user(company):
    from tests.builders import make_user

    return make_user(company, "admin")


@pytest.fixture
def finance_user(company):
    from tests.builders import make_user

    return make_user(company, "finance")


@pytest.fixture
def sales_user(company):
    from tests.builders import make_user

    return make_user(company, "sales")


@pytest.fixture
def login(client):
    """Log the test client in as the given user and return it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(scope="session", autouse=True)
def block_internet():
    """No test talks to anything but this machine: QuickBooks is the local sandbox or `responses`."""
    import ipaddress
    import socket

    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise OSError(f"tests may not reach {host}: use the local QuickBooks sandbox or responses")
        return real_connect(sock, address)

    patch = pytest.MonkeyPatch()
    patch.setattr(socket.socket, "connect", guarded_connect)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def qbo_sandbox(tmp_path_factory):
    """The local QuickBooks sandbox over real HTTP on a free port, for the whole run."""
    from qbsandbox.testing import start_sandbox

    running = start_sandbox(tmp_path_factory.mktemp("qbo-sandbox") / "sandbox.sqlite3")
    yield running
    running.stop()


@pytest.fixture
def local_quickbooks(settings, qbo_sandbox, company):
    """The test company's QuickBooks settings pointing at the local sandbox, with a fresh app."""
    from finance.models import QuickBooksSettings
    from tests.qbo import LocalQuickBooks

    settings.QBO_LOCAL_URL = qbo_sandbox.url
    settings.QBO_HTTP_TIMEOUT = 5
    # Rotation on every refresh: the harder case for the product's token handling (Intuit itself
    # hands back the same refresh token for a day).
    app = qbo_sandbox.register_app(rotate_refresh_tokens=True)
    QuickBooksSettings.objects.create(
        company=company, client_id=app["client_id"], client_secret=app["client_secret"], environment="local"
    )
    return LocalQuickBooks(sandbox=qbo_sandbox, app=app)


@pytest.fixture
def chromium(monkeypatch):
    """A headless Chromium for one test."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain sync
    # calls. Set for this test only: subprocesses of other tests run Django's deployment checks.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    # A missing browser fails the test (CI installs it); it is never a silent skip.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
