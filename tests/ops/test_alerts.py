"""Alert emails to a company's admins: once per incident, never repeated, a digest when several
connections are affected, and each admin may turn them off."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from finance.models import RunStatus, SyncDirection
from finance.quickbooks import runs
from finance.quickbooks.tokens import mark_needs_reconnect
from ops import alerts
from ops.models import AlertIncident, AlertKind, AlertPreference
from ops.tasks import daily_alerts
from tests.builders import make_company, make_entity, make_user
from tests.ops.conftest import make_connection

REVOKED = "QuickBooks refused the stored authorization (invalid_grant); an admin must reconnect."


def failed_sync(connection, message="QuickBooks is unavailable (HTTP 503); try again later."):
    run = runs.record(connection=connection, direction=SyncDirection.PULL, trigger="beat", running=True)
    return runs.fail(run, message, retryable=True)


def good_sync(connection):
    run = runs.record(connection=connection, direction=SyncDirection.PULL, trigger="beat", running=True)
    return runs.succeed(run)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_connection_needing_reconnect_emails_each_admin_once_with_the_reason_and_a_link(
    settings, entity, connection, admins, committed
):
    settings.SITE_URL = "https://otiumwork.example"
    with committed():
        mark_needs_reconnect(connection, REVOKED)
    assert recipients() == ["ada@example.com", "grace@example.com"]  # not the finance user
    message = mail.outbox[0]
    assert message.subject == "QuickBooks: SoftInWay USA needs reconnecting"
    assert f"SoftInWay USA needs reconnecting to QuickBooks since {timezone.now():%Y-%m-%d}" in message.body
    assert REVOKED in message.body
    assert f"Reconnect it: https://otiumwork.example/finance/qb#entity-{entity.pk}" in message.body
    assert "https://otiumwork.example/admin/settings/alerts" in message.body


def test_the_same_incident_is_not_emailed_again_while_it_lasts(connection, admins, committed):
    with committed():
        mark_needs_reconnect(connection, REVOKED)
    with committed():
        mark_needs_reconnect(connection, REVOKED)  # another worker, the same night
        failed_sync(connection, "needs reconnect")
    assert len(mail.outbox) == 2  # one per admin, once
    assert AlertIncident.objects.filter(kind=AlertKind.NEEDS_RECONNECT).count() == 1


def test_reconnecting_closes_the_incident_and_a_later_one_is_emailed_again(connection, admins, committed):
    from finance.models import ConnectionStatus, SyncAction
    from finance.quickbooks.synclog import write_log

    with committed():
        mark_needs_reconnect(connection, REVOKED)
    with committed():
        connection.status = ConnectionStatus.CONNECTED
        connection.save()
        write_log(connection=connection, direction=SyncDirection.CONNECTION, action=SyncAction.CONNECTED,
                  message="Connected", object_type="Connection", object_ref=connection.realm_id)  # fmt: skip
    assert AlertIncident.objects.get().resolved_at is not None
    with committed():
        mark_needs_reconnect(connection, REVOKED)
    assert len(mail.outbox) == 4


def test_three_failed_syncs_in_a_row_email_once(connection, admins, committed):
    with committed():
        failed_sync(connection)
        failed_sync(connection)
    assert mail.outbox == []
    with committed():
        failed_sync(connection, "QuickBooks timed out after 20 seconds.")
    assert recipients() == ["ada@example.com", "grace@example.com"]
    assert mail.outbox[0].subject == "QuickBooks: SoftInWay USA syncs failing"
    assert "The last 3 syncs failed" in mail.outbox[0].body
    assert "QuickBooks timed out after 20 seconds." in mail.outbox[0].body
    with committed():
        failed_sync(connection)  # the fourth: the same incident
    assert len(mail.outbox) == 2


def test_a_success_ends_the_streak_and_skipped_syncs_do_not_count(connection, admins, committed):
    with committed():
        failed_sync(connection)
        failed_sync(connection)
        good_sync(connection)
        failed_sync(connection)
        run = runs.record(connection=connection, direction=SyncDirection.PULL, trigger="beat")
        runs.skip(run, "the previous sync of this connection is still going.")
        failed_sync(connection)
    assert mail.outbox == []
    with committed():
        failed_sync(connection)
    assert len(mail.outbox) == 2
    with committed():
        good_sync(connection)
    assert AlertIncident.objects.get(kind=AlertKind.SYNC_FAILING).resolved_at is not None


def test_an_authorization_expiring_within_14_days_is_emailed_once(connection, admins, committed):
    expires = timezone.now() + timedelta(days=10)
    connection.refresh_token_expires_at = expires
    connection.save()
    with committed():
        daily_alerts()
    assert recipients() == ["ada@example.com", "grace@example.com"]
    assert mail.outbox[0].subject == "QuickBooks: SoftInWay USA authorization expiring"
    assert f"expires on {expires:%Y-%m-%d %H:%M} UTC" in mail.outbox[0].body
    with committed():
        daily_alerts()  # the next morning
    assert len(mail.outbox) == 2


def test_an_authorization_lasting_longer_than_14_days_is_not_alerted(connection, admins, committed):
    with committed():
        daily_alerts()
    assert mail.outbox == []
    assert not AlertIncident.objects.exists()


def test_several_connections_at_once_email_two_then_one_digest_listing_all(company, more_entities, admins, committed):
    connections = [make_connection(e, f"91303500{n:02d}") for n, e in enumerate(more_entities(5))]
    with committed():
        for connection in connections:
            mark_needs_reconnect(connection, REVOKED)
    assert len(mail.outbox) == 2 * alerts.IMMEDIATE_PER_DAY  # two incidents, each to both admins
    mail.outbox.clear()
    with committed():
        daily_alerts()
    assert recipients() == ["ada@example.com", "grace@example.com"]
    digest = mail.outbox[0]
    assert digest.subject == f"5 QuickBooks connections of {company.name} need attention"
    for n in range(5):
        assert f"- Entity {n} needs reconnecting to QuickBooks since" in digest.body
    mail.outbox.clear()
    with committed():
        daily_alerts()  # nothing new the next morning: no digest
    assert mail.outbox == []
    assert not AlertIncident.objects.filter(notified_at__isnull=True).exists()


def test_other_companies_incidents_do_not_hold_back_a_companys_first_email(connection, admins, committed):
    other = make_company("Other Co")
    for n in range(3):
        with committed():
            mark_needs_reconnect(make_connection(make_entity(other, f"Other {n}"), f"55500{n}"), REVOKED)
    with committed():
        mark_needs_reconnect(connection, REVOKED)
    assert recipients() == ["ada@example.com", "grace@example.com"]  # Other Co has no admin with an address


def test_an_admin_who_turned_alerts_off_gets_none(connection, admins, committed):
    AlertPreference.objects.create(user=admins[0], email_alerts=False)
    with committed():
        mark_needs_reconnect(connection, REVOKED)
    assert recipients() == ["grace@example.com"]


def test_a_resolved_incident_is_never_emailed(connection, admins, committed):
    with committed():
        incident = alerts.open_incident(connection=connection, kind=AlertKind.SYNC_FAILING, reason="x")
        alerts.resolve(connection)
    assert incident is not None and mail.outbox == []


def test_a_mail_server_down_keeps_the_incident_for_the_digest(settings, connection, admins, committed):
    settings.EMAIL_BACKEND = "tests.ops.test_alerts.BrokenBackend"
    with committed():
        mark_needs_reconnect(connection, REVOKED)
    assert AlertIncident.objects.get().notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with committed():
        daily_alerts()
    assert recipients() == ["ada@example.com", "grace@example.com"]
    assert AlertIncident.objects.get().notified_at is not None


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


# --- the opt-out page ---------------------------------------------------------------------------------


def test_an_admin_turns_alerts_off_and_on_again(client, admins):
    client.force_login(admins[0])
    page = client.get(reverse("alert_settings"))
    assert page.status_code == 200
    assert b"They go to ada@example.com." in page.content
    assert b'name="email_alerts"' in page.content and b"checked" in page.content
    answer = client.post(reverse("alert_settings"), {}, follow=True)
    assert "QuickBooks alert emails are off for you." in answer.content.decode()
    assert AlertPreference.objects.get(user=admins[0]).email_alerts is False
    client.post(reverse("alert_settings"), {"email_alerts": "on"})
    assert AlertPreference.objects.get(user=admins[0]).email_alerts is True
    assert not AlertPreference.objects.filter(user=admins[1]).exists()  # each admin's own choice


@pytest.mark.parametrize("role", ["finance", "sales"])
def test_only_admins_have_the_alert_settings_page(client, company, role):
    client.force_login(make_user(company, role))
    assert client.get(reverse("alert_settings")).status_code == 403


def test_the_settings_page_links_to_the_alert_settings(client, admins):
    client.force_login(admins[0])
    page = client.get(reverse("settings"))
    assert f'href="{reverse("alert_settings")}"'.encode() in page.content


def test_a_finished_push_feeds_no_sync_alert(connection, admins, committed):
    with committed():
        for _ in range(3):
            run = runs.record(connection=connection, direction=SyncDirection.PUSH, trigger="push", running=True)
            runs.fail(run, "QuickBooks refused the invoice.")
    assert mail.outbox == [] and not AlertIncident.objects.exists()
    assert RunStatus.ERROR == run.status
