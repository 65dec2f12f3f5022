"""Write lines of the QuickBooks sync log (the `quickbooks_sync_log` table shown on the dashboard)."""

from typing import Any

from finance.models import QuickBooksConnection, SyncLogEntry, SyncRun


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
    return SyncLogEntry.objects.create(
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
