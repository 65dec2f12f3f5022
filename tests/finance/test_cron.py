"""POST /api/cron/qb-sync-all (SPEC 6): every status code, and the fan-out it shares with the hourly
beat task: one job per active connection of every company, needs-reconnect and unfinished skipped."""

import pytest
from django.utils import timezone

from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, SyncLogEntry, SyncRun
from finance.tasks import sync_all_connections
from tests.builders import make_company, make_entity

pytestmark = pytest.mark.django_db

URL = "/api/cron/qb-sync-all"
TOKEN = "cron-token-0123456789abcdef"


@pytest.fixture
def cron_token(settings):
    settings.CRON_TOKEN = TOKEN
    return TOKEN


def connection_of(entity, status=ConnectionStatus.CONNECTED, realm="1") -> QuickBooksConnection:
    return QuickBooksConnection.objects.create(
        entity=entity, company=entity.company, status=status, realm_id=realm, environment="local"
    )


@pytest.fixture
def three_companies_connections(entity):
    """Two active connections in two companies, one needing reconnect, one never connected."""
    other = make_entity(make_company("Other Co"), "Other Entity")
    return {
        "active": [connection_of(entity, realm="101"), connection_of(other, realm="102")],
        "reconnect": connection_of(make_entity(entity.company, "Stale"), ConnectionStatus.NEEDS_RECONNECT, "103"),
        "never": connection_of(make_entity(entity.company, "Never"), ConnectionStatus.NOT_CONNECTED, ""),
    }


def test_without_a_token_header_401(client, cron_token):
    answer = client.post(URL)
    assert answer.status_code == 401 and "Missing X-OtiumWork-Cron-Token" in answer.json()["error"]


def test_with_a_wrong_token_403(client, cron_token):
    assert client.post(URL, headers={"X-OtiumWork-Cron-Token": TOKEN[:-1] + "X"}).status_code == 403


def test_when_cron_token_is_unset_the_endpoint_is_disabled_503(client, settings):
    settings.CRON_TOKEN = ""
    answer = client.post(URL, headers={"X-OtiumWork-Cron-Token": "anything"})
    assert answer.status_code == 503 and "disabled" in answer.json()["error"]


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_405(client, cron_token, method):
    answer = getattr(client, method)(URL, headers={"X-OtiumWork-Cron-Token": TOKEN})
    assert answer.status_code == 405


def test_token_compared_in_constant_time(client, cron_token, monkeypatch):
    compared = []
    import hmac

    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    client.post(URL, headers={"X-OtiumWork-Cron-Token": "wrong"})
    assert compared == [(b"wrong", TOKEN.encode())]


def test_the_cron_queues_one_job_per_active_connection_and_answers_with_counts(
    client, cron_token, three_companies_connections, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(URL, headers={"X-OtiumWork-Cron-Token": TOKEN})
    assert answer.status_code == 202
    assert answer.json() == {"queued": 2, "skipped_running": 0, "needs_reconnect": 1, "failed": 0}
    active = three_companies_connections["active"]
    assert sorted(args[0] for args, _ in sent) == sorted(c.pk for c in active)
    assert all(args[1] == "cron" and kwargs["run_id"] for args, kwargs in sent)
    assert SyncRun.objects.filter(status=RunStatus.QUEUED, trigger="cron").count() == 2
    stale = three_companies_connections["reconnect"]
    line = SyncLogEntry.objects.get(entity=stale.entity)
    assert line.action == "skipped" and "needs reconnect" in line.message
    assert not SyncRun.objects.filter(connection=three_companies_connections["never"]).exists()


def test_a_connection_whose_previous_run_is_still_going_is_not_queued_again(
    client, cron_token, three_companies_connections, sent, django_capture_on_commit_callbacks
):
    busy = three_companies_connections["active"][0]
    SyncRun.objects.create(
        connection=busy, entity=busy.entity, trigger="beat", status=RunStatus.RUNNING, started_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(URL, headers={"X-OtiumWork-Cron-Token": TOKEN})
    assert answer.json() == {"queued": 1, "skipped_running": 1, "needs_reconnect": 1, "failed": 0}
    assert [args[0] for args, _ in sent] == [three_companies_connections["active"][1].pk]
    # and a second call right after queues nothing new: the first call's run is still queued
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(URL, headers={"X-OtiumWork-Cron-Token": TOKEN})
    assert again.json() == {"queued": 0, "skipped_running": 2, "needs_reconnect": 1, "failed": 0}


def test_the_beat_task_runs_the_same_fan_out(three_companies_connections, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        counts = sync_all_connections()
    assert counts == {"queued": 2, "skipped_running": 0, "needs_reconnect": 1, "failed": 0}
    assert SyncRun.objects.filter(trigger="beat", status=RunStatus.QUEUED).count() == 2


def test_the_beat_schedule_runs_the_fan_out_hourly(settings):
    from otiumwork.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["quickbooks-sync-all-hourly"]
    assert entry["task"] == "finance.tasks.sync_all_connections" and entry["schedule"] == 3600.0
    app.loader.import_default_modules()
    assert "finance.tasks.sync_all_connections" in app.tasks
