"""The lifecycle of a QuickBooks run, a pull sync or a push, whatever started it.

A run is recorded before any call (``record``), started under its connection's lock (``start``: a
second pull while one runs is ``skipped``), and ends once, as ``succeed``, ``skip`` or ``fail``,
each keeping its outcome on the run and writing its run-level line of the sync log (``log``); once
committed, each end is announced (``finance.signals.run_finished``).
QuickBooks calls are counted on the run's ``CallCounter``, handed to every client built for it.

A run still marked running (or queued) long after the most a run can take (``longest_run``) lost
its worker: the next sync of its connection records it as failed ("worker lost") instead of
waiting behind it. See docs/sync.md, "Runs".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finance import signals
from finance.models import QuickBooksConnection, RunStatus, SyncAction, SyncDirection, SyncLogEntry, SyncRun
from finance.quickbooks.client import CallCounter
from finance.quickbooks.synclog import write_log

UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)
WORKER_LOST = (
    "the worker running it stopped before it could record an outcome (worker lost); it changed no figure."
)
# Writing a run's figures and log after its last call: generous, so a slow database is never taken for a lost run.
WRITE_MARGIN = timedelta(seconds=60)


def longest_run() -> timedelta:
    """The most a run can take: no call starts after QBO_RUN_DEADLINE, each call ends within
    QBO_HTTP_TIMEOUT, then its writes."""
    return timedelta(seconds=settings.QBO_RUN_DEADLINE + settings.QBO_HTTP_TIMEOUT) + WRITE_MARGIN


def call_counter() -> CallCounter:
    """The counter a run hands to every client it builds; no call starts after QBO_RUN_DEADLINE."""
    return CallCounter(seconds=settings.QBO_RUN_DEADLINE)


@contextmanager
def connection_locked(connection_id: int) -> Iterator[None]:
    """A transaction holding the connection's row lock (PostgreSQL; SQLite serialises write
    transactions), so two workers never both decide the connection is free."""
    with transaction.atomic():
        QuickBooksConnection.objects.select_for_update().filter(pk=connection_id).exists()
        yield


def record(
    *,
    connection: QuickBooksConnection,
    direction: str,
    trigger: str,
    started_by=None,
    running: bool = False,
    sale=None,
) -> SyncRun:
    """A new run, ``queued`` (or ``running`` from now, for work that starts at once); a push names
    its ``sale``."""
    return SyncRun.objects.create(
        connection=connection,
        entity_id=connection.entity_id,
        direction=direction,
        trigger=trigger,
        started_by=started_by,
        status=RunStatus.RUNNING if running else RunStatus.QUEUED,
        started_at=timezone.now() if running else None,
        sale=sale,
    )


def log(
    run: SyncRun,
    action: str,
    message: str,
    *,
    object_type: str = "SyncRun",
    object_ref: str = "",
    details: dict[str, Any] | None = None,
) -> SyncLogEntry:
    """A sync log line of the run; by default about the run as a whole."""
    return write_log(
        connection=run.connection,
        direction=run.direction,
        action=action,
        message=message,
        run=run,
        object_type=object_type,
        object_ref=object_ref or (str(run.pk) if object_type == "SyncRun" else ""),
        details=details,
    )


def _outlived() -> datetime:
    """Runs queued before this have outlived the longest a run can take."""
    return timezone.now() - longest_run()


def _fail_lost(candidates, what: str) -> int:
    """Record as failed the ``candidates`` (runs still queued or running) that outlived
    ``longest_run``; ``what`` names them in the log line. Returns how many."""
    lost = list(candidates.filter(queued_at__lte=_outlived()).select_related("connection"))
    for run in lost:
        fail(run, WORKER_LOST, log_message=f"{what} recorded as failed: {WORKER_LOST}")
    return len(lost)


def unfinished(connection: QuickBooksConnection, direction: str = SyncDirection.PULL) -> SyncRun | None:
    """The connection's newest run still queued or running, if it has not outlived ``longest_run``."""
    runs = SyncRun.objects.filter(connection=connection, direction=direction, status__in=UNFINISHED)
    return runs.filter(queued_at__gt=_outlived()).order_by("-queued_at", "-id").first()


def running(connection: QuickBooksConnection, direction: str = SyncDirection.PULL) -> bool:
    """Whether a run of the connection is running (and has not outlived ``longest_run``)."""
    return SyncRun.objects.filter(
        connection=connection, direction=direction, status=RunStatus.RUNNING, queued_at__gt=_outlived()
    ).exists()


def close_lost(connection: QuickBooksConnection, direction: str = SyncDirection.PULL) -> int:
    """Record as failed the connection's runs that outlived ``longest_run`` still queued or running.
    Call under ``connection_locked``. Returns how many."""
    candidates = SyncRun.objects.filter(connection=connection, direction=direction, status__in=UNFINISHED)
    return _fail_lost(candidates, "Sync")


def push_under_way(sale_id: int) -> bool:
    """Whether a push of the sale is running (and has not outlived ``longest_run``)."""
    return SyncRun.objects.filter(
        sale_id=sale_id, direction=SyncDirection.PUSH, status=RunStatus.RUNNING, queued_at__gt=_outlived()
    ).exists()


def close_lost_pushes(sale_id: int) -> int:
    """Record as failed the sale's push runs that outlived ``longest_run`` still running."""
    candidates = SyncRun.objects.filter(sale_id=sale_id, direction=SyncDirection.PUSH, status=RunStatus.RUNNING)
    return _fail_lost(candidates, "Push")


def start(run: SyncRun) -> bool:
    """Mark the run running unless another run of its connection and direction is running (then
    it is skipped). Runs that lost their worker are closed first, so they never block."""
    connection = run.connection
    with connection_locked(connection.pk):
        close_lost(connection, run.direction)
        busy = SyncRun.objects.filter(
            connection=connection, direction=run.direction, status=RunStatus.RUNNING
        ).exclude(pk=run.pk)
        if busy.exists():
            skip(run, "another sync of this connection is still running.")
            return False
        run.status, run.started_at = RunStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])
        return True


def skip(run: SyncRun, reason: str) -> SyncRun:
    """End the run as ``skipped``: nothing was tried, for ``reason`` (a sentence's end)."""
    run.status, run.finished_at, run.error_message = RunStatus.SKIPPED, timezone.now(), reason
    run.save(update_fields=["status", "finished_at", "error_message"])
    log(run, SyncAction.SKIPPED, f"Sync skipped: {reason}")
    signals.send_after_commit(signals.run_finished, run=run)
    return run


def fail(
    run: SyncRun,
    message: str,
    *,
    retryable: bool = False,
    counter: CallCounter | None = None,
    log_message: str = "",
    object_type: str = "SyncRun",
    object_ref: str = "",
    details: dict[str, Any] | None = None,
) -> SyncRun:
    """End the run as ``error`` with ``message`` kept on it and one log line (by default the
    pull's "no figure was changed"). ``retryable``: a later try may succeed (throttled, unreachable)."""
    run.status, run.finished_at = RunStatus.ERROR, timezone.now()
    run.error_message, run.retryable = message, retryable
    if counter is not None:
        run.qbo_calls = counter.total
    run.save(update_fields=["status", "finished_at", "error_message", "retryable", "qbo_calls", "counts"])
    log(
        run,
        SyncAction.ERROR,
        log_message or f"Sync failed, no figure was changed: {message}",
        object_type=object_type,
        object_ref=object_ref,
        details=details,
    )
    signals.send_after_commit(signals.run_finished, run=run)
    return run


def succeed(run: SyncRun, *, counter: CallCounter | None = None, fields: tuple[str, ...] = ()) -> SyncRun:
    """End the run as ``success``, saving ``fields`` the work set on it (counts, changed months)."""
    run.status, run.finished_at = RunStatus.SUCCESS, timezone.now()
    if counter is not None:
        run.qbo_calls = counter.total
    run.save(update_fields=["status", "finished_at", "qbo_calls", *fields])
    signals.send_after_commit(signals.run_finished, run=run)
    return run
