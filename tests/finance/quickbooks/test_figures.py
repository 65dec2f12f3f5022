"""Monthly figures from QuickBooks rows, hand-computed case by case: the window, each figure's rule,
currencies, voids, duplicates, rounding, and money refused as float. No database, no network."""

from datetime import date
from decimal import Decimal

import pytest

from finance.quickbooks.figures import (
    FigureRow,
    month_end,
    sync_window,
)
from tests.finance.quickbooks.ledger import (
    APR,
    MAR,
    bill,
    bill_payment,
    figures,
    invoice,
    line,
    month,
    month_figures,
    payment,
    rows,
)

# --- the window ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "first_month", "count"),
    [
        (date(2026, 4, 8), month(2026, 1), 4),  # 90 days back is 2026-01-08
        (date(2026, 5, 15), month(2026, 2), 4),  # mid-quarter: 2026-02-14, the window starts in February
        (date(2026, 1, 15), month(2025, 10), 4),  # January: 2025-10-17, across the year boundary
        (date(2025, 12, 31), month(2025, 10), 3),  # December 31st: 2025-10-02
        (date(2024, 3, 1), month(2023, 12), 4),  # leap year: 2023-12-02 (29 days in February)
        (date(2025, 3, 1), month(2024, 12), 4),  # common year: 2024-12-01 exactly
        (date(2024, 5, 29), month(2024, 2), 4),  # 90 days back lands on the leap day 2024-02-29
        (date(2024, 5, 30), month(2024, 3), 3),  # one day later it lands on 2024-03-01
    ],
)
def test_sync_window_covers_whole_months_from_ninety_days_back_to_today(today, first_month, count):
    window = sync_window(today=today)
    assert window[0] == first_month
    assert window[-1] == today.replace(day=1)
    assert len(window) == count
    assert all(m.day == 1 for m in window) and window == sorted(set(window))


def test_sync_window_with_other_lengths():
    assert sync_window(today=date(2026, 4, 8), days=0) == [APR]
    assert sync_window(today=date(2024, 2, 29), days=365) == [
        month(2023, 3),
        month(2023, 4),
        month(2023, 5),
        month(2023, 6),
        month(2023, 7),
        month(2023, 8),
        month(2023, 9),
        month(2023, 10),
        month(2023, 11),
        month(2023, 12),
        month(2024, 1),
        month(2024, 2),
    ]


def test_month_end_knows_leap_years_and_december():
    assert month_end(month(2024, 2)) == date(2024, 2, 29)
    assert month_end(month(2025, 2)) == date(2025, 2, 28)
    assert month_end(month(2025, 12)) == date(2025, 12, 31)


# --- hand-computed figures ----------------------------------------------------------------------


def test_partly_paid_invoice_counts_the_payment_as_revenue_and_the_rest_as_open():
    result = figures(
        [MAR],
        invoices=[invoice("67", "2026-03-10", "459.00", "239.00")],
        payments=[payment("101", "2026-03-17", line("220.00", ("Invoice", "67")))],
    )
    # revenue 220; open at the end of March: 459 - 220 = 239 (today's Balance, nothing paid later)
    assert result == {MAR: month_figures(MAR, revenue="220.00", ar_balance="239.00")}


def test_payment_of_several_invoices_counts_each_line_once():
    payments = [
        payment(
            "128",
            "2026-03-20",
            line("100.00", ("Invoice", "1")),
            line("50.25", ("Invoice", "2")),
            line("10.00", ("Invoice", "3")),
        )
    ]
    invoices = [
        invoice("1", "2026-03-01", "100.00", "0"),
        invoice("2", "2026-03-02", "80.25", "30.00"),
        invoice("3", "2026-03-03", "10.00", "0"),
    ]
    # revenue 100 + 50.25 + 10 = 160.25; open: only invoice 2, 80.25 - 50.25 = 30
    assert figures([MAR], invoices, payments) == {MAR: month_figures(MAR, revenue="160.25", ar_balance="30.00")}
    revenue = [r for r in rows([MAR], invoices, payments) if r.figure == "revenue"]
    assert [(r.txn_id, r.linked_txn_id, r.amount) for r in revenue] == [
        ("128", "1", Decimal("100.00")),
        ("128", "2", Decimal("50.25")),
        ("128", "3", Decimal("10.00")),
    ]


def test_payment_in_a_later_month_is_revenue_of_the_payment_month():
    result = figures(
        [month(2026, 2), MAR],
        invoices=[invoice("9", "2026-02-10", "300.00", "0")],
        payments=[payment("31", "2026-03-05", line("300.00", ("Invoice", "9")))],
    )
    assert result == {
        month(2026, 2): month_figures(month(2026, 2), ar_balance="300.00"),  # unpaid at Feb 28
        MAR: month_figures(MAR, revenue="300.00"),
    }


def test_old_invoice_before_the_window_still_open_counts_in_every_month():
    months = sync_window(today=date(2026, 4, 8))  # January to April 2026
    result = figures(months, invoices=[invoice("161", "2024-01-15", "100", "100")])
    assert result == {m: month_figures(m, ar_balance="100.00") for m in months}


def test_invoice_paid_after_a_month_end_is_open_at_that_month_end():
    months = [month(2026, 1), month(2026, 2), MAR, APR]
    result = figures(
        months,
        invoices=[invoice("12", "2026-01-20", "500.00", "0")],
        payments=[
            payment("61", "2026-02-10", line("200.00", ("Invoice", "12"))),
            payment("120", "2026-04-02", line("300.00", ("Invoice", "12"))),
        ],
    )
    # end of Jan: 0 + 200 + 300 = 500; end of Feb and Mar: 0 + 300 = 300; end of Apr: 0
    assert result == {
        month(2026, 1): month_figures(month(2026, 1), ar_balance="500.00"),
        month(2026, 2): month_figures(month(2026, 2), revenue="200.00", ar_balance="300.00"),
        MAR: month_figures(MAR, ar_balance="300.00"),
        APR: month_figures(APR, revenue="300.00"),
    }


def test_foreign_currency_cash_at_the_payment_rate_and_balances_at_the_invoice_rate():
    result = figures(
        [MAR, APR],
        invoices=[invoice("7", "2026-03-01", "1000.00", "0", rate="1.10")],
        payments=[
            payment("70", "2026-03-15", line("600.00", ("Invoice", "7")), rate="1.20"),
            payment("71", "2026-04-03", line("400.00", ("Invoice", "7")), rate="1.05"),
        ],
        bills=[bill("5", "2026-03-09", "33.33", rate="1.0837")],
    )
    # revenue Mar 600 x 1.20 = 720; Apr 400 x 1.05 = 420
    # AR end of Mar: (0 + 400) x 1.10 = 440 (the invoice's rate, not the later payment's)
    # bill 33.33 x 1.0837 = 36.119721 -> 36.12, both as March expense and as AP while unpaid
    assert result == {
        MAR: month_figures(MAR, revenue="720.00", expenses="36.12", ar_balance="440.00", ap_balance="36.12"),
        APR: month_figures(APR, revenue="420.00", ap_balance="36.12"),
    }


def test_foreign_currency_rows_keep_unrounded_home_amounts():
    [expense, payable] = rows([MAR], bills=[bill("5", "2026-03-09", "33.33", rate="1.0837")])
    assert (expense.figure, expense.amount, expense.exchange_rate, expense.home_amount) == (
        "expenses",
        Decimal("33.33"),
        Decimal("1.0837"),
        Decimal("36.119721"),
    )
    assert (payable.figure, payable.home_amount) == ("ap_balance", Decimal("36.119721"))


def test_voided_transactions_count_zero_and_leave_no_rows():
    voided_invoice = invoice("264", "2026-03-29", "0", "0") | {"PrivateNote": "Voided", "SyncToken": "1"}
    voided_payment = payment("180", "2026-03-30", line("0", ("Invoice", "264")), total="0")
    voided_bill = bill("126", "2026-03-08", "0", "0") | {"PrivateNote": "Voided"}
    args = ([MAR], [voided_invoice], [voided_payment], [voided_bill])
    assert figures(*args) == {MAR: month_figures(MAR)}
    assert rows(*args) == []


def test_credits_unapplied_cash_and_journal_entries_are_not_revenue():
    invoices = [
        invoice("71", "2026-02-19", "205.00", "0"),
        invoice("80", "2026-03-01", "0", "0"),
        invoice("81", "2026-03-02", "150.00", "0"),
        invoice("82", "2026-03-02", "30.00", "0"),
        invoice("83", "2026-03-02", "80.00", "20.00"),
        invoice("84", "2026-03-03", "-25.00", "-25.00"),
    ]  # a credit balance is not a receivable
    payments = [
        payment("72", "2026-03-16", line("105.00", ("Invoice", "71"))),
        # QuickBooks links credit memo 73 to invoice 71: it settles 100 of the invoice but brings no cash.
        payment("74", "2026-03-22", line("100", ("Invoice", "71")), line("100", ("CreditMemo", "73")), total="0"),
        payment("170", "2026-03-23", unapplied="100", total="100"),  # unapplied cash: "Line": []
        payment("90", "2026-03-24", line("40.00", ("JournalEntry", "55"))),
        # 150 + 30 + 60 applied, credit memo 77 of 50 taken off in line order: cash 100 to 81, 30 to 82,
        # 60 to 83 -> 100 + 30 + 60 = 190 of cash (TotalAmt 240 - 50)
        payment(
            "91",
            "2026-03-25",
            line("150.00", ("Invoice", "81")),
            line("30.00", ("Invoice", "82")),
            line("60.00", ("Invoice", "83")),
            line("50.00", ("CreditMemo", "77")),
            total="190.00",
        ),
    ]
    result = figures([month(2026, 2), MAR], invoices, payments)
    # revenue March: 105 (payment 72) + 0 (74) + 0 (170) + 0 (90) + 190 (91) = 295
    # AR end of Feb: invoice 71, 0 + 105 + 100 = 205; AR end of Mar: invoice 83's 20
    assert result == {
        month(2026, 2): month_figures(month(2026, 2), ar_balance="205.00"),
        MAR: month_figures(MAR, revenue="295.00", ar_balance="20.00"),
    }
    revenue = [(r.txn_id, r.linked_txn_id, r.amount) for r in rows([MAR], invoices, payments) if r.figure == "revenue"]
    assert sorted(revenue) == [
        ("72", "71", Decimal("105.00")),
        ("91", "81", Decimal("100.00")),
        ("91", "82", Decimal("30.00")),
        ("91", "83", Decimal("60.00")),
    ]


def test_line_linked_to_several_invoices_goes_to_the_first():
    invoices = [invoice("1", "2026-02-05", "90.00", "0"), invoice("2", "2026-02-06", "50.00", "50.00")]
    payments = [payment("3", "2026-03-02", line("90.00", ("Invoice", "1"), ("Invoice", "2")))]
    # end of Feb: invoice 1 restored to 90, invoice 2 still 50 -> 140; end of Mar: 50
    assert figures([month(2026, 2), MAR], invoices, payments) == {
        month(2026, 2): month_figures(month(2026, 2), ar_balance="140.00"),
        MAR: month_figures(MAR, revenue="90.00", ar_balance="50.00"),
    }
    [revenue] = [r for r in rows([MAR], invoices, payments) if r.figure == "revenue"]
    assert revenue.linked_txn_id == "1"


def test_bills_and_bill_payments_make_expenses_and_ap_balance():
    result = figures(
        [MAR, APR],
        bills=[bill("24", "2026-03-23", "900.00", "0"), bill("19", "2026-04-01", "241.23", "241.23")],
        bill_payments=[bill_payment("104", "2026-04-01", line("900", ("Bill", "24")))],
    )
    # expenses Mar 900, Apr 241.23; AP end of Mar: 0 + 900 (paid April 1st) = 900; end of Apr 241.23
    assert result == {
        MAR: month_figures(MAR, expenses="900.00", ap_balance="900.00"),
        APR: month_figures(APR, expenses="241.23", ap_balance="241.23"),
    }


def test_month_with_no_activity_gets_zeros():
    months = [month(2026, 1), month(2026, 2), MAR]
    assert figures(months) == {m: month_figures(m) for m in months}
    result = figures(
        months,
        bills=[bill("1", "2026-01-10", "75.00", "0")],
        bill_payments=[bill_payment("2", "2026-01-20", line("75.00", ("Bill", "1")))],
        payments=[payment("3", "2026-03-05", unapplied="10", total="10")],
    )
    assert result[month(2026, 2)] == month_figures(month(2026, 2))


def test_transactions_outside_the_months_add_nothing_to_revenue_or_expenses():
    result = figures(
        [MAR],
        invoices=[invoice("1", "2026-01-05", "50.00", "0")],
        payments=[payment("2", "2026-02-27", line("50.00", ("Invoice", "1")))],
        bills=[bill("3", "2026-04-01", "20.00", "0")],
    )
    assert result == {MAR: month_figures(MAR)}


def test_figures_are_rounded_once_at_the_end():
    # each bill is 0.01 x 0.5 = 0.005 at home: 0.015 in all -> 0.02 (rounding each row first gives 0.03)
    bills = [bill(str(n), "2026-03-10", "0.01", rate="0.5") for n in (1, 2, 3)]
    assert figures([MAR], bills=bills) == {MAR: month_figures(MAR, expenses="0.02", ap_balance="0.02")}
    assert {r.home_amount for r in rows([MAR], bills=bills)} == {Decimal("0.005")}


def test_duplicated_rows_count_once():
    inv = invoice("67", "2026-03-10", "459.00", "239.00")
    pay = payment("101", "2026-03-17", line("220.00", ("Invoice", "67")))
    once = figures([MAR], [inv], [pay])
    assert figures([MAR], [inv, inv, inv], [pay, pay]) == once
    assert once[MAR] == month_figures(MAR, revenue="220.00", ar_balance="239.00")


def test_copy_edited_between_two_fetches_counts_its_newest_version():
    old = invoice("67", "2026-03-10", "459.00", "459.00", sync_token="2")
    new = invoice("67", "2026-03-10", "459.00", "239.00", sync_token="10")  # numeric order, not text
    assert figures([MAR], [old, new])[MAR].ar_balance == Decimal("239.00")
    assert figures([MAR], [new, old])[MAR].ar_balance == Decimal("239.00")


def test_rows_say_what_the_drill_down_shows():
    [revenue, open_invoice] = rows(
        [MAR],
        invoices=[invoice("67", "2026-03-10", "459.00", "239.00", doc="1021", customer="Amy")],
        payments=[payment("101", "2026-03-17", line("220.00", ("Invoice", "67")), customer="Amy")],
    )
    assert revenue == FigureRow(
        month=MAR,
        figure="revenue",
        txn_type="Payment",
        txn_id="101",
        txn_date=date(2026, 3, 17),
        party="Amy",
        doc_number="",
        linked_txn_id="67",
        linked_doc_number="1021",  # the paid invoice's own number, not its Id
        currency="",
        amount=Decimal("220.00"),
        exchange_rate=Decimal(1),
        home_amount=Decimal("220.00"),
    )
    assert open_invoice == FigureRow(
        month=MAR,
        figure="ar_balance",
        txn_type="Invoice",
        txn_id="67",
        txn_date=date(2026, 3, 10),
        party="Amy",
        doc_number="1021",
        linked_txn_id="",
        linked_doc_number="",
        currency="",
        amount=Decimal("239.00"),
        exchange_rate=Decimal(1),
        home_amount=Decimal("239.00"),
    )


def test_float_money_is_refused():
    with pytest.raises(TypeError, match="float"):
        figures([MAR], invoices=[invoice("1", "2026-03-01", "10") | {"Balance": 10.0}])
    with pytest.raises(TypeError, match="float"):
        figures([MAR], bills=[bill("1", "2026-03-01", "10") | {"ExchangeRate": 1.1}])
    with pytest.raises(TypeError, match="float"):
        figures(
            [MAR],
            payments=[payment("1", "2026-03-01", {"Amount": 5.5, "LinkedTxn": [{"TxnId": "1", "TxnType": "Invoice"}]})],
        )


def test_int_and_str_money_are_read_as_decimal():
    # QuickBooks writes whole amounts as JSON integers ("Amount": 387)
    row = invoice("1", "2026-03-01", "0") | {"TotalAmt": 100, "Balance": "12.50"}
    assert figures([MAR], invoices=[row])[MAR].ar_balance == Decimal("12.50")


def test_months_must_be_first_days():
    with pytest.raises(ValueError, match="first days"):
        figures([date(2026, 3, 15)])
