"""The QuickBooks rows behind each synced figure: written by the sync, read by the drill-down page
and its CSV, linked to the transaction in QuickBooks' web app; and the restatements of past months.

Writing costs two SQL statements whatever the number of rows (one DELETE of the window, one INSERT):
PostgreSQL takes every row in one ``bulk_create`` statement; SQLite would split it into statements
of 999 parameters, so there one INSERT is prepared once and run for every row (``executemany``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection as db_connection
from django.utils import timezone

from finance.models import FigureSource, QuickBooksConnection, SyncAction, SyncDirection, SyncLogEntry
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
_FIELDS = (
    "entity_id", "month", "figure", "realm_id", "txn_type", "txn_id", "txn_date", "party", "doc_number",
    "linked_txn_id", "amount", "exchange_rate", "home_amount",
)  # fmt: skip


# --- writing (inside the sync's transaction) ----------------------------------------------------


def replace_sources(*, entity_id: int, realm_id: str, months: list[date], rows: Iterable[FigureRow]) -> int:
    """Replace the drill-down rows of ``months`` with ``rows`` (in cents, see figures.drilldown_rows)."""
    FigureSource.objects.filter(entity_id=entity_id, month__in=months).delete()
    rows = list(rows)
    if not rows:
        return 0
    if db_connection.vendor == "sqlite":
        insert_many(entity_id, realm_id, rows)
    else:
        FigureSource.objects.bulk_create(
            [FigureSource(**dict(zip(_FIELDS, _values(entity_id, realm_id, r), strict=True))) for r in rows]
        )
    return len(rows)


def _values(entity_id: int, realm_id: str, r: FigureRow) -> tuple:
    return (entity_id, r.month, r.figure, realm_id, r.txn_type, r.txn_id, r.txn_date, r.party[:500],
            r.doc_number[:40], r.linked_txn_id, r.amount, r.exchange_rate, r.home_amount)  # fmt: skip


def insert_many(entity_id: int, realm_id: str, rows: list[FigureRow]) -> None:
    table = FigureSource._meta.db_table
    columns = ", ".join(_FIELDS)
    marks = ", ".join(["%s"] * len(_FIELDS))
    # Dates and amounts as their exact text, converted here where their place is known.
    values = [
        (entity_id, r.month.isoformat(), r.figure, realm_id, r.txn_type, r.txn_id, r.txn_date.isoformat(),
         r.party[:500], r.doc_number[:40], r.linked_txn_id, str(r.amount), str(r.exchange_rate), str(r.home_amount))
        for r in rows
    ]  # fmt: skip
    with db_connection.cursor() as cursor:
        # Fixed table and column names; every value is a bound parameter.
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608


# --- reading ------------------------------------------------------------------------------------


TYPE_LABELS = {"Payment": "Payment", "BillPayment": "Bill payment", "Invoice": "Invoice", "Bill": "Bill"}


@dataclass(frozen=True)
class SourceLine:
    source: FigureSource
    url: str
    linked_url: str

    @property
    def label(self) -> str:
        kind = TYPE_LABELS.get(self.source.txn_type, self.source.txn_type)
        return f"{kind} {self.source.doc_number or self.source.txn_id}"


def sources_of(entity_id: int, month: date, figure: str | None = None) -> list[FigureSource]:
    rows = FigureSource.objects.filter(entity_id=entity_id, month=month)
    if figure:
        rows = rows.filter(figure=figure)
    return list(rows.order_by("figure", "txn_date", "txn_type", "txn_id", "linked_txn_id", "id"))


def web_app_links(sources: list[FigureSource], connection: QuickBooksConnection | None) -> list[SourceLine]:
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


def total(sources: Iterable[FigureSource]) -> Decimal:
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
    """Months whose figures a sync wrote (they have drill-down rows), in one query."""
    return set(FigureSource.objects.filter(entity_id=entity_id).values_list("month", flat=True).distinct())


def local_day(when: datetime, zone) -> date:
    return timezone.localtime(when, zone).date()
