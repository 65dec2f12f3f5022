"""Connecting an entity to its QuickBooks company through the local sandbox over HTTP: the whole
OAuth flow, every failure of the callback, one realm per entity, and disconnecting."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from accounts.models import Role
from finance.models import ConnectionStatus, QuickBooksConnection, SyncLogEntry
from finance.quickbooks import connect as connect_service
from tests import qbo
from tests.builders import make_company, make_entity, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_connects_an_entity_end_to_end(admin, admin_user, entity, local_quickbooks):
    realm = local_quickbooks.realm(name="SoftInWay Inc", currency="USD")
    page = qbo.connect(admin, entity, realm)
    connection = QuickBooksConnection.objects.get(entity=entity)
    assert connection.status == ConnectionStatus.CONNECTED
    assert (connection.realm_id, connection.qb_company_name, connection.qb_home_currency) == (
        realm,
        "SoftInWay Inc",
        "USD",
    )
    assert connection.connected_by == admin_user and connection.environment == "local"
    assert connection.access_token and connection.refresh_token
    assert connection.refresh_token_expires_at > connection.access_token_expires_at
    assert f"{entity.name} is connected to QuickBooks company “SoftInWay Inc”." in qbo.page_messages(page)
    html = page.content.decode()
    assert "SoftInWay Inc" in html and f"realm {realm}" in html and "Disconnect" in html
    log = SyncLogEntry.objects.get(entity=entity)
    assert log.action == "connected" and realm in log.message


def test_authorize_url_asks_for_accounting_scope_and_our_redirect(admin, entity, local_quickbooks, settings):
    url = qbo.start(admin, entity)
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    assert url.startswith(f"{local_quickbooks.sandbox.url}/connect/oauth2?")
    assert params["scope"] == "com.intuit.quickbooks.accounting"
    assert params["redirect_uri"] == f"{settings.SITE_URL}/finance/qb/callback"
    assert params["client_id"] == local_quickbooks.app["client_id"]
    assert len(params["state"]) >= 40


def test_declined_consent_leaves_no_connection(admin, entity, local_quickbooks):
    page = qbo.connect(admin, entity, local_quickbooks.realm(), decision="decline")
    assert f"{entity.name} was not connected: the QuickBooks consent was declined." in qbo.page_messages(page)
    assert not QuickBooksConnection.objects.filter(entity=entity).exists()


def _callback_params(admin, entity, local_quickbooks) -> dict:
    return dict(parse_qsl(urlsplit(qbo.consent(qbo.start(admin, entity), local_quickbooks.realm())).query))


def _messages(response) -> list[str]:
    return qbo.page_messages(response)


@pytest.mark.parametrize(
    "tamper,expected",
    [
        (lambda p: {**p, "state": p["state"][:-2] + "xx"}, "does not match a connection started here"),
        (lambda p: {k: v for k, v in p.items() if k != "state"}, "does not match a connection started here"),
        (lambda p: {k: v for k, v in p.items() if k != "code"}, "lacked the code or the company id"),
        (lambda p: {k: v for k, v in p.items() if k != "realmId"}, "lacked the code or the company id"),
        (lambda p: {**p, "realmId": "12; DROP"}, "invalid company id"),
        (lambda p: {**p, "code": "forged-code"}, "was not connected"),
    ],
    ids=["tampered state", "missing state", "missing code", "missing realmId", "odd realmId", "forged code"],
)
def test_bad_callbacks_end_on_the_dashboard_with_a_message(admin, entity, local_quickbooks, tamper, expected):
    params = tamper(_callback_params(admin, entity, local_quickbooks))
    page = admin.get(reverse("finance:qb_callback"), params, follow=True)
    assert page.redirect_chain[-1][0] == reverse("finance:qb")
    assert any(expected in message for message in _messages(page)), _messages(page)
    assert not QuickBooksConnection.objects.filter(entity=entity).exists()


def test_a_state_works_once(admin, entity, local_quickbooks):
    params = _callback_params(admin, entity, local_quickbooks)
    assert admin.get(reverse("finance:qb_callback"), params).status_code == 302
    assert QuickBooksConnection.objects.get(entity=entity).status == "connected"
    replay = admin.get(reverse("finance:qb_callback"), params, follow=True)
    assert any("does not match a connection started here" in m for m in _messages(replay))


def test_an_expired_state_is_refused(admin, entity, local_quickbooks, monkeypatch):
    params = _callback_params(admin, entity, local_quickbooks)
    real_time = connect_service.time.time
    monkeypatch.setattr(connect_service.time, "time", lambda: real_time() + connect_service.STATE_TTL + 1)
    page = admin.get(reverse("finance:qb_callback"), params, follow=True)
    assert any("took too long and expired" in m for m in _messages(page))
    assert not QuickBooksConnection.objects.filter(entity=entity).exists()


def test_a_state_from_another_users_session_is_refused(client, admin, admin_user, entity, local_quickbooks):
    params = _callback_params(admin, entity, local_quickbooks)
    from django.test import Client

    other_admin = Client()
    other_admin.force_login(make_user(entity.company, Role.ADMIN))
    page = other_admin.get(reverse("finance:qb_callback"), params, follow=True)
    assert any("does not match a connection started here" in m for m in _messages(page))
    assert not QuickBooksConnection.objects.filter(entity=entity).exists()


def test_two_tabs_can_connect_two_entities(admin, entity, local_quickbooks):
    second = make_entity(entity.company, "SoftInWay India", "INR")
    first_url, second_url = qbo.start(admin, entity), qbo.start(admin, second)
    realm_a, realm_b = (
        local_quickbooks.realm(name="A Co"),
        local_quickbooks.realm(name="B Co", currency="INR"),
    )
    qbo.callback(admin, qbo.consent(second_url, realm_b))
    qbo.callback(admin, qbo.consent(first_url, realm_a))
    assert QuickBooksConnection.objects.get(entity=entity).realm_id == realm_a
    assert QuickBooksConnection.objects.get(entity=second).realm_id == realm_b


def test_a_realm_held_by_another_entity_is_refused_naming_it(admin, entity, local_quickbooks):
    realm = local_quickbooks.realm(name="Shared Books Ltd")
    qbo.connect(admin, entity, realm)
    india = make_entity(entity.company, "SoftInWay India", "INR")
    page = qbo.connect(admin, india, realm)
    assert any(f"already connected to {entity.name}" in m for m in _messages(page))
    assert not QuickBooksConnection.objects.filter(entity=india, status="connected").exists()


def test_connect_without_app_keys_points_to_settings(admin, entity):
    page = admin.post(reverse("finance:qb_connect", args=[entity.pk]), follow=True)
    assert any("Client ID and Client Secret in Settings" in m for m in _messages(page))


def test_disconnect_revokes_and_forgets_the_tokens(admin, entity, local_quickbooks):
    realm = local_quickbooks.realm(name="Leaving Co")
    qbo.connect(admin, entity, realm)
    refresh_token = QuickBooksConnection.objects.get(entity=entity).refresh_token
    page = admin.post(reverse("finance:qb_disconnect", args=[entity.pk]), follow=True)
    connection = QuickBooksConnection.objects.get(entity=entity)
    assert (
        connection.status == "not_connected" and not connection.refresh_token and not connection.access_token
    )
    assert any("Disconnected from QuickBooks company “Leaving Co”" in m for m in _messages(page))
    # The sandbox no longer honours the revoked refresh token.
    from tests.qbsandbox.conftest import token_request

    answer = token_request(
        local_quickbooks.sandbox.url,
        local_quickbooks.app,
        grant_type="refresh_token",
        refresh_token=refresh_token,
    )
    assert answer.json()["error"] == "invalid_grant"
    assert list(SyncLogEntry.objects.filter(entity=entity).values_list("action", flat=True)) == [
        "disconnected",
        "connected",
    ]


def test_disconnect_still_happens_when_the_revoke_fails(admin, entity, local_quickbooks):
    realm = local_quickbooks.realm(name="Flaky Co")
    qbo.connect(admin, entity, realm)
    local_quickbooks.sandbox.inject_fault(realm, "oauth_error", count=5)
    page = admin.post(reverse("finance:qb_disconnect", args=[entity.pk]), follow=True)
    connection = QuickBooksConnection.objects.get(entity=entity)
    assert connection.status == "not_connected" and not connection.refresh_token
    assert any("did not confirm the revoke" in m for m in _messages(page))
    actions = list(SyncLogEntry.objects.filter(entity=entity).values_list("action", flat=True))
    assert actions == ["disconnected", "error", "connected"]


def test_disconnecting_one_entity_leaves_the_other_connected(admin, entity, local_quickbooks):
    india = make_entity(entity.company, "SoftInWay India", "INR")
    qbo.connect(admin, entity, local_quickbooks.realm(name="US Co"))
    qbo.connect(admin, india, local_quickbooks.realm(name="IN Co", currency="INR"))
    admin.post(reverse("finance:qb_disconnect", args=[entity.pk]))
    assert QuickBooksConnection.objects.get(entity=india).status == "connected"


def test_reconnecting_after_disconnect_works(admin, entity, local_quickbooks):
    realm = local_quickbooks.realm(name="Again Co")
    qbo.connect(admin, entity, realm)
    admin.post(reverse("finance:qb_disconnect", args=[entity.pk]))
    qbo.connect(admin, entity, realm)
    assert QuickBooksConnection.objects.get(entity=entity).status == "connected"


class TestWhoMayDoWhat:
    """Another company's admin gets 404 for our entity; finance and sales users get 403."""

    @pytest.fixture
    def connected_entity(self, admin, entity, local_quickbooks):
        qbo.connect(admin, entity, local_quickbooks.realm(name="Guarded Co"))
        return entity

    @pytest.mark.parametrize("role", [Role.FINANCE, Role.SALES])
    def test_non_admins_cannot_connect_or_disconnect(self, client, connected_entity, role):
        client.force_login(make_user(connected_entity.company, role))
        assert client.post(reverse("finance:qb_connect", args=[connected_entity.pk])).status_code == 403
        assert client.post(reverse("finance:qb_disconnect", args=[connected_entity.pk])).status_code == 403
        assert client.get(reverse("finance:qb_callback"), {"state": "x"}).status_code == 403
        assert QuickBooksConnection.objects.get(entity=connected_entity).status == "connected"

    def test_sales_users_do_not_see_the_dashboard(self, client, connected_entity):
        client.force_login(make_user(connected_entity.company, Role.SALES))
        assert client.get(reverse("finance:qb")).status_code == 403

    def test_another_companys_admin_gets_404(self, client, connected_entity):
        stranger = make_user(make_company("Globex"), Role.ADMIN)
        client.force_login(stranger)
        assert client.post(reverse("finance:qb_connect", args=[connected_entity.pk])).status_code == 404
        assert client.post(reverse("finance:qb_disconnect", args=[connected_entity.pk])).status_code == 404
        assert QuickBooksConnection.objects.get(entity=connected_entity).status == "connected"

    def test_connect_and_disconnect_are_post_only(self, admin, connected_entity):
        assert admin.get(reverse("finance:qb_connect", args=[connected_entity.pk])).status_code == 405
        assert admin.get(reverse("finance:qb_disconnect", args=[connected_entity.pk])).status_code == 405
