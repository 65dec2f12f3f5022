"""Connection health for the QuickBooks page, per entity: how fresh its figures are, when its
QuickBooks authorization expires, the QuickBooks calls it spends (Intuit meters reads), and how its
balances tie out with QuickBooks' aged reports. A constant number of queries for the whole page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone

from accounts.models import Entity

from .mirror.models import MirrorState
from .models import MonthlySnapshot, QuickBooksConnection, RunStatus, SyncDirection, SyncRun
from .money import money_text
from .presentation import card_state, error_text
from .webhooks.models import SeenEvent

TOKEN_WARNING = timedelta(days=14)
SIDES = {"ar": ("Open AR", "A/R aging", "payments"), "ap": ("Open AP", "A/P aging", "bill payments")}


@dataclass
class TieOutLine:
    side: str
    status: str  # matches | rounding | explained | differs | unavailable
    text: str
    short: str = ""  # "Open AR matches", "Open AP differs by USD -563,875.39": the card's one line


@dataclass
class Health:
    data_as_of: datetime | None = None
    stale: bool = False
    token_expires_at: datetime | None = None
    token_days_left: int | None = None
    token_warning: bool = False
    calls_last_run: int | None = None
    calls_24h: int = 0
    tie_out: list[TieOutLine] = field(default_factory=list)
    # How the data is kept current: webhook events received, the mirror's last incremental and full sync.
    webhooks_24h: int = 0
    last_incremental_at: datetime | None = None
    last_full_at: datetime | None = None

    @property
    def tie_out_summary(self) -> str:
        return " · ".join(line.short for line in self.tie_out if line.short)


def tie_out_lines(tie_out: dict, currency: str = "") -> list[TieOutLine]:
    """What the run's tie-out says, in words a finance user checks against QuickBooks; amounts in
    ``currency`` (the entity's home currency, the reports' currency)."""
    if not tie_out:
        return []
    if "error" in tie_out:
        text = error_text(tie_out["error"]).sentence
        return [TieOutLine("", "unavailable", f"Tie-out unavailable: {text}", "Tie-out unavailable")]
    as_of = date.fromisoformat(tie_out["as_of"])
    return [side_line(side, tie_out[side], as_of, currency) for side in SIDES if side in tie_out]


def side_line(side: str, result: dict, as_of: date, currency: str = "") -> TieOutLine:
    label, report, payments = SIDES[side]
    status, qb = result["status"], money_text(result["quickbooks"], currency)
    where = f"QuickBooks' {report} on {as_of:%Y-%m-%d}"
    if status == "matches":
        return TieOutLine(label, status, f"{label} matches QuickBooks ({qb} in {where}).", f"{label} matches")
    difference = money_text(result["difference"], currency)
    short = f"{label} differs by {difference}"
    if status == "rounding":
        text = f"{label} matches QuickBooks within rounding of foreign-currency documents (differs by {difference})."
        return TieOutLine(label, status, text, f"{label} matches within rounding")
    causes = []
    if Decimal(result["credit_memos"]):
        causes.append(f"open credit memos {money_text(result['credit_memos'], currency)}")
    if Decimal(result["unapplied"]):
        causes.append(f"unapplied {payments} {money_text(result['unapplied'], currency)}")
    text = f"{label} differs by {difference} from {where} ({qb})"
    if status == "explained":
        text += f": {' and '.join(causes)}, which the snapshots do not count."
    else:
        explained = -(Decimal(result["credit_memos"]) + Decimal(result["unapplied"]))
        known = f"; {' and '.join(causes)} explain {money_text(explained, currency)}" if causes else ""
        text += (
            f"{known}; the rest ({money_text(result['unexplained'], currency)}) is something else the snapshots do not "
            "count: journal entries on the account, or credits and unapplied payments dated before the sync window."
        )
    return TieOutLine(label, status, text, short)


def last_successes(company) -> dict[int, SyncRun]:
    latest = SyncRun.objects.filter(
        entity=OuterRef("pk"), direction=SyncDirection.PULL, status=RunStatus.SUCCESS
    ).order_by("-finished_at", "-id")
    ids = (
        Entity.objects.filter(company=company)
        .annotate(last_success=Subquery(latest.values("pk")[:1]))
        .values_list("last_success", flat=True)
    )
    return {run.entity_id: run for run in SyncRun.objects.filter(pk__in=[i for i in ids if i])}


def calls_since(company, since: datetime) -> dict[int, int]:
    """QuickBooks calls of every run (pulls and pushes) queued since ``since``, per entity."""
    rows = (
        SyncRun.objects.filter(entity__company=company, queued_at__gte=since)
        .values("entity_id")
        .annotate(calls=Sum("qbo_calls"))
    )
    return {row["entity_id"]: row["calls"] or 0 for row in rows}


def add_health(company, rows: list[dict], *, now: datetime | None = None) -> None:
    """Set ``row["health"]`` on each dashboard row that has a QuickBooks connection."""
    now = now or timezone.now()
    successes = last_successes(company)
    calls = calls_since(company, now - timedelta(hours=24))
    stale_after = timedelta(hours=settings.QBO_STALE_AFTER_HOURS)
    webhooks = dict(
        SeenEvent.objects.filter(company=company, received_at__gte=now - timedelta(hours=24))
        .values_list("realm_id")
        .annotate(n=Count("id"))
    )
    mirrors = {m.connection_id: m for m in MirrorState.objects.filter(connection__company=company)}
    for row in rows:
        entity, connection = row["entity"], row["connection"]
        if not connection or not connection.realm_id:
            continue
        health = Health(calls_24h=calls.get(entity.pk, 0), webhooks_24h=webhooks.get(connection.realm_id, 0))
        mirror = mirrors.get(connection.pk)
        if mirror is not None and mirror.realm_id == connection.realm_id:
            health.last_incremental_at, health.last_full_at = mirror.last_incremental_at, mirror.last_full_at
        success = successes.get(entity.pk)
        if success and success.finished_at:
            health.data_as_of = timezone.localtime(success.finished_at, entity.zone)
            health.stale = now - success.finished_at > stale_after
            health.tie_out = tie_out_lines(success.tie_out, entity.home_currency)
        else:
            health.stale = True
        last = (row.get("last_run") or {}).get("run")
        health.calls_last_run = last.qbo_calls if last else None
        expires = connection.refresh_token_expires_at
        if expires:
            health.token_expires_at = timezone.localtime(expires, entity.zone)
            health.token_days_left = max(0, (expires - now).days)
            health.token_warning = expires - now <= TOKEN_WARNING
        row["health"] = health


def last_pull_runs(company) -> dict[int, SyncRun]:
    """Each entity's latest pull run, in two queries whatever the number of runs."""
    latest = SyncRun.objects.filter(entity=OuterRef("pk"), direction=SyncDirection.PULL).order_by("-queued_at", "-id")
    ids = (
        Entity.objects.filter(company=company)
        .annotate(last_run=Subquery(latest.values("pk")[:1]))
        .values_list("last_run", flat=True)
    )
    runs = SyncRun.objects.filter(pk__in=[i for i in ids if i]).select_related("entity", "started_by")
    return {run.entity_id: run for run in runs}


def entity_overview(company) -> list[dict]:
    """The overview page: per entity, its latest month's four figures, its QuickBooks status (the
    card's badge) and whether its figures are stale."""
    entities = list(Entity.objects.filter(company=company))
    latest = MonthlySnapshot.objects.filter(entity=OuterRef("pk")).order_by("-month")
    snapshot_ids = dict(
        Entity.objects.filter(company=company).annotate(s=Subquery(latest.values("pk")[:1])).values_list("pk", "s")
    )
    snapshots = {s.entity_id: s for s in MonthlySnapshot.objects.filter(pk__in=[i for i in snapshot_ids.values() if i])}
    connections = {c.entity_id: c for c in QuickBooksConnection.objects.filter(company=company)}
    runs = last_pull_runs(company)
    rows = [{"entity": e, "connection": connections.get(e.pk), "snapshot": snapshots.get(e.pk)} for e in entities]
    for row in rows:
        run = runs.get(row["entity"].pk)
        row["last_run"] = {"run": run, "unfinished": bool(run and run.status in (RunStatus.QUEUED, RunStatus.RUNNING))}
    add_health(company, rows)
    for row in rows:
        health = row.get("health")
        row["state"] = card_state(
            row["connection"], row["last_run"]["run"], stale=bool(health and health.stale),
            unfinished=row["last_run"]["unfinished"],
        )  # fmt: skip
    return rows
