"""Builders of QuickBooks rows for the figures' tests, in the shape QuickBooks returns them (see
the payment and invoice query pages), with amounts as Decimal the way the client parses them."""

from datetime import date
from decimal import Decimal

from finance.quickbooks.figures import MonthFigures, figure_rows, figures_of_rows


def month(year, number):
    return date(year, number, 1)


def invoice(id, on, total, balance=None, *, rate=None, customer="Cool Cars", sync_token="0", doc=""):
    row = {
        "Id": id,
        "SyncToken": sync_token,
        "TxnDate": on,
        "DocNumber": doc,
        "CustomerRef": {"value": "3", "name": customer},
        "TotalAmt": Decimal(total),
        "Balance": Decimal(total if balance is None else balance),
    }
    if rate is not None:
        row["ExchangeRate"] = Decimal(rate)
    return row


def bill(id, on, total, balance=None, *, rate=None, vendor="Hall Properties"):
    row = invoice(id, on, total, balance, rate=rate)
    del row["CustomerRef"]
    row["VendorRef"] = {"value": "40", "name": vendor}
    return row


def line(amount, *links):
    """A payment line: one Amount, linked to ("Invoice", "67")-style (type, id) pairs."""
    return {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": i, "TxnType": t} for t, i in links]}


def payment(id, on, *lines, rate=None, unapplied="0", total=None, customer="Cool Cars"):
    row = {
        "Id": id,
        "SyncToken": "0",
        "TxnDate": on,
        "CustomerRef": {"value": "3", "name": customer},
        "TotalAmt": Decimal(total) if total is not None else sum((ln["Amount"] for ln in lines), Decimal(0)),
        "UnappliedAmt": Decimal(unapplied),
        "Line": list(lines),
    }
    if rate is not None:
        row["ExchangeRate"] = Decimal(rate)
    return row


def bill_payment(id, on, *lines, rate=None):
    row = payment(id, on, *lines, rate=rate)
    del row["CustomerRef"], row["UnappliedAmt"]
    row["VendorRef"] = {"value": "40", "name": "Hall Properties"}
    return row


def monthly_figures(*, months, **fetched):
    """The four figures of each month, as a sync computes them: rows first, then their sums."""
    return figures_of_rows(months, figure_rows(months=months, **fetched))


def figures(months, invoices=(), payments=(), bills=(), bill_payments=()):
    return monthly_figures(
        months=months, invoices=invoices, payments=payments, bills=bills, bill_payments=bill_payments
    )


def rows(months, invoices=(), payments=(), bills=(), bill_payments=()):
    return figure_rows(months=months, invoices=invoices, payments=payments, bills=bills, bill_payments=bill_payments)


def month_figures(m, revenue="0.00", expenses="0.00", ar_balance="0.00", ap_balance="0.00"):
    return MonthFigures(
        month=m,
        revenue=Decimal(revenue),
        expenses=Decimal(expenses),
        ar_balance=Decimal(ar_balance),
        ap_balance=Decimal(ap_balance),
    )


MAR, APR = month(2026, 3), month(2026, 4)
