"""Operations listening to the QuickBooks integration (``finance.signals``): each ended run, each
connection event and each scheduled fan-out becomes a structured log line, feeds the alerts and,
for the fan-out, the scheduler's heartbeat."""

from __future__ import annotations

from django.dispatch import receiver

from finance import signals
from finance.models import QuickBooksConnection, SyncAction, SyncDirection
from ops import alerts, events, heartbeat


@receiver(signals.run_finished)
def on_run_finished(sender, *, run, **kwargs) -> None:
    events.run_finished(run)
    if run.direction == SyncDirection.PULL:
        alerts.pull_finished(run)


@receiver(signals.connection_event)
def on_connection_event(sender, *, entry, **kwargs) -> None:
    connection = QuickBooksConnection.objects.filter(company_id=entry.company_id, entity_id=entry.entity_id).first()
    if connection is None:
        return
    events.connection_event(entry, connection)
    if entry.action == SyncAction.REFRESH_FAILED:
        alerts.connection_needs_reconnect(connection, since=entry.created_at)
    elif entry.action in (SyncAction.CONNECTED, SyncAction.DISCONNECTED):
        alerts.connection_restored(connection)
    elif entry.action == SyncAction.REFRESHED:
        alerts.check_token_expiry(connection)


@receiver(signals.fanout_finished)
def on_fanout_finished(sender, *, trigger, counts, **kwargs) -> None:
    heartbeat.record(heartbeat.FANOUT)
    events.fanout_finished(trigger, counts)
