"""The run lifecycle shared by pulls and pushes: a run past its deadline stops before its next
QuickBooks call, and runs that lost their worker are recorded as failed instead of blocking."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from finance.models import RunStatus, SyncDirection, SyncLogEntry, SyncRun
from finance.quickbooks import runs
from finance.quickbooks.jobs import queue_sync
from finance.quickbooks.pull import sync_connection
from tests import qbo
from tests.builders import make_client, make_sale
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db
TODAY = date(2026, 4, 20)


@pytest.fixture
def connection(client, admin_user, entity, local_quickbooks):
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Runs Co"))
    books.invoice("2026-04-02", "100.00")
    client.force_login(admin_user)
    qbo.connect(client, entity, books.realm)
    connection = entity.quickbooks_connection
    connection.books = books
    return connection


def age(run: SyncRun, by: timedelta) -> None:
    then = timezone.now() - by
    SyncRun.objects.filter(pk=run.pk).update(queued_at=then, started_at=then)


def test_a_run_past_its_deadline_makes_no_further_call_and_fails_to_be_tried_again(connection, settings):
    settings.QBO_RUN_DEADLINE = 0
    calls_before = connection.books.sandbox.calls(connection.books.realm).get("total", 0)

    run = sync_connection(connection=connection, trigger="manual", today=TODAY)

    assert run.status == RunStatus.ERROR and run.retryable
    assert "took longer than it may" in run.error_message
    assert connection.books.sandbox.calls(connection.books.realm).get("total", 0) == calls_before


def test_the_longest_run_is_the_deadline_one_call_and_the_writes(settings):
    settings.QBO_RUN_DEADLINE, settings.QBO_HTTP_TIMEOUT = 600, 20
    assert runs.longest_run() == timedelta(seconds=600 + 20) + runs.WRITE_MARGIN


def test_a_queued_run_never_picked_up_is_recorded_as_lost_by_the_next_sync_now(connection):
    lost = runs.record(connection=connection, direction=SyncDirection.PULL, trigger="beat")
    age(lost, runs.longest_run() + timedelta(seconds=1))

    fresh = queue_sync(connection=connection, trigger="manual")

    lost.refresh_from_db()
    assert fresh.pk != lost.pk
    assert lost.status == RunStatus.ERROR and "worker lost" in lost.error_message
    assert SyncLogEntry.objects.filter(run=lost, action="error").count() == 1


def test_a_push_whose_worker_was_lost_no_longer_holds_its_sale(connection, sales_user):
    sale = make_sale(connection.entity, sales_user, client=make_client(connection.company, "Helix"))
    claim = runs.record(connection=connection, direction=SyncDirection.PUSH, trigger="push", running=True, sale=sale)
    assert runs.push_under_way(sale.pk)
    age(claim, runs.longest_run() + timedelta(seconds=1))

    assert not runs.push_under_way(sale.pk)
    assert runs.close_lost_pushes(sale.pk) == 1
    claim.refresh_from_db()
    assert claim.status == RunStatus.ERROR and "worker lost" in claim.error_message
