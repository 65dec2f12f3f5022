"""The QuickBooks rows behind each synced figure: written by the sync, read by the drill-down page
and its CSV, linked to the transaction in QuickBooks' web app; and the restatements of past months.

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

from django.utils import timezone

from finance.models import FigureDrilldown, QuickBooksConnection, SyncAction, SyncDirection, SyncLogEntry
from finance.quickbooks.figures import FIGURES, FigureRow
from finance.quickbooks.tokens import quickbooks_urls

# QuickBooks' web-app page of each transaction type (`https://app.qbo.intuit.com/app/invoice?txnId=`).
WEB_APP_PATHS = {
    "Invoice": "invoice",
    "Payment": "recvpayment",
    "Bill": "bill",
    "BillPayment": "billpayment",
    "CreditMemo": "creditmemo",
}
# The linked document a row names: a payment line pays an invoice, a bill payment line a bill.
LINKED_TYPE = {"Payment": "Invoice", "BillPayment": "Bill"}
COLUMNS = {
    "revenue": ("Payment date", "Payment", "Customer", "Invoice paid", "Amount", "Exchange rate", "Home amount"),
    "expenses": ("Bill date", "Bill", "Vendor", "", "Bill total", "Exchange rate", "Home amount"),
    "ar_balance": ("Invoice date", "Invoice", "Customer", "", "Open at month end", "Exchange rate", "Home amount"),
    "ap_balance": ("Bill date", "Bill", "Vendor", "", "Open at month end", "Exchange rate", "Home amount"),
}
TITLES = {
    "revenue": "Revenue: payments applied to invoices",
    "expenses": "Expenses: bills",
    "ar_balance": "Open AR: invoices open at the month's end",
    "ap_balance": "Open AP: bills open at the month's end",
}


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
    return [
        Source(realm_id, month, figure, kind, txn_id, date.fromisoformat(day), party, number, linked,
               Decimal(amount), Decimal(rate), Decimal(home))
        for kind, txn_id, day, party, number, linked, amount, rate, home in csv.reader(io.StringIO(document.rows))
    ]  # fmt: skip


TYPE_LABELS = {"Payment": "Payment", "BillPayment": "Bill payment", "Invoice": "Invoice", "Bill": "Bill"}


@dataclass(frozen=True)
class SourceLine:
    source: Source
    url: str
    linked_url: str

    @property
    def label(self) -> str:
        kind = TYPE_LABELS.get(self.source.txn_type, self.source.txn_type)
        return f"{kind} {self.source.doc_number or self.source.txn_id}"


def sources_of(entity_id: int, month: date, figure: str | None = None) -> list[Source]:
    """A month's rows behind one figure, or behind all four (by figure name), each in the order the
    sync wrote them: by date, type and Id. One query."""
    documents = FigureDrilldown.objects.filter(entity_id=entity_id, month=month)
    if figure:
        documents = documents.filter(figure=figure)
    return [source for document in documents.order_by("figure") for source in decoded(document)]


def web_app_links(sources: list[Source], connection: QuickBooksConnection | None) -> list[SourceLine]:
    """Each row with the link to its transaction (and the document it pays) in QuickBooks' web app,
    for the connection's environment; no link for rows of another realm than the connected one."""
    urls = quickbooks_urls(connection.environment) if connection and connection.environment else None
    lines = []
    for source in sources:
        if urls is None or source.realm_id != connection.realm_id:
            lines.append(SourceLine(source, "", ""))
            continue
        url = urls.transaction_url(WEB_APP_PATHS[source.txn_type], source.txn_id, source.realm_id)
        linked = LINKED_TYPE.get(source.txn_type)
        linked_url = (
            urls.transaction_url(WEB_APP_PATHS[linked], source.linked_txn_id, source.realm_id)
            if linked and source.linked_txn_id
            else ""
        )
        lines.append(SourceLine(source, url, linked_url))
    return lines


def sources_csv(lines: list[SourceLine]) -> str:
    """One row per transaction: amounts as plain decimals (no thousands separator), links included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["month", "figure", "txn_type", "txn_id", "doc_number", "txn_date", "party", "linked_txn_id",
         "amount", "exchange_rate", "home_amount", "quickbooks_url"]
    )  # fmt: skip
    for line in lines:
        s = line.source
        writer.writerow(
            [f"{s.month:%Y-%m}", s.figure, s.txn_type, s.txn_id, s.doc_number, s.txn_date.isoformat(),
             spreadsheet_safe(s.party), s.linked_txn_id, plain(s.amount), plain(s.exchange_rate, rate=True),
             plain(s.home_amount), line.url]
        )  # fmt: skip
    return out.getvalue()


def plain(amount: Decimal, *, rate: bool = False) -> str:
    if rate:
        text = f"{amount.normalize():f}"
        return text if "." in text else f"{text}.0"
    return f"{amount.quantize(Decimal('0.01')):f}"


def spreadsheet_safe(text: str) -> str:
    """A name a spreadsheet will not run as a formula (`=`, `+`, `-`, `@` first are prefixed with ')."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def total(sources: Iterable[Source]) -> Decimal:
    return sum((s.home_amount for s in sources), Decimal("0.00"))


# --- restatements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restatement:
    """A sync that changed figures of a month after that month had ended."""

    month: date
    when: datetime
    changes: list[tuple[str, Decimal, Decimal]]  # (figure, old, new) in the figures' order

    def text(self, labels: dict[str, str]) -> str:
        return ", ".join(f"{labels.get(f, f)} {old:,.2f} → {new:,.2f}" for f, old, new in self.changes)


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


def local_day(when: datetime, zone) -> date:
    return timezone.localtime(when, zone).date()
