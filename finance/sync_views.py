"""The pull-sync parts of the QuickBooks dashboard: Sync now, the run status it polls, each entity's
last sync and the sync log table. Thin: check the role, call a service or a query, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import OuterRef, Q, Subquery
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Entity
from accounts.permissions import FINANCE_ROLES, member_required

from .models import QuickBooksConnection, RunStatus, RunTrigger, SyncAction, SyncDirection, SyncLogEntry, SyncRun
from .presentation import change_lines
from .quickbooks.jobs import queue_sync

LOG_PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)


# --- a run as people read it --------------------------------------------------------------------


def run_context(run: SyncRun | None) -> dict:
    if run is None:
        return {"run": None}
    return {"run": run, "unfinished": run.status in UNFINISHED, "changes": change_lines(run)}


def last_runs(company) -> dict[int, SyncRun]:
    """Each entity's latest pull run, in two queries whatever the number of runs."""
    latest = SyncRun.objects.filter(entity=OuterRef("pk"), direction=SyncDirection.PULL).order_by("-queued_at", "-id")
    ids = (
        Entity.objects.filter(company=company)
        .annotate(last_run=Subquery(latest.values("pk")[:1]))
        .values_list("last_run", flat=True)
    )
    return {run.entity_id: run for run in SyncRun.objects.filter(pk__in=[i for i in ids if i])}


# --- the sync log table -------------------------------------------------------------------------


@dataclass
class LogPage:
    entries: list[SyncLogEntry]
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
    entries = SyncLogEntry.objects.filter(company=company).select_related("entity")
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
    base = reverse("finance:qb")
    older = ""
    if len(rows) > page_size:
        rows = rows[:page_size]
        older = f"{base}?{urlencode({**filters, 'before': cursor_of(rows[-1])})}#sync-log"
    newest = f"{base}?{urlencode(filters)}#sync-log" if filters else f"{base}#sync-log"
    return LogPage(rows, filters, older, newest, is_first=cursor is None)


def dashboard_context(request, rows: list[dict]) -> dict:
    """What the dashboard needs for syncing: each row's last run, and the sync log table."""
    company = request.membership.company
    runs = last_runs(company)
    for row in rows:
        row["last_run"] = run_context(runs.get(row["entity"].pk))
    return {
        "log": sync_log_page(company, request.GET),
        "log_entities": [row["entity"] for row in rows],
        "log_directions": SyncDirection.choices,
        "log_actions": SyncAction.choices,
    }


# --- views --------------------------------------------------------------------------------------


@require_POST
@member_required(*FINANCE_ROLES)
def sync_now(request, entity_id: int):
    connection = get_object_or_404(
        QuickBooksConnection.objects.select_related("entity"), entity_id=entity_id, company=request.membership.company
    )
    name = connection.entity.name
    if not connection.is_active:
        messages.error(request, f"{name} is not connected to QuickBooks: connect it before syncing.")
        return redirect("finance:qb")
    run = queue_sync(connection=connection, trigger=RunTrigger.MANUAL, started_by=request.user)
    run.refresh_from_db()  # with jobs inline (the demo) it has already finished
    if run.status == RunStatus.SUCCESS:
        changed = len(run.changed_months)
        messages.success(request, f"{name} synced from QuickBooks: {changed} month(s) changed.")
    elif run.status == RunStatus.ERROR:
        messages.error(request, f"{name}: the sync failed. {run.error_message}")
    elif run.status == RunStatus.SKIPPED:
        messages.warning(request, f"{name}: sync skipped, {run.error_message}")
    else:
        messages.info(request, f"{name}: sync queued.")
    return redirect(f"{reverse('finance:qb')}#entity-{entity_id}")


@require_GET
@member_required(*FINANCE_ROLES)
def sync_status(request, run_id: int):
    run = get_object_or_404(SyncRun, pk=run_id, entity__company=request.membership.company)
    html = render_to_string("finance/_qb_last_sync.html", run_context(run), request=request)
    return JsonResponse({"run": run.pk, "status": run.status, "finished": run.status not in UNFINISHED, "html": html})
