"""Queue pull syncs as background jobs: one connection (Sync now) or every active one (the hourly
beat task and the cron endpoint).

Each job is recorded as a ``queued`` run first; the Celery task is sent only once that row is
committed (``transaction.on_commit``), so a worker always finds it. A connection whose previous
pull is still queued or running is not queued again.

The task is sent by its registered name: the tasks module imports this one, never the reverse.
With jobs inline (no broker), sending a task runs it at once; a sync that raises there is already
recorded as failed on its run, so the fan-out goes on with the next connection.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from celery import current_app
from celery.result import EagerResult
from django.conf import settings
from django.db import transaction

from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, RunTrigger, SyncDirection, SyncRun
from finance.quickbooks import runs

SYNC_TASK = "finance.tasks.sync_connection_task"
FANOUT_TASK = "finance.tasks.sync_all_connections"
CHUNK_TASK = "finance.tasks.queue_syncs_task"
logger = logging.getLogger(__name__)


@dataclass
class QueuedSyncs:
    queued: int = 0
    skipped_running: int = 0
    needs_reconnect: int = 0
    failed: int = 0  # with jobs inline: queued syncs that ended in error before the answer

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def send_sync(run: SyncRun) -> None:
    """Send the run's sync job once the run is committed. A job that raises while running inline
    is logged here: its run already holds the failure."""
    args = (run.connection_id, run.trigger)
    kwargs = {"user_id": run.started_by_id, "run_id": run.pk}

    def send() -> None:
        try:
            current_app.signature(SYNC_TASK, args=args, kwargs=kwargs).delay()
        except Exception:  # noqa: BLE001 - only an inline job raises here; the others must still run
            logger.exception("QuickBooks sync job of run %s raised; its run records the failure", run.pk)

    transaction.on_commit(send)


def queue_sync(*, connection: QuickBooksConnection, trigger: str, started_by=None) -> SyncRun:
    """Sync now: the run already queued or running for this connection, else a new queued one."""
    with runs.connection_locked(connection.pk):
        runs.close_lost(connection)
        pending = runs.unfinished(connection)
        if pending is not None:
            return pending
        run = runs.record(
            connection=connection, direction=SyncDirection.PULL, trigger=trigger, started_by=started_by
        )
        send_sync(run)
        return run


def queue_webhook_sync(*, connection: QuickBooksConnection) -> SyncRun:
    """A sync for a change QuickBooks told us about. Bursts coalesce: while a sync of the connection
    waits in the queue, it will read this change too, so nothing more is queued; while one runs
    (and may have read past the change already), one more waits behind it."""
    with runs.connection_locked(connection.pk):
        runs.close_lost(connection)
        waiting = (
            SyncRun.objects.filter(connection=connection, direction=SyncDirection.PULL, status=RunStatus.QUEUED)
            .order_by("-queued_at", "-id")
            .first()
        )
        if waiting is not None:  # lost ones were closed just above
            return waiting
        run = runs.record(connection=connection, direction=SyncDirection.PULL, trigger=RunTrigger.WEBHOOK)
        send_sync(run)
        return run


def start_fanout(*, trigger: str) -> dict[str, int | str]:
    """The cron endpoint's one job: the fan-out, sent as a task so the request does the same small
    work whatever the number of connections. With jobs inline it has run by the time this returns
    and its counts are the answer; with workers, the number of connections it will go through."""
    result = current_app.signature(FANOUT_TASK, kwargs={"trigger": trigger}).delay()
    if isinstance(result, EagerResult):  # jobs inline: the fan-out ran in this request
        return result.get()
    return {"fanout": "queued", "connections": active_connections().count()}


def active_connections():
    return QuickBooksConnection.objects.exclude(realm_id="").filter(
        status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.NEEDS_RECONNECT]
    )


def queue_all_syncs(*, trigger: str) -> dict[str, int]:
    """The fan-out: every active connection of every company gets its sync queued. With workers the
    connections go out in chunks of QBO_FANOUT_CHUNK, each a task of its own (a few thousand
    connections are a few messages here, and the chunks are queued side by side by the workers);
    with jobs inline they are queued here and the counts come back."""
    ids = list(active_connections().order_by("pk").values_list("pk", flat=True))
    if current_app.conf.task_always_eager:
        return queue_syncs(ids, trigger=trigger).as_dict()
    size = settings.QBO_FANOUT_CHUNK
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    for chunk in chunks:
        current_app.signature(CHUNK_TASK, args=(chunk, trigger)).delay()
    return {"connections": len(ids), "chunks": len(chunks)}


def queue_syncs(connection_ids: list[int], *, trigger: str) -> QueuedSyncs:
    """One job per connection of ``connection_ids`` that is still active. A connection that needs
    reconnecting gets a ``skipped`` run and log line; one whose previous pull is unfinished gets a
    ``skipped`` run too."""
    counts = QueuedSyncs()
    queued: list[int] = []
    connections = active_connections().filter(pk__in=connection_ids).select_related("entity").order_by("pk")
    for connection in connections:
        with runs.connection_locked(connection.pk):
            runs.close_lost(connection)
            busy = runs.unfinished(connection) is not None
            run = runs.record(connection=connection, direction=SyncDirection.PULL, trigger=trigger)
            if connection.status != ConnectionStatus.CONNECTED:
                runs.skip(run, "needs reconnect; an admin must connect it again.")
                counts.needs_reconnect += 1
            elif busy:
                runs.skip(run, "the previous sync of this connection is still going.")
                counts.skipped_running += 1
            else:
                send_sync(run)
                queued.append(run.pk)
                counts.queued += 1
    counts.failed = SyncRun.objects.filter(pk__in=queued, status=RunStatus.ERROR).count()
    return counts
