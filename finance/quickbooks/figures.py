"""Fetched QuickBooks rows -> an entity's monthly figures (revenue, expenses, AR and AP balances).

Pure functions only: rows come in as plain dicts shaped exactly like QuickBooks' JSON (parsed with
``parse_float=Decimal``), figures and their drill-down rows come out. No I/O, no Django.

The definitions are those of the product spec, section 4:
- revenue[M]: cash received against invoices, by the payment's TxnDate, at the payment's rate.
- expenses[M]: bill totals by the bill's TxnDate, at the bill's rate.
- ar_balance[M] / ap_balance[M]: what was still open at the end of M, rebuilt from today's Balance
  plus what later payments applied, at the invoice's / bill's own rate.
Each figure is rounded once, at the end, to 0.01 ROUND_HALF_UP.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from finance.money import CENT, ZERO, rounded


class Figure(NamedTuple):
    """One of the four figures a sync owns: its snapshot field, its label, what its rows are."""

    name: str
    label: str
    rows: str


# The figures in the order people read them; every list of figures in the product comes from here.
FIGURE_LIST = (
    Figure("revenue", "revenue", "payments applied to invoices"),
    Figure("expenses", "expenses", "bills"),
    Figure("ar_balance", "open AR", "invoices open at the month's end"),
    Figure("ap_balance", "open AP", "bills open at the month's end"),
)
FIGURES = tuple(figure.name for figure in FIGURE_LIST)
FIGURE_LABELS = {figure.name: figure.label for figure in FIGURE_LIST}
FIGURE_RANK = {figure: rank for rank, figure in enumerate(FIGURES)}
ONE = Decimal(1)


class FigureRow(NamedTuple):
    """One QuickBooks transaction's contribution to one figure of one month (the drill-down row).

    A named tuple rather than a frozen dataclass: a sync makes one per transaction and month, and a
    tuple is built several times faster (a frozen dataclass sets each field through a call)."""

    month: date
    figure: str
    txn_type: str
    txn_id: str
    txn_date: date
    party: str
    doc_number: str
    linked_txn_id: str
    linked_doc_number: str  # the paid invoice's own number (revenue rows), '' when none or not fetched
    currency: str  # the document's currency (its CurrencyRef), '' when QuickBooks did not say
    amount: Decimal  # in the document's currency
    exchange_rate: Decimal
    home_amount: Decimal  # last: the cents rounding replaces it in place


@dataclass(frozen=True)
class MonthFigures:
    month: date
    revenue: Decimal
    expenses: Decimal
    ar_balance: Decimal
    ap_balance: Decimal


# --- months -------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def sync_window(*, today: date, days: int = 90) -> list[date]:
    """Whole months from the one containing ``today - days`` through today's month, ascending.

    Whole months only: a partial first month would overwrite the manual figures of its first weeks.
    """
    month, last = month_start(today - timedelta(days=days)), month_start(today)
    months = []
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def checked_months(months: Iterable[date]) -> list[date]:
    months = sorted(set(months))
    for month in months:
        if month.day != 1:
            raise ValueError(f"months must be first days of months, got {month.isoformat()}")
    return months


# --- reading QuickBooks rows --------------------------------------------------------------------


def money(value: object) -> Decimal:
    """An amount as Decimal. Floats are refused: they have already lost cents on the way in."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError(f"money must be Decimal, not float ({value!r}): parse JSON with parse_float=Decimal")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__} ({value!r})")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def amount_of(row: dict, key: str) -> Decimal:
    return money(row.get(key))


def exchange_rate(row: dict) -> Decimal:
    # Home-currency transactions usually carry no ExchangeRate at all.
    rate = row.get("ExchangeRate")
    return ONE if rate is None else money(rate)


def txn_date(row: dict) -> date:
    value = row["TxnDate"]
    return value if isinstance(value, date) else date.fromisoformat(value)


def party(row: dict) -> str:
    ref = row.get("CustomerRef") or row.get("VendorRef") or {}
    return ref.get("name") or ""


def linked_id(line: dict, txn_type: str) -> str | None:
    """The first transaction of ``txn_type`` a line is linked to.

    A line carries one Amount even when it lists several links; we attribute it to the first one so
    that the same line always lands on the same invoice or bill.
    """
    for link in line.get("LinkedTxn") or ():
        if link.get("TxnType") == txn_type:
            return str(link["TxnId"])
    return None


def applied_lines(payment: dict, txn_type: str) -> Iterator[tuple[str, Decimal]]:
    """(invoice or bill Id, amount) for each line of a payment applied to that kind of transaction."""
    for line in payment.get("Line") or ():
        target = linked_id(line, txn_type)
        if target is not None:
            yield target, amount_of(line, "Amount")


def unique_by_id(rows: Iterable[dict]) -> list[dict]:
    """One row per Id, the same one whatever the order the rows came in.

    The same transaction can arrive twice (fetched by two queries, or on two overlapping pages). If the
    copies differ, it was edited between two requests: keep the newest (highest SyncToken), and fall
    back to the full content so that even a tie never depends on row order.
    """
    chosen: dict[str, dict] = {}
    for row in rows:
        key = str(row["Id"])
        if key not in chosen or is_newer(row, chosen[key]):
            chosen[key] = row
    return [chosen[key] for key in sorted(chosen)]


def is_newer(row: dict, other: dict) -> bool:
    mine, theirs = version(row), version(other)
    if mine != theirs:
        return mine > theirs
    # Same version: usually the very same row fetched twice. Only then compare whole contents.
    return row != other and content(row) > content(other)


def version(row: dict) -> tuple:
    token = str(row.get("SyncToken", ""))
    updated = (row.get("MetaData") or {}).get("LastUpdatedTime", "")
    return (int(token) if token.isdigit() else -1, updated)


def content(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=str)


# --- figures ------------------------------------------------------------------------------------


class Txn(NamedTuple):
    """What every drill-down row of one transaction repeats, read from its QuickBooks row once."""

    txn_id: str
    txn_date: date
    party: str
    doc_number: str
    currency: str
    exchange_rate: Decimal


def txn_facts(txn: dict) -> Txn:
    currency = (txn.get("CurrencyRef") or {}).get("value") or ""
    return Txn(str(txn["Id"]), txn_date(txn), party(txn), txn.get("DocNumber") or "", currency, exchange_rate(txn))


def figure_row(
    *, month: date, figure: str, txn_type: str, txn: Txn, amount: Decimal, linked_txn_id: str = "",
    linked_doc_number: str = "",
) -> FigureRow:
    rate = txn.exchange_rate
    return FigureRow(
        month, figure, txn_type, txn.txn_id, txn.txn_date, txn.party, txn.doc_number, linked_txn_id,
        linked_doc_number, txn.currency, amount, rate, amount * rate,
    )  # fmt: skip


def cash_against_invoices(payment: dict) -> list[tuple[str, Decimal]]:
    """The cash a payment brought in, per invoice it was applied to.

    QuickBooks applies a credit memo to an invoice by recording a payment whose invoice line is matched
    by a CreditMemo line (TotalAmt 0, "Created by QB Online to link credits to charges"). That settles
    the invoice but brings in no cash, so the payment's credit-memo lines are taken off its invoice
    lines, in line order. Lines linked to anything else (JournalEntry...) and unapplied cash are not
    revenue either.
    """
    credits = credits_applied(payment)
    cash = []
    for invoice_id, amount in applied_lines(payment, "Invoice"):
        offset = min(credits, amount) if amount > 0 else ZERO
        credits -= offset
        cash.append((invoice_id, amount - offset))
    return cash


def credits_applied(payment: dict) -> Decimal:
    # A line linked to an invoice counts for the invoice (first-invoice rule), never as a credit too.
    return sum(
        (
            amount_of(line, "Amount")
            for line in payment.get("Line") or ()
            if linked_id(line, "Invoice") is None and linked_id(line, "CreditMemo") is not None
        ),
        ZERO,
    )


def revenue_rows(months: list[date], payments: list[dict], numbers: dict[str, str]) -> Iterator[FigureRow]:
    """Cash applied to invoices, by the payment's month; ``numbers``: invoice Id -> its DocNumber."""
    window = set(months)
    for payment in payments:
        month = month_start(txn_date(payment))
        if month not in window:
            continue
        facts = None
        for invoice_id, amount in cash_against_invoices(payment):
            if amount:
                facts = facts or txn_facts(payment)
                yield figure_row(
                    month=month, figure="revenue", txn_type="Payment", txn=facts, amount=amount,
                    linked_txn_id=invoice_id, linked_doc_number=numbers.get(invoice_id, ""),
                )  # fmt: skip


def expense_rows(months: list[date], bills: list[dict]) -> Iterator[FigureRow]:
    window = set(months)
    for bill in bills:
        month, amount = month_start(txn_date(bill)), amount_of(bill, "TotalAmt")
        if month in window and amount:
            yield figure_row(month=month, figure="expenses", txn_type="Bill", txn=txn_facts(bill), amount=amount)


def applications(payments: list[dict], txn_type: str) -> dict[str, list[tuple[date, Decimal]]]:
    """For each invoice (or bill) Id: (payment date, amount) of every payment line applied to it."""
    applied = defaultdict(list)
    for payment in payments:
        paid_on = txn_date(payment)
        for target, amount in applied_lines(payment, txn_type):
            applied[target].append((paid_on, amount))
    return applied


def balance_at(balance: Decimal, applied: list[tuple[date, Decimal]], day: date) -> Decimal:
    """Open balance at the end of ``day``: today's ``balance`` plus what payments dated later took off."""
    if not applied:  # most documents: nothing paid, no generator to build (once per document and month)
        return balance
    return balance + sum((amount for paid_on, amount in applied if paid_on > day), ZERO)


def balance_rows(
    months: list[date], figure: str, txn_type: str, documents: list[dict], payments: list[dict]
) -> Iterator[FigureRow]:
    applied = applications(payments, txn_type)
    ends = [(month, month_end(month)) for month in months]
    for document in documents:
        facts = txn_facts(document)
        paid = applied.get(facts.txn_id, [])
        balance = amount_of(document, "Balance")  # read once for all months
        for month, end in ends:
            if facts.txn_date > end:
                continue
            owed = balance_at(balance, paid, end)
            # Paid, voided (all zeros) and over-credited documents owe nothing: no row.
            if owed > 0:
                yield figure_row(month=month, figure=figure, txn_type=txn_type, txn=facts, amount=owed)


def row_order(row: FigureRow) -> tuple:
    return (
        row.month,
        FIGURE_RANK[row.figure],
        row.txn_date,
        row.txn_type,
        row.txn_id,
        row.linked_txn_id,
        row.amount,
    )


def figure_rows(
    *,
    months: list[date],
    invoices: Iterable[dict],
    payments: Iterable[dict],
    bills: Iterable[dict],
    bill_payments: Iterable[dict],
) -> list[FigureRow]:
    """Every transaction's contribution to every figure of ``months``, in a stable order."""
    months = checked_months(months)
    invoices, payments = unique_by_id(invoices), unique_by_id(payments)
    bills, bill_payments = unique_by_id(bills), unique_by_id(bill_payments)
    rows = [
        *revenue_rows(months, payments, {str(i["Id"]): i.get("DocNumber") or "" for i in invoices}),
        *expense_rows(months, bills),
        *balance_rows(months, "ar_balance", "Invoice", invoices, payments),
        *balance_rows(months, "ap_balance", "Bill", bills, bill_payments),
    ]
    return sorted(rows, key=row_order)


def figures_of_rows(months: list[date], rows: Iterable[FigureRow]) -> dict[date, MonthFigures]:
    """The four figures of each month from its rows (``figure_rows``), zeros where QuickBooks shows
    nothing happened. Rows are summed unrounded and each figure is rounded once: rounding each row
    first would drift by up to half a cent per row."""
    totals = {(month, figure): ZERO for month in months for figure in FIGURES}
    for row in rows:
        totals[row.month, row.figure] += row.home_amount
    return {
        month: MonthFigures(month=month, **{figure: rounded(totals[month, figure]) for figure in FIGURES})
        for month in months
    }


# --- drill-down rows in cents -------------------------------------------------------------------


def drilldown_rows(rows: Iterable[FigureRow]) -> list[FigureRow]:
    """The rows with ``home_amount`` in cents, adding up to their figure exactly.

    Each row is rounded half-up to the cent; the figure (its unrounded sum, rounded once) can then
    differ from the rows' sum by a few cents when foreign-currency rows each lost or gained part of
    a cent. That difference is given back one cent at a time to the rows whose rounding moved them
    furthest the other way (ties: the earlier row in ``row_order``), so the same books always give
    the same rows, and no row moves by more than one cent from its own rounding.
    """
    groups: dict[tuple[date, str], list[FigureRow]] = defaultdict(list)
    for row in rows:
        groups[row.month, row.figure].append(row)
    out: list[FigureRow] = []
    for group in groups.values():
        out.extend(cents_adding_up(group))
    return sorted(out, key=row_order)


def cents_adding_up(rows: list[FigureRow]) -> list[FigureRow]:
    target = rounded(sum((row.home_amount for row in rows), ZERO))
    cents = [row.home_amount.quantize(CENT, ROUND_HALF_UP) for row in rows]  # rounded(), inlined
    steps = int((target - sum(cents, ZERO)) / CENT)
    if steps:
        step, sign = (CENT, -1) if steps > 0 else (-CENT, 1)
        # A cent more goes to the rows rounded down the most, a cent less to those rounded up the most.
        order = sorted(range(len(rows)), key=lambda i: (sign * (rows[i].home_amount - cents[i]), i))
        for i in order[: abs(steps)]:
            cents[i] += step
    # The same row with its cents as home_amount (the last field), built as a plain tuple is: tens
    # of thousands of rows, and a named tuple's own constructor or _replace costs several times more.
    return [_new_row(FigureRow, row[:-1] + (cent,)) for row, cent in zip(rows, cents, strict=True)]


_new_row = tuple.__new__


# --- what QuickBooks' aged reports count and the figures do not ---------------------------------


def unapplied_home(payment: dict, txn_type: str) -> Decimal:
    """The part of a payment (bill payment) not applied to any invoice (bill), in home currency.

    QuickBooks' aging reports show it as a credit of the customer (vendor); the balances do not.
    ``UnappliedAmt`` when QuickBooks sends it, else the total less the lines applied to documents.
    """
    if "UnappliedAmt" in payment:
        unapplied = amount_of(payment, "UnappliedAmt")
    else:
        applied = sum((amount for _, amount in applied_lines(payment, txn_type)), ZERO)
        unapplied = amount_of(payment, "TotalAmt") - applied
    return unapplied * exchange_rate(payment) if unapplied > 0 else ZERO


def open_credits_home(credit_memos: Iterable[dict]) -> Decimal:
    """Open credit memos' remaining balance in home currency (at each memo's own rate)."""
    return sum((amount_of(memo, "Balance") * exchange_rate(memo) for memo in unique_by_id(credit_memos)), ZERO)
