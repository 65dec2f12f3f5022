"""Finance pages: entities, their monthly snapshots (table, chart, edit) and the QuickBooks page."""

from datetime import date, datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Entity
from accounts.permissions import FINANCE_ROLES, member_required

from .chart import figures_chart
from .forms import MonthPickForm, SnapshotForm
from .models import MonthlySnapshot
from .presentation import restatement_text
from .quickbooks import drilldown


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
        snapshot.restatement = (latest[0].when, restatement_text(latest[0])) if latest else None
    pick = MonthPickForm(request.GET or None)
    if request.GET and pick.is_valid():
        return redirect(
            "finance:snapshot_edit", entity_id=entity.pk, month=f"{pick.cleaned_data['month']:%Y-%m}"
        )
    return render(
        request,
        "finance/snapshot_table.html",
        {"entity": entity, "snapshots": snapshots, "chart": figures_chart(snapshots[:12]), "pick": pick},
    )


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
