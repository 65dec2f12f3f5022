"""The token store: refresh only when stale, rotation persisted first, needs-reconnect on a dead
grant (other entities unaffected), one refresh for concurrent workers, secrets encrypted."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from finance.models import QuickBooksConnection, QuickBooksSettings, SyncLogEntry
from finance.quickbooks import tokens
from finance.quickbooks.errors import AuthError
from tests import qbo
from tests.builders import make_entity

HUNDRED_AND_TWO_DAYS = 102 * 24 * 3600


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def refresh_calls(monkeypatch):
    """Count calls to Intuit's token endpoint for a refresh."""
    calls = []
    real_refresh = tokens.oauth.refresh

    def counting_refresh(client, *, refresh_token):
        calls.append(refresh_token)
        return real_refresh(client, refresh_token=refresh_token)

    monkeypatch.setattr(tokens.oauth, "refresh", counting_refresh)
    return calls


def connected(admin, entity, local_quickbooks, **realm) -> QuickBooksConnection:
    realm_id = local_quickbooks.realm(**{"name": "Tokens Co", **realm})
    qbo.connect(admin, entity, realm_id)
    return QuickBooksConnection.objects.get(entity=entity)


def make_stale(connection: QuickBooksConnection) -> None:
    QuickBooksConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() + timedelta(minutes=2)
    )


@pytest.mark.django_db
def test_a_fresh_token_is_used_without_refreshing(admin, entity, local_quickbooks, refresh_calls):
    connection = connected(admin, entity, local_quickbooks)
    client = tokens.client_for(connection)
    assert client.company_info()["CompanyName"] == "Tokens Co"
    assert refresh_calls == []


@pytest.mark.django_db
def test_a_stale_token_is_refreshed_and_the_rotated_pair_saved(
    admin, entity, local_quickbooks, refresh_calls
):
    connection = connected(admin, entity, local_quickbooks)
    old_access, old_refresh = connection.access_token, connection.refresh_token
    make_stale(connection)
    client = tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
    assert client.company_info()["CompanyName"] == "Tokens Co"
    connection.refresh_from_db()
    assert refresh_calls == [old_refresh]
    assert connection.refresh_token != old_refresh and connection.access_token != old_access
    assert connection.access_token == client.access_token
    assert connection.access_token_expires_at > timezone.now() + timedelta(minutes=55)
    assert SyncLogEntry.objects.filter(entity=entity, action="refreshed").count() == 1
    # The saved refresh token is the live one: the next refresh works with it.
    make_stale(connection)
    tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk)).company_info()
    assert refresh_calls[1] == connection.refresh_token


@pytest.mark.django_db
def test_a_token_quickbooks_refuses_is_refreshed_once_and_the_work_retried(
    admin, entity, local_quickbooks, refresh_calls
):
    connection = connected(admin, entity, local_quickbooks)
    local_quickbooks.sandbox.advance_clock(3700, realm_id=connection.realm_id)  # expired at Intuit's end
    info, calls = tokens.with_client(connection, lambda client: client.company_info())
    assert info["CompanyName"] == "Tokens Co"
    assert len(refresh_calls) == 1 and calls == 2


@pytest.mark.django_db
def test_an_expired_refresh_token_needs_reconnect_and_spares_other_entities(admin, entity, local_quickbooks):
    connection = connected(admin, entity, local_quickbooks)
    india = make_entity(entity.company, "SoftInWay India", "INR")
    other = connected(admin, india, local_quickbooks, name="India Co", currency="INR")
    make_stale(connection)
    local_quickbooks.sandbox.advance_clock(HUNDRED_AND_TWO_DAYS, realm_id=connection.realm_id)
    with pytest.raises(tokens.NotConnectedError, match="an admin must reconnect"):
        tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect" and "invalid_grant" in connection.status_reason
    log = SyncLogEntry.objects.get(entity=entity, action="refresh_failed")
    assert "Needs reconnect" in log.message
    assert tokens.client_for(other).company_info()["CompanyName"] == "India Co"
    page = admin.get(reverse("finance:qb")).content.decode()
    assert "needs reconnect" in page and "Reconnect" in page


@pytest.mark.django_db
def test_a_refresh_token_past_its_stored_expiry_is_not_even_tried(
    admin, entity, local_quickbooks, refresh_calls
):
    connection = connected(admin, entity, local_quickbooks)
    QuickBooksConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(hours=1),
        refresh_token_expires_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(tokens.NotConnectedError, match="expired after long disuse"):
        tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
    assert refresh_calls == []
    assert QuickBooksConnection.objects.get(pk=connection.pk).status == "needs_reconnect"


@pytest.mark.django_db
def test_a_revoked_grant_needs_reconnect(admin, entity, local_quickbooks):
    connection = connected(admin, entity, local_quickbooks)
    local_quickbooks.sandbox.inject_fault(connection.realm_id, "revoke")
    make_stale(connection)
    with pytest.raises(tokens.NotConnectedError):
        tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
    assert QuickBooksConnection.objects.get(pk=connection.pk).status == "needs_reconnect"


@pytest.mark.django_db
def test_a_token_server_outage_is_transient_and_keeps_the_connection(admin, entity, local_quickbooks):
    connection = connected(admin, entity, local_quickbooks)
    local_quickbooks.sandbox.inject_fault(connection.realm_id, "oauth_error", count=1)
    make_stale(connection)
    with pytest.raises(Exception) as caught:
        tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
    assert getattr(caught.value, "transient", False) and not isinstance(caught.value, AuthError)
    assert QuickBooksConnection.objects.get(pk=connection.pk).status == "connected"


@pytest.mark.django_db
def test_secrets_are_encrypted_at_rest_and_never_shown(admin, entity, local_quickbooks, caplog):
    caplog.set_level(logging.DEBUG)
    connection = connected(admin, entity, local_quickbooks)
    make_stale(connection)
    tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
    connection.refresh_from_db()
    secret = local_quickbooks.app["client_secret"]
    secrets = [secret, connection.access_token, connection.refresh_token]
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT client_secret FROM {QuickBooksSettings._meta.db_table}")  # noqa: S608
        stored = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT access_token, refresh_token FROM {QuickBooksConnection._meta.db_table}")  # noqa: S608
        stored += [value for row in cursor.fetchall() for value in row]
    assert all(stored) and not any(s in value for s in secrets for value in stored)
    assert stored[0].startswith("gAAAAA")  # a Fernet token
    pages = [admin.get(url).content.decode() for url in (reverse("finance:qb"), reverse("settings"))]
    for text in pages + [caplog.text] + list(SyncLogEntry.objects.values_list("message", flat=True)):
        assert not any(s in text for s in secrets)
    assert "Secret: set." in pages[1]


@pytest.mark.django_db
def test_saving_settings_keeps_the_secret_when_left_blank(admin, company):
    QuickBooksSettings.objects.create(
        company=company, client_id="abc", client_secret="s3cr3t-value", environment="production"
    )
    admin.post(
        reverse("finance:qb_settings"),
        {
            "client_id": " new-id ",
            "client_secret": "",
            "environment": "sandbox",
            "invoice_item_name": "Services",
        },
    )
    saved = QuickBooksSettings.objects.get(company=company)
    assert (saved.client_id, saved.client_secret, saved.environment) == ("new-id", "s3cr3t-value", "sandbox")


@pytest.mark.django_db
def test_local_environment_is_not_offered_in_production_mode(admin, company, settings):
    settings.QBO_ENVIRONMENTS_OFFERED = ["production", "sandbox"]
    response = admin.post(
        reverse("finance:qb_settings"),
        {"client_id": "a", "client_secret": "b", "environment": "local", "invoice_item_name": "Services"},
    )
    assert response.status_code == 400
    assert not QuickBooksSettings.objects.filter(company=company).exists()
    assert 'value="local"' not in admin.get(reverse("settings")).content.decode()


@pytest.mark.django_db
def test_settings_page_shows_the_redirect_uri_to_register(admin, settings):
    settings.SITE_URL = "https://otiumwork.com"
    assert "https://otiumwork.com/finance/qb/callback" in admin.get(reverse("settings")).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_cause_one_refresh(admin, entity, local_quickbooks, refresh_calls):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; .ci/run runs this test with DATABASE_URL set")
    connection = connected(admin, entity, local_quickbooks)
    make_stale(connection)
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            barrier.wait()
            client = tokens.client_for(QuickBooksConnection.objects.get(pk=connection.pk))
            results.append((client.access_token, client.company_info()["CompanyName"]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(refresh_calls) == 1
    assert [name for _, name in results] == ["Tokens Co", "Tokens Co"]
    assert results[0][0] == results[1][0]
    assert QuickBooksConnection.objects.get(pk=connection.pk).status == "connected"
