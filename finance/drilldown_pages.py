"""The drill-down as people read it: each stored row with its links into QuickBooks' web app, the
page's columns, and the CSV download (amounts as plain decimals, text safe from spreadsheet formulas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from finance.models import FigureDrilldown, QuickBooksConnection
from finance.money import CENT
from finance.quickbooks.drilldown import Source, decoded
from finance.quickbooks.environments import quickbooks_urls

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
TYPE_LABELS = {"Payment": "Payment", "BillPayment": "Bill payment", "Invoice": "Invoice", "Bill": "Bill"}
COLUMNS = {
    "revenue": (
        "Payment date", "Payment no.", "Customer", "Invoice no. paid", "Amount", "Exchange rate", "Home amount",
    ),  # fmt: skip
    "expenses": ("Bill date", "Bill no.", "Vendor", "", "Bill total", "Exchange rate", "Home amount"),
    "ar_balance": ("Invoice date", "Invoice no.", "Customer", "", "Open at month end", "Exchange rate", "Home amount"),
    "ap_balance": ("Bill date", "Bill no.", "Vendor", "", "Open at month end", "Exchange rate", "Home amount"),
}


def columns(figure: str, currency: str) -> tuple[str, ...]:
    """The page's column headers: each number says what it is; amounts say their currency (a
    document's own amount is in its own currency, shown on the row when it is foreign)."""
    names = list(COLUMNS[figure])
    names[4] = f"{names[4]} (document currency)"
    names[6] = f"{names[6]} · {currency}"
    return tuple(names)


@dataclass(frozen=True)
class SourceLine:
    source: Source
    url: str
    linked_url: str
    linked_number: str = ""  # the paid invoice's own number (DocNumber), when known

    @property
    def label(self) -> str:
        """The document's own number, as QuickBooks shows it; its internal Id only when it has none."""
        kind = TYPE_LABELS.get(self.source.txn_type, self.source.txn_type)
        return f"{kind} {self.source.doc_number}" if self.source.doc_number else f"{kind} (no number)"

    @property
    def linked_label(self) -> str:
        return f"Invoice {self.linked_number}" if self.linked_number else "Invoice (number not synced)"

    @property
    def foreign(self) -> bool:
        return self.source.exchange_rate != 1


def invoice_numbers(entity_id: int) -> dict[tuple[str, str], str]:
    """(realm, invoice Id) → the invoice's own number, from the open-AR rows of every synced month:
    a payment's rows name the invoice it pays by Id only."""
    documents = FigureDrilldown.objects.filter(entity_id=entity_id, figure="ar_balance")
    return {(s.realm_id, s.txn_id): s.doc_number for d in documents for s in decoded(d) if s.doc_number}


def web_app_links(sources: list[Source], connection: QuickBooksConnection | None, entity_id: int) -> list[SourceLine]:
    """Each row with the link to its transaction (and the document it pays) in QuickBooks' web app,
    for the connection's environment; no link for rows of another realm than the connected one."""
    urls = quickbooks_urls(connection.environment) if connection and connection.environment else None
    # Documents written before rows named their paid invoice's number: the open-AR rows may know it
    # (read only when such a row is there).
    unnamed = any(source.linked_txn_id and not source.linked_doc_number for source in sources)
    numbers = invoice_numbers(entity_id) if unnamed else {}
    lines = []
    for source in sources:
        fallback = numbers.get((source.realm_id, source.linked_txn_id), "") if source.linked_txn_id else ""
        number = source.linked_doc_number or fallback
        if urls is None or source.realm_id != connection.realm_id:
            lines.append(SourceLine(source, "", "", number))
            continue
        url = urls.transaction_url(WEB_APP_PATHS[source.txn_type], source.txn_id, source.realm_id)
        linked = LINKED_TYPE.get(source.txn_type)
        linked_url = (
            urls.transaction_url(WEB_APP_PATHS[linked], source.linked_txn_id, source.realm_id)
            if linked and source.linked_txn_id
            else ""
        )
        lines.append(SourceLine(source, url, linked_url, number))
    return lines


def sources_csv(lines: list[SourceLine]) -> str:
    """One row per transaction: amounts as plain decimals (no thousands separator), links included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["month", "figure", "txn_type", "txn_id", "doc_number", "txn_date", "party", "linked_txn_id",
         "linked_doc_number", "currency", "amount", "exchange_rate", "home_amount", "quickbooks_url"]
    )  # fmt: skip
    for line in lines:
        s = line.source
        writer.writerow(
            [f"{s.month:%Y-%m}", s.figure, s.txn_type, spreadsheet_safe(s.txn_id), spreadsheet_safe(s.doc_number),
             s.txn_date.isoformat(), spreadsheet_safe(s.party), spreadsheet_safe(s.linked_txn_id),
             spreadsheet_safe(line.linked_number), s.currency, plain(s.amount), plain(s.exchange_rate, rate=True),
             plain(s.home_amount), line.url]
        )  # fmt: skip
    return out.getvalue()


def plain(amount: Decimal, *, rate: bool = False) -> str:
    if rate:
        text = f"{amount.normalize():f}"
        return text if "." in text else f"{text}.0"
    return f"{amount.quantize(CENT):f}"


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula: a cell starting with `=`, `+`, `-`, `@`, a tab,
    a carriage return or a line feed (also after leading spaces) is prefixed with '. Used on every text
    cell a user or QuickBooks controls (numbers, names, ids)."""
    return f"'{text}" if text.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


def total(sources: Iterable[Source]) -> Decimal:
    return sum((s.home_amount for s in sources), Decimal("0.00"))
