"""The stored drill-downs: the QuickBooks rows behind each synced figure, written by the sync and read
by the drill-down page and its CSV; and the restatements of past months, read from the sync log.

Each month's figure keeps its rows as one document (``FigureDrilldown``, CSV text). Writing costs
two SQL statements whatever the number of rows (one DELETE of the window's documents, one INSERT
of the new ones); the work that grows with the rows is the CSV writer's, in C.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, get_type_hints

from finance.models import FigureDrilldown, SyncAction, SyncDirection, SyncLogEntry
from finance.quickbooks.figures import FIGURES, FigureRow

# One drill-down row as the page and the CSV read it: the realm it came from, then the row's fields.
Source = NamedTuple("Source", [("realm_id", str), *get_type_hints(FigureRow).items()])


# --- writing (inside the sync's transaction) ----------------------------------------------------


def encoded(rows: list[FigureRow]) -> str:
    """Rows as their document keeps them: CSV of each row's fields after month and figure (the
    document holds those two), dates and amounts as their exact text (``str``), never a float."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(row[2:] for row in rows)
    return text.getvalue()


def replace_sources(*, entity_id: int, realm_id: str, months: list[date], rows: Iterable[FigureRow]) -> int:
    """Replace the drill-downs of ``months`` with ``rows`` (in cents, see figures.drilldown_rows):
    one document per month and figure, an empty one where QuickBooks shows no row. Returns the
    number of rows written."""
    documents: dict[tuple[date, str], list[FigureRow]] = {(m, f): [] for m in months for f in FIGURES}
    for row in rows:
        documents[row.month, row.figure].append(row)
    FigureDrilldown.objects.filter(entity_id=entity_id, month__in=months).delete()
    FigureDrilldown.objects.bulk_create(
        FigureDrilldown(
            entity_id=entity_id, month=month, figure=figure, realm_id=realm_id, row_count=len(found),
            rows=encoded(found),
        )  # fmt: skip
        for (month, figure), found in documents.items()
    )
    return sum(len(found) for found in documents.values())


# --- reading ------------------------------------------------------------------------------------


def decoded(document: FigureDrilldown) -> list[Source]:
    month, figure, realm_id = document.month, document.figure, document.realm_id
    sources = []
    for fields in csv.reader(io.StringIO(document.rows)):
        if len(fields) == 9:  # a document written before rows named their currency and paid invoice
            fields[6:6] = ["", ""]
        kind, txn_id, day, party, number, linked, linked_number, currency, amount, rate, home = fields
        sources.append(Source(realm_id, month, figure, kind, txn_id, date.fromisoformat(day), party, number, linked,
                              linked_number, currency, Decimal(amount), Decimal(rate), Decimal(home)))  # fmt: skip
    return sources


def sources_of(entity_id: int, month: date, figure: str | None = None) -> list[Source]:
    """A month's rows behind one figure, or behind all four (by figure name), each in the order the
    sync wrote them: by date, type and Id. One query."""
    documents = FigureDrilldown.objects.filter(entity_id=entity_id, month=month)
    if figure:
        documents = documents.filter(figure=figure)
    return [source for document in documents.order_by("figure") for source in decoded(document)]


# --- restatements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restatement:
    """A sync that changed figures of a month after that month had ended."""

    month: date
    when: datetime
    changes: list[tuple[str, Decimal, Decimal]]  # (figure, old, new) in the figures' order


def restatements(
    company_id: int, entity_id: int, months: Iterable[date] | None = None
) -> dict[date, list[Restatement]]:
    """Each month's restatements, newest first, from the sync log's ``updated`` lines flagged
    ``restatement`` by the sync (one query whatever the number of months)."""
    lines = SyncLogEntry.objects.filter(
        company_id=company_id,
        entity_id=entity_id,
        direction=SyncDirection.PULL,
        action=SyncAction.UPDATED,
        object_type="MonthlySnapshot",
        details__restatement=True,
    )
    if months is not None:
        lines = lines.filter(object_ref__in=[f"{m:%Y-%m}" for m in months])
    found: dict[date, list[Restatement]] = {}
    for ref, when, details in lines.order_by("-created_at", "-id").values_list("object_ref", "created_at", "details"):
        month = datetime.strptime(ref, "%Y-%m").date()
        changes = details.get("changes") or {}
        ordered = [
            (name, Decimal(changes[name]["old"]), Decimal(changes[name]["new"])) for name in FIGURES if name in changes
        ]
        found.setdefault(month, []).append(Restatement(month, when, ordered))
    return found


def synced_months(entity_id: int) -> set[date]:
    """Months whose figures a sync wrote (they have drill-down documents), in one query."""
    return set(FigureDrilldown.objects.filter(entity_id=entity_id).values_list("month", flat=True).distinct())
