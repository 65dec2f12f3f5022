"""Celery tasks of the QuickBooks integration: thin wrappers that load rows by id and call the services.

``finance.quickbooks.jobs`` sends ``sync_connection_task`` by its name (it must not import this
module, which imports it)."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from finance import signals
from finance.models import QuickBooksConnection, RunStatus, RunTrigger, SyncRun
from finance.quickbooks import incremental, pull, runs
from finance.quickbooks.jobs import queue_all_syncs, queue_syncs

RETRY_DELAYS = (120, 600, 1800)  # seconds before each new try of a run that failed transiently
WAIT_BEHIND_RUNNING = 10  # seconds before a webhook's sync looks again whether the running one ended
# Scheduled and webhook syncs read what changed (the mirror); Sync now and the shell read in full.
INCREMENTAL = {RunTrigger.BEAT, RunTrigger.CRON, RunTrigger.WEBHOOK}


@shared_task(bind=True, max_retries=len(RETRY_DELAYS), acks_late=True)
def sync_connection_task(self, connection_id: int, trigger: str, user_id: int | None = None, run_id: int | None = None):
    """Pull one connection. A run that failed transiently (throttled, QuickBooks unreachable) is tried
    again later as a new run; any other outcome is final and kept on its run. A webhook's sync that
    finds another sync of the connection running waits behind it instead of being skipped."""
    connection = QuickBooksConnection.objects.select_related("entity").filter(pk=connection_id).first()
    if connection is None:
        return None
    run = SyncRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).first() if run_id else None
    if run_id and run is None:
        return None  # already taken by another delivery of this message
    if run is not None and run.trigger == RunTrigger.WEBHOOK and not self.request.is_eager and runs.running(connection):
        raise self.retry(countdown=WAIT_BEHIND_RUNNING, max_retries=None)  # the run stays queued
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    sync = incremental.sync_connection if trigger in INCREMENTAL else pull.sync_connection
    run = sync(connection=connection, trigger=trigger, started_by=user, run=run)
    if run.status == RunStatus.ERROR and run.retryable and not self.request.is_eager:
        delay = RETRY_DELAYS[min(self.request.retries, len(RETRY_DELAYS) - 1)]
        raise self.retry(args=(connection_id, trigger), kwargs={"user_id": user_id, "run_id": None}, countdown=delay)
    return {"run": run.pk, "status": run.status}


@shared_task
def sync_all_connections(trigger: str = "beat") -> dict[str, int]:
    """The fan-out: one sync job per active connection of every company (beat runs it hourly). Its end
    is announced: the scheduler's heartbeat."""
    counts = queue_all_syncs(trigger=trigger)
    signals.fanout_finished.send_robust(sender=None, trigger=trigger, counts=counts)
    return counts


@shared_task
def queue_syncs_task(connection_ids: list[int], trigger: str) -> dict[str, int]:
    """One chunk of the fan-out: queue the syncs of these connections."""
    return queue_syncs(connection_ids, trigger=trigger).as_dict()
