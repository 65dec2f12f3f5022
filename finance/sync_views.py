"""The pull-sync parts of the QuickBooks dashboard: each connection's card (which polls itself while
a run is under way), Sync now, and the sync log page. Thin: check the role, call a service or a query, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Entity
from accounts.permissions import FINANCE_ROLES, member_required

from .connection_health import add_health, last_pull_runs
from .models import (
    QuickBooksConnection,
    QuickBooksSettings,
    RunStatus,
    RunTrigger,
    SyncAction,
    SyncDirection,
    SyncLogEntry,
    SyncRun,
)
from .presentation import card_state, change_lines, error_text, log_message, log_object, trigger_text
from .quickbooks.jobs import queue_sync

LOG_PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)


# --- a run as people read it --------------------------------------------------------------------


def run_context(run: SyncRun | None) -> dict:
    if run is None:
        return {"run": None}
    when = run.finished_at or run.started_at or run.queued_at
    changes = change_lines(run, run.entity.home_currency)
    unfinished = run.status in UNFINISHED
    return {"run": run, "unfinished": unfinished, "changes": changes, "when": when, "trigger": trigger_text(run)}


def add_card_state(rows: list[dict]) -> None:
    """Each row's one status badge (it reflects the last run too) and its error as a sentence."""
    for row in rows:
        last, connection = row.get("last_run") or {}, row["connection"]
        run, health = last.get("run"), row.get("health")
        row["state"] = card_state(
            connection, run, stale=bool(health and health.stale), unfinished=bool(last.get("unfinished"))
        )
        if connection and connection.realm_id and connection.status == "needs_reconnect":
            row["error"] = error_text(connection.status_reason or "QuickBooks no longer accepts the authorization")
        elif run is not None and run.status in (RunStatus.ERROR, RunStatus.SKIPPED) and run.error_message:
            failed = run.status == RunStatus.ERROR
            failed = run.status == RunStatus.ERROR
            prefix = "The last sync failed, no figure was changed: " if failed else "The last sync was skipped: "
            text = error_text(run.error_message)
            row["error"] = type(text)(prefix + text.sentence[:1].lower() + text.sentence[1:], text.details)


# --- the sync log table -------------------------------------------------------------------------


@dataclass
class LogLine:
    entry: SyncLogEntry
    object: object
    error: object
    message: str = ""


@dataclass
class LogPage:
    lines: list[LogLine]
    filters: dict[str, str]
    older_url: str
    newest_url: str
    is_first: bool


def cursor_of(entry: SyncLogEntry) -> str:
    micros = (entry.created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{entry.pk}"


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    micros, _, pk = value.partition("-")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return EPOCH + timedelta(microseconds=int(micros)), int(pk)


def log_filters(company, params) -> dict[str, str]:
    """The filters of the request that name something real; the others are dropped."""
    filters = {}
    entity = params.get("entity", "")
    if entity.isdigit() and Entity.objects.filter(company=company, pk=int(entity)).exists():
        filters["entity"] = entity
    if params.get("direction") in SyncDirection.values:
        filters["direction"] = params["direction"]
    if params.get("action") in SyncAction.values:
        filters["action"] = params["action"]
    return filters


def sync_log_page(company, params, *, page_size: int = LOG_PAGE_SIZE) -> LogPage:
    """Newest first, keyset-paginated on (created_at, id) so that every page costs one indexed query."""
    filters = log_filters(company, params)
    entries = SyncLogEntry.objects.filter(company=company).select_related("entity", "run__sale")
    if "entity" in filters:
        entries = entries.filter(entity_id=int(filters["entity"]))
    for key in ("direction", "action"):
        if key in filters:
            entries = entries.filter(**{key: filters[key]})
    cursor = parse_cursor(params.get("before", ""))
    if cursor:
        when, pk = cursor
        entries = entries.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
    rows = list(entries.order_by("-created_at", "-id")[: page_size + 1])
    base = reverse("finance:qb_log")
    older = ""
    if len(rows) > page_size:
        rows = rows[:page_size]
        older = f"{base}?{urlencode({**filters, 'before': cursor_of(rows[-1])})}"
    newest = f"{base}?{urlencode(filters)}" if filters else base
    lines = [LogLine(entry, log_object(entry), log_error(entry), log_message(entry)) for entry in rows]
    return LogPage(lines, filters, older, newest, is_first=cursor is None)


def log_error(entry: SyncLogEntry):
    if entry.action not in (SyncAction.ERROR, SyncAction.REFRESH_FAILED, SyncAction.SKIPPED):
        return None
    return error_text(entry.message)


@require_GET
@member_required(*FINANCE_ROLES)
def sync_log(request):
    """The sync log on its own page: newest first, filtered, a page of 50 lines at a time."""
    company = request.membership.company
    context = {
        "log": sync_log_page(company, request.GET),
        "log_entities": list(Entity.objects.filter(company=company)),
        "log_directions": SyncDirection.choices,
        "log_actions": SyncAction.choices,
    }
    return render(request, "finance/qb_log.html", context)


# --- views --------------------------------------------------------------------------------------


@require_POST
@member_required(*FINANCE_ROLES)
def sync_now(request, entity_id: int):
    connection = get_object_or_404(
        QuickBooksConnection.objects.select_related("entity"), entity_id=entity_id, company=request.membership.company
    )
    name = connection.entity.name
    if not connection.is_active:
        flash = ("error", f"{name} is not connected to QuickBooks: connect it before syncing.")
    else:
        run = queue_sync(connection=connection, trigger=RunTrigger.MANUAL, started_by=request.user)
        run.refresh_from_db()  # with jobs inline (the demo) it has already finished
        flash = outcome(name, run)
    if request.htmx:  # the card, updated in place; it polls itself while the run is queued or running
        return card_response(request, connection.entity, flash)
    getattr(messages, flash[0])(request, flash[1])
    return redirect(f"{reverse('finance:qb')}#entity-{entity_id}")


def outcome(name: str, run: SyncRun) -> tuple[str, str]:
    """(message level, sentence) of a Sync now."""
    if run.status == RunStatus.SUCCESS:
        changed = len(run.changed_months)
        return "success", f"{name} synced from QuickBooks: {changed} month{'s' if changed != 1 else ''} changed."
    if run.status == RunStatus.ERROR:
        return "error", f"{name}: the sync failed, no figure was changed. {error_text(run.error_message).sentence}"
    if run.status == RunStatus.SKIPPED:
        return "warning", f"{name}: sync skipped, {error_text(run.error_message).sentence[:1].lower()}" + (
            error_text(run.error_message).sentence[1:]
        )
    return "info", f"{name}: sync queued; this card updates when it ends."


def card_rows(company, entity: Entity | None = None) -> list[dict]:
    """One row per entity (or just ``entity``): its connection, last run, health, status badge."""
    entities = Entity.objects.filter(company=company)
    if entity is not None:
        entities = entities.filter(pk=entity.pk)
    connections = {
        c.entity_id: c for c in QuickBooksConnection.objects.filter(company=company).select_related("connected_by")
    }
    rows = [{"entity": e, "connection": connections.get(e.pk)} for e in entities]
    runs = last_pull_runs(company)
    for row in rows:
        row["last_run"] = run_context(runs.get(row["entity"].pk))
    add_health(company, rows)
    add_card_state(rows)
    return rows


def card_page_context(company) -> dict:
    qb_settings = QuickBooksSettings.objects.filter(company=company).first()
    return {
        "settings_complete": bool(qb_settings and qb_settings.is_complete),
        "stale_after_hours": settings.QBO_STALE_AFTER_HOURS,
    }


def card_response(request, entity, flash: tuple[str, str] | None = None):
    company = request.membership.company
    [row] = card_rows(company, entity)
    if flash:
        row["flash"] = {"level": flash[0], "text": flash[1]}
    return render(request, "finance/_qb_card.html", {"row": row, **card_page_context(company)})


@require_GET
@member_required(*FINANCE_ROLES)
def card(request, entity_id: int):
    """One connection's card, which polls this while its run is queued or running."""
    entity = get_object_or_404(Entity, pk=entity_id, company=request.membership.company)
    return card_response(request, entity)
