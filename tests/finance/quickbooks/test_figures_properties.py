"""Monthly figures over random ledgers (hypothesis): independent of row order, pages and duplicates;
rows adding up to their figures; balances rebuilt from today's equal balances computed from totals.
No database, no network."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from finance.quickbooks.figures import (
    figure_rows,
    month_end,
    sync_window,
)
from tests.finance.quickbooks.ledger import bill, bill_payment, invoice, line, monthly_figures, payment

# --- properties over random ledgers -------------------------------------------------------------

cents = st.integers(0, 100_000).map(lambda c: Decimal(c) / 100)
rates = st.sampled_from(
    [
        None,
        Decimal(1),
        Decimal("1.1"),
        Decimal("0.8765"),
        Decimal("1.234567"),
        Decimal("83.15"),
        Decimal("0.005"),
    ]
)


@st.composite
def documents_with_payments(draw, today, document_type):
    """Invoices (or bills) and their payments, consistent: Balance = TotalAmt - what was applied."""
    make_document, make_payment = {"Invoice": (invoice, payment), "Bill": (bill, bill_payment)}[document_type]
    earliest = today - timedelta(days=200)
    documents = [
        {
            "Id": str(n),
            "TxnDate": draw(st.dates(earliest, today)),
            "TotalAmt": draw(cents),
            "ExchangeRate": draw(rates),
        }
        for n in range(1, draw(st.integers(0, 6)) + 1)
    ]
    open_amounts = {d["Id"]: d["TotalAmt"] for d in documents}
    payments = []
    for n in range(100, 100 + draw(st.integers(0, 6))):
        payable = [d for d in documents if open_amounts[d["Id"]] > 0]
        paid = draw(
            st.lists(st.sampled_from(payable), unique_by=lambda d: d["Id"], max_size=3) if payable else st.just([])
        )
        lines = []
        for document in paid:
            amount = draw(st.integers(1, int(open_amounts[document["Id"]] * 100))) / Decimal(100)
            open_amounts[document["Id"]] -= amount
            lines.append(line(amount, (document_type, document["Id"])))
        on = draw(st.dates(max((d["TxnDate"] for d in paid), default=earliest), today))
        payments.append(make_payment(str(n), on.isoformat(), *lines, rate=draw(rates)))
    documents = [
        make_document(d["Id"], d["TxnDate"].isoformat(), d["TotalAmt"], open_amounts[d["Id"]], rate=d["ExchangeRate"])
        for d in documents
    ]
    return documents, payments


@st.composite
def ledgers(draw):
    today = draw(st.dates(date(2023, 1, 1), date(2027, 12, 31)))
    invoices, payments = draw(documents_with_payments(today, "Invoice"))
    bills, bill_payments = draw(documents_with_payments(today, "Bill"))
    return {
        "today": today,
        "months": sync_window(today=today),
        "invoices": invoices,
        "payments": payments,
        "bills": bills,
        "bill_payments": bill_payments,
    }


def fetched(ledger, **kinds):
    return {"months": ledger["months"], **{k: ledger[k] for k in KINDS}, **kinds}


KINDS = ("invoices", "payments", "bills", "bill_payments")
fast = settings(max_examples=100, deadline=None)


def fetched_again(data, rows):
    """The same rows as another fetch could return them: shuffled, in overlapping pages, some twice."""
    rows = data.draw(st.permutations(rows))
    size = data.draw(st.integers(1, 5))
    step = size - data.draw(st.integers(0, size - 1))  # pages overlap by size - step rows
    pages = data.draw(st.permutations([rows[i : i + size] for i in range(0, len(rows), step)]))
    extra = data.draw(st.lists(st.sampled_from(rows), max_size=3)) if rows else []
    return iter([row for page in pages for row in page] + extra)  # one pass only, like a generator


def rounded(amount):
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def home(row, key):
    return row[key] * row.get("ExchangeRate", Decimal(1))


@fast
@given(ledger=ledgers(), data=st.data())
def test_figures_do_not_depend_on_row_order_pages_or_duplicates(ledger, data):
    again = {kind: fetched_again(data, ledger[kind]) for kind in KINDS}
    assert monthly_figures(**fetched(ledger, **again)) == monthly_figures(**fetched(ledger))
    again = {kind: fetched_again(data, ledger[kind]) for kind in KINDS}
    assert figure_rows(**fetched(ledger, **again)) == figure_rows(**fetched(ledger))


@fast
@given(ledger=ledgers())
def test_rows_of_each_figure_sum_to_the_figure(ledger):
    result, all_rows = monthly_figures(**fetched(ledger)), figure_rows(**fetched(ledger))
    assert list(result) == ledger["months"]
    for m in ledger["months"]:
        for figure in ("revenue", "expenses", "ar_balance", "ap_balance"):
            total = sum((r.home_amount for r in all_rows if r.month == m and r.figure == figure), Decimal(0))
            assert rounded(total) == getattr(result[m], figure)


@fast
@given(ledger=ledgers())
def test_current_month_balances_are_todays_open_balances(ledger):
    current = monthly_figures(**fetched(ledger))[ledger["today"].replace(day=1)]
    assert current.ar_balance == rounded(sum((home(i, "Balance") for i in ledger["invoices"]), Decimal(0)))
    assert current.ap_balance == rounded(sum((home(b, "Balance") for b in ledger["bills"]), Decimal(0)))


def open_at(documents, payments, end):
    """The spec's first wording: documents dated by `end`, total minus what was applied by `end`."""
    applied = defaultdict(Decimal)
    for p in payments:
        if date.fromisoformat(p["TxnDate"]) <= end:
            for ln in p["Line"]:
                applied[ln["LinkedTxn"][0]["TxnId"]] += ln["Amount"]
    return sum(
        (
            (d["TotalAmt"] - applied.get(d["Id"], 0)) * d.get("ExchangeRate", 1)
            for d in documents
            if date.fromisoformat(d["TxnDate"]) <= end
        ),
        Decimal(0),
    )


def paid_in(payments, m):
    return sum(
        (
            ln["Amount"] * p.get("ExchangeRate", 1)
            for p in payments
            if date.fromisoformat(p["TxnDate"]).replace(day=1) == m
            for ln in p["Line"]
        ),
        Decimal(0),
    )


@fast
@given(ledger=ledgers())
def test_figures_match_the_spec_computed_from_totals_instead_of_todays_balances(ledger):
    result = monthly_figures(**fetched(ledger))
    for m in ledger["months"]:
        end = month_end(m)
        assert result[m].ar_balance == rounded(open_at(ledger["invoices"], ledger["payments"], end))
        assert result[m].ap_balance == rounded(open_at(ledger["bills"], ledger["bill_payments"], end))
        assert result[m].revenue == rounded(paid_in(ledger["payments"], m))
