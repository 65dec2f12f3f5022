"""Queue pull syncs as background jobs: one connection (Sync now) or every active one (the hourly
beat task and the cron endpoint, SPEC 6).

Each job is recorded as a ``queued`` run first; the Celery task is sent only once that row is
committed (``transaction.on_commit``), so a worker always finds it. A connection whose previous
pull is still queued or running is not queued again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, SyncDirection, SyncRun
from finance.quickbooks.pull import finish_skipped, record_run


@dataclass
class QueuedSyncs:
    queued: int = 0
    skipped_running: int = 0
    needs_reconnect: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _send(run: SyncRun) -> None:
    from finance.tasks import sync_connection_task  # tasks import the services, not the reverse

    user_id = run.started_by_id
    transaction.on_commit(
        lambda: sync_connection_task.delay(run.connection_id, run.trigger, user_id=user_id, run_id=run.pk)
    )


def unfinished_pull(connection: QuickBooksConnection) -> SyncRun | None:
    """The connection's pull run that is still queued or running (and not abandoned), if any."""
    since = timezone.now() - timedelta(seconds=settings.QBO_SYNC_LOCK_SECONDS)
    return (
        SyncRun.objects.filter(
            connection=connection,
            direction=SyncDirection.PULL,
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            queued_at__gt=since,
        )
        .order_by("-queued_at", "-id")
        .first()
    )


def queue_sync(*, connection: QuickBooksConnection, trigger: str, started_by=None) -> SyncRun:
    """Sync now: the run already queued or running for this connection, else a new queued one."""
    with transaction.atomic():
        QuickBooksConnection.objects.select_for_update().filter(pk=connection.pk).exists()
        pending = unfinished_pull(connection)
        if pending is not None:
            return pending
        run = record_run(connection=connection, trigger=trigger, started_by=started_by)
        _send(run)
        return run


def queue_all_syncs(*, trigger: str) -> QueuedSyncs:
    """One job per active connection of every company. A connection that needs reconnecting gets a
    ``skipped`` run and log line; one whose previous pull is unfinished gets a ``skipped`` run too."""
    counts = QueuedSyncs()
    connections = (
        QuickBooksConnection.objects.exclude(realm_id="")
        .filter(status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.NEEDS_RECONNECT])
        .select_related("entity")
        .order_by("pk")
    )
    for connection in connections:
        with transaction.atomic():
            QuickBooksConnection.objects.select_for_update().filter(pk=connection.pk).exists()
            if connection.status != ConnectionStatus.CONNECTED:
                run = record_run(connection=connection, trigger=trigger)
                finish_skipped(run, connection, "needs reconnect; an admin must connect it again.")
                counts.needs_reconnect += 1
            elif unfinished_pull(connection) is not None:
                run = record_run(connection=connection, trigger=trigger)
                finish_skipped(run, connection, "the previous sync of this connection is still going.")
                counts.skipped_running += 1
            else:
                _send(record_run(connection=connection, trigger=trigger))
                counts.queued += 1
    return counts
