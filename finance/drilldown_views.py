"""The drill-down of a synced figure: the QuickBooks rows behind one month's revenue, expenses, open AR
or open AP, as a page and as CSV. Thin: check the role, read the rows, render."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from accounts.permissions import FINANCE_ROLES, member_required

from . import drilldown_pages
from .models import MonthlySnapshot, QuickBooksConnection
from .presentation import FIGURE_TITLES, restatement_text
from .quickbooks import drilldown
from .quickbooks.figures import FIGURE_LABELS, FIGURES
from .views import company_entity, parse_month, window_of


def checked_figure(figure: str) -> str:
    if figure not in FIGURES:
        raise Http404("No such figure")
    return figure


def connection_of(entity) -> QuickBooksConnection | None:
    return QuickBooksConnection.objects.filter(entity=entity).first()


@member_required(*FINANCE_ROLES)
def figure_sources(request, entity_id: int, month: str, figure: str):
    entity = company_entity(request, entity_id)
    month_start, figure = parse_month(month), checked_figure(figure)
    snapshot = MonthlySnapshot.objects.filter(entity=entity, month=month_start).first()
    sources = drilldown.sources_of(entity.pk, month_start, figure)
    total = drilldown_pages.total(sources)
    shown = getattr(snapshot, figure) if snapshot else None
    restated = drilldown.restatements(request.membership.company.pk, entity.pk, [month_start]).get(month_start, [])
    window, current = window_of(entity)
    synced = month_start in drilldown.synced_months(entity.pk)
    return render(
        request,
        "finance/figure_sources.html",
        {
            "entity": entity,
            "month": month_start,
            "figure": figure,
            "label": FIGURE_LABELS[figure],
            "title": FIGURE_TITLES[figure],
            "columns": drilldown_pages.columns(figure, entity.home_currency),
            "lines": drilldown_pages.web_app_links(sources, connection_of(entity), entity.pk),
            "total": total,
            "shown": shown,
            "synced": synced,
            "in_window": month_start in window,
            "to_date": month_start == current,
            "edited": synced and shown is not None and shown != total,
            "restatements": [
                (r.when, restatement_text(r, entity.home_currency))
                for r in restated
                if figure in {c[0] for c in r.changes}
            ],
            "figures": list(FIGURE_LABELS.items()),
        },
    )


@member_required(*FINANCE_ROLES)
def figure_sources_csv(request, entity_id: int, month: str, figure: str | None = None):
    """One figure's rows, or the whole month's (all four figures) without ``figure``."""
    entity = company_entity(request, entity_id)
    month_start = parse_month(month)
    if figure is not None:
        checked_figure(figure)
    sources = drilldown.sources_of(entity.pk, month_start, figure)
    body = drilldown_pages.sources_csv(drilldown_pages.web_app_links(sources, connection_of(entity), entity.pk))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"{entity.pk}-{month_start:%Y-%m}-{figure or 'all'}.csv"
    response["Content-Disposition"] = f'attachment; filename="quickbooks-rows-{name}"'
    return response
