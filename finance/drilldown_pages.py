"""The drill-down as people read it: each stored row with its links into QuickBooks' web app, the
page's columns, and the CSV download (amounts as plain decimals, text safe from spreadsheet formulas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from finance.models import QuickBooksConnection
from finance.money import CENT
from finance.quickbooks.drilldown import Source
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
    "revenue": ("Payment date", "Payment", "Customer", "Invoice paid", "Amount", "Exchange rate", "Home amount"),
    "expenses": ("Bill date", "Bill", "Vendor", "", "Bill total", "Exchange rate", "Home amount"),
    "ar_balance": ("Invoice date", "Invoice", "Customer", "", "Open at month end", "Exchange rate", "Home amount"),
    "ap_balance": ("Bill date", "Bill", "Vendor", "", "Open at month end", "Exchange rate", "Home amount"),
}


@dataclass(frozen=True)
class SourceLine:
    source: Source
    url: str
    linked_url: str

    @property
    def label(self) -> str:
        kind = TYPE_LABELS.get(self.source.txn_type, self.source.txn_type)
        return f"{kind} {self.source.doc_number or self.source.txn_id}"


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
    return f"{amount.quantize(CENT):f}"


def spreadsheet_safe(text: str) -> str:
    """A name a spreadsheet will not run as a formula (`=`, `+`, `-`, `@` first are prefixed with ')."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def total(sources: Iterable[Source]) -> Decimal:
    return sum((s.home_amount for s in sources), Decimal("0.00"))
