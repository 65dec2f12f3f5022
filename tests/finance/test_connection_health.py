"""Connection health on /finance/qb: data as of the last successful sync with a stale badge once it
is older than QBO_STALE_AFTER_HOURS, the refresh-token warning from 14 days before it expires, the
reason of a needs-reconnect, and QuickBooks calls per run and per 24 hours, in constant queries."""

from datetime import date, timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, SyncRun
from finance.quickbooks import incremental
from finance.quickbooks.pull import sync_connection
from finance.webhooks.models import SeenEvent
from tests import qbo
from tests.builders import make_company, make_entity, make_user
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 15)


@pytest.fixture
def synced(client, admin_user, entity, local_quickbooks):
    """The entity connected to a small realm and synced once; the client logged in as admin."""
    client.force_login(admin_user)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Health Books", today="2025-06-15"))
    books.invoice("2025-05-02", "100.00")
    qbo.connect(client, entity, books.realm)
    connection = QuickBooksConnection.objects.get(entity=entity)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS
    return connection, run


def health_row(client, entity) -> str:
    """The entity's card on /finance/qb."""
    page = client.get(reverse("finance:qb")).content.decode()
    row = page.split(f'id="entity-{entity.pk}"', 1)[1]
    return row.split("</article>", 1)[0]


def moved_clock(monkeypatch, delta: timedelta) -> None:
    moved = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: moved)


def test_fresh_data_shows_when_in_the_entitys_time_zone_without_stale_badge(client, entity, synced):
    _, run = synced
    row = health_row(client, entity)
    assert f"{timezone.localtime(run.finished_at, entity.zone):%Y-%m-%d %H:%M}" in row
    assert "America/New_York" in row and "badge-stale" not in row


def test_the_stale_badge_appears_once_the_last_sync_is_older_than_the_setting(
    client, entity, synced, monkeypatch, settings
):
    moved_clock(monkeypatch, timedelta(hours=2, minutes=5))
    assert "badge-stale" in health_row(client, entity)
    settings.QBO_STALE_AFTER_HOURS = 3
    assert "badge-stale" not in health_row(client, entity)


def test_the_refresh_token_warning_appears_fourteen_days_before_expiry(client, entity, synced, monkeypatch, admin_user):
    connection, _ = synced
    expires = connection.refresh_token_expires_at
    moved_clock(monkeypatch, expires - timezone.now() - timedelta(days=15, hours=1))
    client.force_login(admin_user)  # the session of months ago has expired
    assert "badge-token-warning" not in health_row(client, entity)
    moved_clock(monkeypatch, expires - timezone.now() - timedelta(days=10, hours=1))
    row = health_row(client, entity)
    assert "badge-token-warning" in row and "expires in 10 days" in row
    assert f"Reconnect before {timezone.localtime(expires, entity.zone):%Y-%m-%d}" in row


def test_a_needs_reconnect_shows_its_reason(client, entity, synced):
    connection, _ = synced
    reason = "QuickBooks refused the stored authorization (invalid_grant); an admin must reconnect."
    QuickBooksConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.NEEDS_RECONNECT, status_reason=reason
    )
    row = health_row(client, entity)
    assert 'class="badge state-bad">needs reconnect<' in row
    sentence = row.split('class="error-sentence">', 1)[1].split("</p>", 1)[0]
    assert sentence == "QuickBooks refused the stored authorization; an admin must reconnect."
    assert "invalid_grant" in row.split("Details for support", 1)[1]  # the code, folded away for support


def test_calls_are_counted_per_run_and_per_day(client, entity, synced, local_quickbooks):
    connection, first = synced
    second = sync_connection(connection=connection, trigger="manual", today=TODAY)
    # Two batch calls (the counts, the first pages; nothing linked) and the two aged reports.
    assert first.qbo_calls == second.qbo_calls == 4
    old = SyncRun.objects.create(connection=connection, entity=entity, trigger="beat", status="success", qbo_calls=50)
    SyncRun.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timedelta(hours=25))
    row = health_row(client, entity)
    assert '<span class="calls-last-run">4</span> in the last sync' in row
    assert '<span class="calls-24h">8</span> in the last 24 h' in row


def test_the_dashboard_costs_the_same_queries_with_more_connected_entities(client, company):
    user = make_user(company, "finance")
    client.force_login(user)

    def connected(name: str) -> None:
        entity = make_entity(company, name, "USD", "UTC")
        connection = QuickBooksConnection.objects.create(
            entity=entity,
            company=company,
            status="connected",
            environment="local",
            realm_id=f"r-{name}",
            refresh_token_expires_at=timezone.now() + timedelta(days=5),
        )
        for calls in (3, 4):
            SyncRun.objects.create(
                connection=connection,
                entity=entity,
                trigger="beat",
                status="success",
                qbo_calls=calls,
                finished_at=timezone.now(),
                tie_out={"as_of": "2025-06-15"},
            )

    connected("One")
    with CaptureQueriesContext(db_connection) as one:
        client.get(reverse("finance:qb"))
    for name in ("Two", "Three", "Four"):
        connected(name)
    with CaptureQueriesContext(db_connection) as four:
        page = client.get(reverse("finance:qb")).content.decode()
    assert len(four) == len(one)
    assert page.count("badge-token-warning") == 4


def test_dashboard_health_is_for_finance_roles_and_the_own_company_only(client, company, sales_user):
    client.force_login(sales_user)
    assert client.get(reverse("finance:qb")).status_code == 403
    other = make_company("Elsewhere")
    entity = make_entity(other, "Elsewhere Ltd", "USD", "UTC")
    QuickBooksConnection.objects.create(entity=entity, company=other, status="connected", realm_id="x1")
    client.force_login(make_user(company, "finance"))
    assert f'id="health-{entity.pk}"' not in client.get(reverse("finance:qb")).content.decode()


def test_the_card_says_how_the_data_is_kept_current_and_links_the_push_settings(client, entity, synced):
    connection, _ = synced
    row = health_row(client, entity)
    assert "by the hourly sync" in row and "no webhook in the last 24 h" in row
    assert reverse("finance:qb_push_settings", args=[entity.pk]) in row  # an admin's card

    incremental.sync_connection(connection=connection, trigger="beat", today=TODAY)  # fills the mirror
    incremental.sync_connection(connection=connection, trigger="beat", today=TODAY)  # reads what changed
    for n in range(3):
        SeenEvent.objects.create(
            key=f"event-{n}", company=connection.company, realm_id=connection.realm_id, entity="Invoice",
            entity_id=str(n), operation="Update", occurred_at=timezone.now(),
        )  # fmt: skip
    row = health_row(client, entity)

    assert "by QuickBooks webhooks" in row and '<span class="webhooks-24h">3</span> changes notified' in row
    assert "last incremental sync" in row and "last full read" in row


def test_a_finance_users_card_has_no_push_settings_link(client, entity, synced, finance_user):
    client.force_login(finance_user)
    assert reverse("finance:qb_push_settings", args=[entity.pk]) not in health_row(client, entity)
