"""Finance pages: entities, their monthly snapshots (table, chart, edit) and the QuickBooks page."""

from datetime import date, datetime
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.models import Entity
from accounts.permissions import FINANCE_ROLES, member_required

from .chart import figures_chart
from .forms import MonthPickForm, SnapshotForm
from .models import MonthlySnapshot
from .presentation import restatement_text
from .quickbooks import drilldown
from .quickbooks.figures import FIGURES, month_start, sync_window


def company_entity(request, entity_id: int) -> Entity:
    return get_object_or_404(Entity, pk=entity_id, company=request.membership.company)


def parse_month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise Http404("No such month") from exc


@member_required(*FINANCE_ROLES)
def finance_home(request):
    entities = Entity.objects.filter(company=request.membership.company)
    return render(request, "finance/home.html", {"entities": entities})


@member_required(*FINANCE_ROLES)
def snapshot_table(request, entity_id: int):
    entity = company_entity(request, entity_id)
    snapshots = list(MonthlySnapshot.objects.filter(entity=entity).order_by("-month"))
    # Two queries whatever the number of months: which months a sync wrote, and their restatements.
    synced = drilldown.synced_months(entity.pk)
    restated = drilldown.restatements(request.membership.company.pk, entity.pk)
    for snapshot in snapshots:
        snapshot.drilldown = snapshot.month in synced
        latest = restated.get(snapshot.month)
        snapshot.restatement = (latest[0].when, restatement_text(latest[0], entity.home_currency)) if latest else None
    add_sources(entity, snapshots, synced)
    pick = MonthPickForm(request.GET or None)
    if request.GET and pick.is_valid():
        return redirect(
            "finance:snapshot_edit", entity_id=entity.pk, month=f"{pick.cleaned_data['month']:%Y-%m}"
        )
    return render(
        request,
        "finance/snapshot_table.html",
        {
            "entity": entity,
            "snapshots": snapshots,
            "chart": figures_chart(snapshots[:12], currency=entity.home_currency, current=window_of(entity)[1]),
            "pick": pick,
            "window_start": window_of(entity)[0][0],
        },
    )


TABLE_ORDER = ("ar_balance", "revenue", "ap_balance", "expenses")
FIGURE_HINTS = {
    "ar_balance": "QuickBooks invoices open at the month's end",
    "revenue": "QuickBooks payments of the month",
    "ap_balance": "QuickBooks bills open at the month's end",
    "expenses": "QuickBooks bills of the month",
}


def window_of(entity: Entity) -> tuple[list[date], date]:
    """The months the next sync rewrites, and the current month, in the entity's time zone."""
    today = timezone.localdate(timezone=entity.zone)
    return sync_window(today=today), month_start(today)


def add_sources(entity: Entity, snapshots: list[MonthlySnapshot], synced: set[date]) -> None:
    """Where each month's figures come from: synced from QuickBooks, edited by hand after the sync
    (inside the window: the next sync replaces them), or entered by hand (kept outside the window).
    Reads the drill-downs of the window's synced months only (their totals are the synced figures)."""
    window, current = window_of(entity)
    for snapshot in snapshots:
        snapshot.to_date = snapshot.month == current
        snapshot.in_window = snapshot.month in window
        snapshot.edited = []
        if snapshot.month in synced and snapshot.in_window:
            totals = {figure: Decimal("0.00") for figure in FIGURES}
            for source in drilldown.sources_of(entity.pk, snapshot.month):
                totals[source.figure] += source.home_amount
            snapshot.edited = [f for f in FIGURES if getattr(snapshot, f) != totals[f]]
        if snapshot.month not in synced:
            snapshot.source = "hand_window" if snapshot.in_window else "hand_kept"
        elif snapshot.edited:
            snapshot.source = "edited"
        else:
            snapshot.source = "synced"
        snapshot.figure_cells = [(figure, getattr(snapshot, figure), FIGURE_HINTS[figure]) for figure in TABLE_ORDER]


@member_required(*FINANCE_ROLES)
def snapshot_edit(request, entity_id: int, month: str):
    entity = company_entity(request, entity_id)
    month_start = parse_month(month)
    snapshot = MonthlySnapshot.objects.filter(entity=entity, month=month_start).first()
    snapshot = snapshot or MonthlySnapshot(entity=entity, month=month_start)
    form = SnapshotForm(request.POST or None, instance=snapshot)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        messages.success(request, f"{entity.name}: {month_start:%B %Y} saved.")
        return redirect("finance:snapshots", entity_id=entity.pk)
    return render(
        request, "finance/snapshot_form.html", {"entity": entity, "month": month_start, "form": form}
    )
