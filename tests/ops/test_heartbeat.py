"""The scheduler's heartbeat: beat's tick and each scheduled fan-out check in; when the newest is
older than two hours, admins read one sentence on /finance/qb saying since when."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from finance.tasks import sync_all_connections
from ops import heartbeat
from ops.models import Heartbeat
from ops.tasks import beat_tick
from tests.builders import make_user


def test_beat_tick_and_the_fan_out_leave_their_heartbeats(db, connection):
    beat_tick()
    assert sync_all_connections()["queued"] == 1
    beats = dict(Heartbeat.objects.values_list("name", "beat_at"))
    assert set(beats) == {"beat", "fan-out"}
    assert all(timezone.now() - at < timedelta(seconds=5) for at in beats.values())


@pytest.fixture
def expected(settings):
    settings.OPS_SCHEDULER_EXPECTED = True


def page_for(client, user):
    client.force_login(user)
    return client.get(reverse("finance:qb")).content.decode()


WARNING = "Scheduled QuickBooks syncs are not running: the scheduler (Celery beat) last checked in on"


def test_admins_are_told_when_scheduled_syncs_stopped_and_since_when(client, admin_user, expected):
    heartbeat.record(heartbeat.FANOUT, at=datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    heartbeat.record(heartbeat.BEAT, at=datetime(2026, 12, 1, 4, 30, tzinfo=UTC))
    page = page_for(client, admin_user)
    assert page.count('id="scheduler-warning"') == 1
    assert f"{WARNING} 2026-12-01 04:30 UTC, so figures are only updated by Sync now until it runs again." in page


def test_no_warning_while_the_scheduler_checks_in(client, admin_user, expected):
    heartbeat.record(heartbeat.BEAT, at=timezone.now() - timedelta(hours=1, minutes=59))
    assert 'id="scheduler-warning"' not in page_for(client, admin_user)


def test_no_warning_where_nothing_is_scheduled(client, admin_user, settings):
    settings.OPS_SCHEDULER_EXPECTED = False  # the demo: jobs inline, no beat
    assert 'id="scheduler-warning"' not in page_for(client, admin_user)


def test_a_scheduler_that_never_checked_in_is_reported(client, admin_user, expected):
    page = page_for(client, admin_user)
    assert "the scheduler (Celery beat) has never checked in" in page


def test_finance_users_are_not_shown_the_operators_warning(client, company, expected):
    heartbeat.record(heartbeat.BEAT, at=timezone.now() - timedelta(hours=5))
    assert 'id="scheduler-warning"' not in page_for(client, make_user(company, "finance"))


def test_the_beat_containers_check_passes_only_with_a_recent_tick(db):
    with pytest.raises(CommandError, match="No beat heartbeat yet"):
        call_command("check_heartbeat", "beat")
    heartbeat.record(heartbeat.BEAT, at=timezone.now() - timedelta(minutes=10))
    with pytest.raises(CommandError, match="limit 300"):
        call_command("check_heartbeat", "beat", "--max-age", "300")
    beat_tick()
    call_command("check_heartbeat", "beat", "--max-age", "300")
