"""How runs and restatements read for people: the words of the QuickBooks pages and of the
``qb_sync`` command. Reads stored runs and log details; never calls QuickBooks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from finance.money import money_text
from finance.quickbooks.drilldown import Restatement
from finance.quickbooks.figures import FIGURE_LABELS, FIGURE_LIST, FIGURE_RANK

# The drill-down page's title of each figure: "Open AR: invoices open at the month's end".
FIGURE_TITLES = {figure.name: f"{figure.label[:1].upper()}{figure.label[1:]}: {figure.rows}" for figure in FIGURE_LIST}


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def change_lines(run) -> list[str]:
    """'2025-04 updated: revenue 1.00 → 600.00' for each month the run changed."""
    lines = []
    for change in run.changed_months or ():
        parts = []
        changes = change["changes"]
        # PostgreSQL's jsonb does not keep key order: the figures are listed in the figures' order.
        for name in sorted(changes, key=lambda n: FIGURE_RANK.get(n, len(FIGURE_RANK))):
            old, new = changes[name]
            was = f"{money_text(Decimal(old))} → " if old is not None else ""
            parts.append(f"{FIGURE_LABELS.get(name, name)} {was}{money_text(Decimal(new))}")
        lines.append(f"{change['month']} {change['action']}: " + ", ".join(parts))
    return lines


def restatement_text(restatement: Restatement) -> str:
    """'revenue 1,000.00 → 1,200.00, open AR …' in the figures' order."""
    return ", ".join(
        f"{FIGURE_LABELS.get(name, name)} {money_text(old)} → {money_text(new)}"
        for name, old, new in restatement.changes
    )
