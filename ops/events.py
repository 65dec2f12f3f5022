"""Operational events as structured log lines on the ``otiumwork.events`` logger: one per sync, push,
connection event and scheduled fan-out, with company, entity, realm, run, trigger, QuickBooks calls,
duration and outcome. Never a token or a secret: only ids, counts and the product's own sentences."""

from __future__ import annotations

import logging
from typing import Any

from finance.models import QuickBooksConnection, RunStatus, SyncDirection, SyncLogEntry, SyncRun

logger = logging.getLogger("otiumwork.events")
EVENT_OF_DIRECTION = {SyncDirection.PULL: "quickbooks.sync", SyncDirection.PUSH: "quickbooks.push"}


def emit(event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra={"fields": {"event": event, **fields}})


def connection_fields(connection: QuickBooksConnection) -> dict[str, Any]:
    return {"company": connection.company_id, "entity": connection.entity_id, "realm": connection.realm_id}


def run_finished(run: SyncRun) -> None:
    began = run.started_at or run.queued_at
    duration_ms = round((run.finished_at - began).total_seconds() * 1000) if run.finished_at and began else None
    fields: dict[str, Any] = {
        **connection_fields(run.connection),
        "run": run.pk,
        "trigger": run.trigger,
        "qbo_calls": run.qbo_calls,
        "duration_ms": duration_ms,
        "outcome": run.status,
    }
    if run.sale_id:
        fields["sale"] = run.sale_id
    if run.status != RunStatus.SUCCESS and run.error_message:
        fields["reason"] = run.error_message
    level = logging.WARNING if run.status == RunStatus.ERROR else logging.INFO
    emit(EVENT_OF_DIRECTION.get(run.direction, "quickbooks.run"), level=level, **fields)


def connection_event(entry: SyncLogEntry, connection: QuickBooksConnection) -> None:
    level = logging.WARNING if entry.action == "refresh_failed" else logging.INFO
    emit(
        "quickbooks.connection",
        level=level,
        **{**connection_fields(connection), "realm": connection.realm_id or entry.object_ref},
        action=entry.action,
        outcome=connection.status,
        detail=entry.message,
    )


def fanout_finished(trigger: str, counts: dict[str, int]) -> None:
    emit("quickbooks.fanout", trigger=trigger, **counts)
