"""Write lines of the QuickBooks sync log (the `quickbooks_sync_log` table shown on the dashboard).

A line about the connection itself (connected, refreshed, refresh failed, disconnected) is also
announced once committed (``finance.signals.connection_event``)."""

from typing import Any

from finance import signals
from finance.models import QuickBooksConnection, SyncDirection, SyncLogEntry, SyncRun


def write_log(
    *,
    connection: QuickBooksConnection,
    direction: str,
    action: str,
    message: str,
    run: SyncRun | None = None,
    object_type: str = "",
    object_ref: str = "",
    details: dict[str, Any] | None = None,
) -> SyncLogEntry:
    entry = SyncLogEntry.objects.create(
        company_id=connection.company_id,
        entity_id=connection.entity_id,
        run=run,
        direction=direction,
        action=action,
        message=message,
        object_type=object_type,
        object_ref=object_ref,
        details=details or {},
    )
    if direction == SyncDirection.CONNECTION:
        signals.send_after_commit(signals.connection_event, entry=entry)
    return entry
