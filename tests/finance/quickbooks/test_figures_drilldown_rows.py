"""Drill-down rows in cents (pure): each figure's rows add up to the figure exactly, the rounding
difference goes a cent at a time to the rows rounding moved most, and the same books always give
the same rows."""

import random
from datetime import date
from decimal import Decimal

from finance.quickbooks.figures import FigureRow, drilldown_rows, figures_of_rows, unapplied_home

MONTH = date(2025, 5, 1)


def row(txn_id: str, amount: str, rate: str, figure: str = "revenue") -> FigureRow:
    return FigureRow(
        month=MONTH,
        figure=figure,
        txn_type="Payment",
        txn_id=txn_id,
        txn_date=date(2025, 5, 2),
        party="P",
        doc_number="",
        linked_txn_id="1",
        linked_doc_number="1001",
        currency="EUR",
        amount=Decimal(amount),
        exchange_rate=Decimal(rate),
        home_amount=Decimal(amount) * Decimal(rate),
    )


def test_three_rows_each_rounded_down_get_the_figures_cent_back():
    rows = [row("1", "10.00", "1.0004"), row("2", "10.00", "1.0004"), row("3", "10.00", "1.0004")]
    # 10.004 each: 10.00 each when rounded alone (30.00), but the figure is 30.012 -> 30.01.
    cents = drilldown_rows(rows)
    assert figures_of_rows([MONTH], rows)[MONTH].revenue == Decimal("30.01")
    assert [r.home_amount for r in cents] == [Decimal("10.01"), Decimal("10.00"), Decimal("10.00")]


def test_rows_rounded_up_give_a_cent_back_from_the_one_rounded_up_most():
    rows = [row("1", "1.00", "0.005"), row("2", "1.00", "0.006"), row("3", "1.00", "0.005")]
    # 0.005 + 0.006 + 0.005 = 0.016 -> 0.02; alone 0.01 + 0.01 + 0.01 = 0.03: one cent too many.
    cents = drilldown_rows(rows)
    assert sum(r.home_amount for r in cents) == Decimal("0.02")
    assert [r.home_amount for r in cents] == [Decimal("0.00"), Decimal("0.01"), Decimal("0.01")]


def test_every_figure_adds_up_whatever_the_rates_and_the_order():
    rng = random.Random(7)
    rows = [
        row(str(i), f"{rng.randint(1, 500000) / 100:.2f}", f"{rng.uniform(0.01, 120):.6f}", figure)
        for i in range(400)
        for figure in ("revenue", "ar_balance")
    ]
    figures = figures_of_rows([MONTH], rows)[MONTH]
    cents = drilldown_rows(rows)
    for figure in ("revenue", "ar_balance"):
        assert sum(r.home_amount for r in cents if r.figure == figure) == getattr(figures, figure)
    assert all(abs(r.home_amount - r.amount * r.exchange_rate) < Decimal("0.01") for r in cents)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    assert drilldown_rows(shuffled) == cents


def test_unapplied_part_of_a_payment_in_home_currency():
    assert unapplied_home({"UnappliedAmt": Decimal("40.00"), "ExchangeRate": Decimal("2")}, "Invoice") == 80
    bill_payment = {
        "TotalAmt": Decimal("100.00"),
        "Line": [{"Amount": Decimal("70.00"), "LinkedTxn": [{"TxnId": "5", "TxnType": "Bill"}]}],
    }
    assert unapplied_home(bill_payment, "Bill") == Decimal("30.00")
    assert unapplied_home({"UnappliedAmt": Decimal("0")}, "Invoice") == 0
