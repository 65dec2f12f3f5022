"""The pushed invoices' status back on their sales, after each pull sync (docs/push.md, "Status").

For every sale pushed to the connection's realm: QuickBooks' total and balance, the date of the
last payment applied to it, and whether it still exists (deleted) or was voided. Invoices the sync
already fetched cost no call; the others are read by Id, in one batch call (500 ids per query, 30
queries per call). A failure here is logged and never undoes the sync.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from finance.models import QuickBooksConnection, SyncAction, SyncRun
from finance.quickbooks import figures, runs
from finance.quickbooks.client import QuickBooksClient, by_id_selects
from finance.quickbooks.errors import QuickBooksError
from finance.quickbooks.tokens import NotConnectedError, with_client
from sales.models import InvoiceGone, Sale

FIELDS = ("qb_currency", "qb_total", "qb_balance", "qb_last_paid_on", "qb_invoice_gone", "qb_checked_at")


def record(run: SyncRun, connection: QuickBooksConnection, *, invoices: list[dict], payments: list[dict]) -> int:
    """Update the pushed sales of the connection; returns how many were looked at."""
    sales = list(
        Sale.objects.filter(entity_id=connection.entity_id, qb_realm_id=connection.realm_id).exclude(qb_invoice_id="")
    )
    if not sales:
        return 0
    known = {str(row["Id"]): row for row in invoices}
    missing = sorted({sale.qb_invoice_id for sale in sales} - set(known))
    counter = runs.call_counter()
    try:
        if missing:
            found, _ = with_client(connection, lambda client: read_by_id(client, missing), counter=counter)
            known.update(found)
    except (QuickBooksError, NotConnectedError) as error:
        runs.log(run, SyncAction.ERROR, f"Pushed invoices' status not updated (the sync itself succeeded): {error}")
        return 0
    finally:
        run.qbo_calls += counter.total
        run.save(update_fields=["qbo_calls"])
    paid_on = last_payment_dates(payments)
    now = timezone.now()
    for sale in sales:
        apply_status(sale, known.get(sale.qb_invoice_id), paid_on.get(sale.qb_invoice_id), now=now)
    Sale.objects.bulk_update(sales, FIELDS)
    run.counts["pushed_invoices"] = len(sales)
    run.save(update_fields=["counts"])
    return len(sales)


def read_by_id(client: QuickBooksClient, ids: list[str]) -> dict[str, dict]:
    pages = client.query_all_many(by_id_selects("invoices", "Invoice", ids))
    return {str(row["Id"]): row for page in pages.values() for row in page}


def last_payment_dates(payments: list[dict]) -> dict[str, date]:
    """Invoice Id -> the latest date of a fetched payment applied to it."""
    latest: dict[str, date] = {}
    for payment in payments:
        day = figures.txn_date(payment)
        for invoice_id, _ in figures.applied_lines(payment, "Invoice"):
            if invoice_id not in latest or day > latest[invoice_id]:
                latest[invoice_id] = day
    return latest


def apply_status(sale: Sale, invoice: dict | None, paid_on: date | None, *, now) -> None:
    sale.qb_checked_at = now
    if invoice is None:
        sale.qb_invoice_gone = InvoiceGone.DELETED
        return
    total = Decimal(str(invoice.get("TotalAmt", 0)))
    # QuickBooks voids an invoice by zeroing its amounts (and noting "Voided"); a pushed invoice is
    # never for 0, so a total of 0 is a void even where the sync kept no note.
    if invoice.get("PrivateNote") == "Voided" or (total == 0 and sale.amount != 0):
        sale.qb_invoice_gone = InvoiceGone.VOIDED
        return
    sale.qb_invoice_gone = ""
    sale.qb_currency = (invoice.get("CurrencyRef") or {}).get("value") or sale.qb_currency or sale.currency
    sale.qb_total = total
    sale.qb_balance = Decimal(str(invoice.get("Balance", total)))
    if sale.qb_balance >= total:
        sale.qb_last_paid_on = None  # nothing paid (a payment since removed takes its date with it)
    elif paid_on is not None and (sale.qb_last_paid_on is None or paid_on > sale.qb_last_paid_on):
        sale.qb_last_paid_on = paid_on
