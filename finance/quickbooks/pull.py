"""One pull sync of one connection: QuickBooks invoices, bills and payments -> the entity's monthly
snapshots (docs/sync.md).

Order of work, so that a failure never leaves half-synced months:
1. record the run before any call, and start it under the connection's lock (``runs.py``: a second
   sync while one runs is recorded ``skipped``);
3. fetch every row the figures need, in as few HTTP calls as the 1000-row page allows (up to 30
   queries share one ``batch`` call);
4. compute the window's figures and their drill-down rows with the pure functions of ``figures.py``;
5. write every month of the window, its drill-down rows, its log lines and the run's outcome in one
   transaction;
6. tie out the current month's balances with QuickBooks' aged reports (``tieout.py``); a failure
   there is logged and shown, and never undoes the sync.
Any QuickBooks error (fault, throttling past the retries, timeout) before step 6 ends the run as
``error`` with one log line and no figure written.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from finance.models import (
    ConnectionStatus,
    MonthlySnapshot,
    QuickBooksConnection,
    SyncAction,
    SyncDirection,
    SyncLogEntry,
    SyncRun,
)
from finance.money import money_text
from finance.quickbooks import figures, invoice_status, runs, tieout
from finance.quickbooks.client import PAGE_LIMIT, CallCounter, QuickBooksClient, by_id_selects, quote
from finance.quickbooks.drilldown import replace_sources
from finance.quickbooks.errors import QuickBooksError
from finance.quickbooks.figures import FIGURE_LABELS, FIGURES
from finance.quickbooks.tokens import NotConnectedError, with_client

_T = TypeVar("_T")
# Only these keys of a fetched row are kept: what figures.py reads (and what tells two copies apart).
ROW_KEYS = (
    "Id", "SyncToken", "MetaData", "TxnDate", "TotalAmt", "Balance", "ExchangeRate", "DocNumber", "UnappliedAmt",
)  # fmt: skip
LINE_KEYS = ("Amount", "LinkedTxn")
PAYMENT_QUERIES = ("payments", "bill_payments")


@dataclass
class Fetched:
    """The rows one sync works from, one dict per transaction, and how many came back per query."""

    invoices: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    bills: list[dict] = field(default_factory=list)
    bill_payments: list[dict] = field(default_factory=list)
    credit_memos: list[dict] = field(default_factory=list)  # open ones, for the tie-out only
    counts: dict[str, int] = field(default_factory=dict)


# --- fetching -----------------------------------------------------------------------------------


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while pages are parsed and trimmed, rows computed and written:
    these are hundreds of thousands of new objects, none of them garbage yet, so each automatic
    collection would scan them all for nothing (it cost a third of the time spent outside HTTP).
    Reference counting still frees what is dropped. Leave the block only once they are freed: the
    first collection after it would otherwise scan every one still alive."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def slim(row: dict, *, lines: bool = False) -> dict:
    """The parts of a QuickBooks row the figures read; the rest is dropped as soon as it arrives.

    ``lines``: keep the lines' amounts and links (payments: what they paid); a document's own lines
    (items, descriptions) are never needed."""
    kept = {key: row[key] for key in ROW_KEYS if key in row}
    ref = row.get("CustomerRef") or row.get("VendorRef")
    if ref:
        kept["CustomerRef" if "CustomerRef" in row else "VendorRef"] = {"name": ref.get("name", "")}
    if row.get("CurrencyRef"):
        kept["CurrencyRef"] = {"value": row["CurrencyRef"].get("value", "")}
    if lines and "Line" in row:
        kept["Line"] = [{k: line[k] for k in LINE_KEYS if k in line} for line in row["Line"] or ()]
    return kept


def linked_ids(payments: list[dict], txn_type: str) -> set[str]:
    return {target for payment in payments for target, _ in figures.applied_lines(payment, txn_type)}


def fetch_rows(client: QuickBooksClient, *, since: date, page_size: int = PAGE_LIMIT) -> Fetched:
    """Every row the figures need (docs/sync.md, "What is fetched") for a window starting on
    ``since``, in few batch calls: each query's first page with its count, then all further pages
    at once, then the documents that payments link to but that no query brought (by Id)."""
    dated = f"TxnDate >= {quote(since.isoformat())}"
    selects = {
        "invoices": ("Invoice", dated),
        "open_invoices": ("Invoice", "Balance > '0'"),
        "payments": ("Payment", dated),
        "bills": ("Bill", dated),
        "open_bills": ("Bill", "Balance > '0'"),
        "bill_payments": ("BillPayment", dated),
        # Not a figure: what QuickBooks' AR aging counts and V1 does not (same batch call, no extra).
        "open_credit_memos": ("CreditMemo", "Balance > '0'"),
    }
    rows = {
        name: [slim(r, lines=name in PAYMENT_QUERIES) for r in page]
        for name, page in client.query_all_counted(selects, page_size=page_size).items()
    }
    fetched = Fetched(
        invoices=rows["invoices"] + rows["open_invoices"],
        payments=rows["payments"],
        bills=rows["bills"] + rows["open_bills"],
        bill_payments=rows["bill_payments"],
        credit_memos=rows["open_credit_memos"],
        counts={name: len(found) for name, found in rows.items()},
    )
    have_invoices = {str(r["Id"]) for r in fetched.invoices}
    have_bills = {str(r["Id"]) for r in fetched.bills}
    missing_invoices = sorted(linked_ids(fetched.payments, "Invoice") - have_invoices)
    missing_bills = sorted(linked_ids(fetched.bill_payments, "Bill") - have_bills)
    linked = {
        **by_id_selects("invoice", "Invoice", missing_invoices, page_size),
        **by_id_selects("bill", "Bill", missing_bills, page_size),
    }
    found = client.query_all_many(linked, page_size=page_size) if linked else {}
    for name, page in found.items():
        (fetched.invoices if name.startswith("invoice_") else fetched.bills).extend(slim(r) for r in page)
    fetched.counts["linked_invoices"] = sum(len(p) for n, p in found.items() if n.startswith("invoice_"))
    fetched.counts["linked_bills"] = sum(len(p) for n, p in found.items() if n.startswith("bill_"))
    fetched.counts["rows"] = sum(fetched.counts.values())
    return fetched


# --- writing ------------------------------------------------------------------------------------


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def new_values(figures_of_month: figures.MonthFigures) -> dict[str, Decimal]:
    return {name: getattr(figures_of_month, name) for name in FIGURES}


def log_entry(run: SyncRun, connection: QuickBooksConnection, month: date, action: str, message: str, details):
    return SyncLogEntry(
        company_id=connection.company_id,
        entity_id=connection.entity_id,
        run=run,
        direction=SyncDirection.PULL,
        action=action,
        object_type="MonthlySnapshot",
        object_ref=month_label(month),
        message=message,
        details=details,
    )


def synced_before(connection: QuickBooksConnection, months: list[date]) -> set[str]:
    """The months (as "YYYY-MM") whose figures an earlier sync wrote, in one query."""
    lines = SyncLogEntry.objects.filter(
        company_id=connection.company_id,
        entity_id=connection.entity_id,
        direction=SyncDirection.PULL,
        object_type="MonthlySnapshot",
        action__in=[SyncAction.CREATED, SyncAction.UPDATED],
        object_ref__in=[month_label(m) for m in months],
    )
    return set(lines.values_list("object_ref", flat=True).distinct())


def write_months(
    *,
    run: SyncRun,
    connection: QuickBooksConnection,
    monthly: dict[date, figures.MonthFigures],
    started_by=None,
    today: date | None = None,
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Create, update or leave each month of the window, with one log line each. A constant number of
    queries whatever the window holds. Call inside the run's transaction.

    An update of a month that has ended (before ``today``'s) and that an earlier sync wrote is a
    restatement: its log line carries ``"restatement": true`` for the snapshot page."""
    now = timezone.now()
    current = figures.month_start(today) if today else max(monthly, default=None)
    earlier = synced_before(connection, list(monthly))
    existing = {
        snapshot.month: snapshot
        for snapshot in MonthlySnapshot.objects.select_for_update().filter(
            entity_id=connection.entity_id, month__in=list(monthly)
        )
    }
    to_create, to_update, lines, changed = [], [], [], []
    for month, month_figures in sorted(monthly.items()):
        values = new_values(month_figures)
        snapshot = existing.get(month)
        if snapshot is None:
            to_create.append(
                MonthlySnapshot(entity_id=connection.entity_id, month=month, updated_by=started_by, **values)
            )
            said = ", ".join(f"{FIGURE_LABELS[k]} {money_text(v)}" for k, v in values.items())
            lines.append(
                log_entry(
                    run,
                    connection,
                    month,
                    SyncAction.CREATED,
                    f"{month_label(month)} created: {said}",
                    {"new": {k: str(v) for k, v in values.items()}},
                )
            )
            changed.append(
                {
                    "month": month_label(month),
                    "action": "created",
                    "changes": {k: [None, str(v)] for k, v in values.items()},
                }
            )
            continue
        changes = {k: [str(getattr(snapshot, k)), str(v)] for k, v in values.items() if getattr(snapshot, k) != v}
        if not changes:
            lines.append(log_entry(run, connection, month, SyncAction.SKIPPED, f"{month_label(month)} unchanged", {}))
            continue
        for name, value in values.items():
            setattr(snapshot, name, value)
        snapshot.updated_at, snapshot.updated_by = now, started_by
        to_update.append(snapshot)
        said = ", ".join(
            f"{FIGURE_LABELS[k]} {money_text(Decimal(old))} → {money_text(Decimal(new))}"
            for k, (old, new) in changes.items()
        )
        details: dict[str, Any] = {"changes": {k: {"old": old, "new": new} for k, (old, new) in changes.items()}}
        restated = current is not None and month < current and month_label(month) in earlier
        if restated:
            details["restatement"] = True
        verb = "restated" if restated else "updated"
        lines.append(
            log_entry(run, connection, month, SyncAction.UPDATED, f"{month_label(month)} {verb}: {said}", details)
        )
        changed.append({"month": month_label(month), "action": "updated", "changes": changes})
    MonthlySnapshot.objects.bulk_create(to_create)
    if to_update:
        MonthlySnapshot.objects.bulk_update(to_update, [*FIGURES, "updated_at", "updated_by"])
    SyncLogEntry.objects.bulk_create(lines)
    counts = {
        "months_created": len(to_create),
        "months_updated": len(to_update),
        "months_unchanged": len(monthly) - len(to_create) - len(to_update),
    }
    return counts, changed


# --- the service --------------------------------------------------------------------------------


def started(run: SyncRun, connection: QuickBooksConnection) -> bool:
    """Start the run, or end it (skipped or failed, with its reason) when the connection cannot be
    synced now: it needs reconnecting, its company keeps its books in another currency than the
    entity, or another sync of it is running."""
    # What may have changed since the job was queued (the entity, already loaded, stays).
    connection.refresh_from_db(fields=["status", "status_reason", "realm_id", "qb_company_name", "qb_home_currency"])
    if connection.status != ConnectionStatus.CONNECTED:
        runs.skip(run, f"needs reconnect ({connection.get_status_display()}).")
        return False
    entity_currency = connection.entity.home_currency
    if connection.qb_home_currency != entity_currency:  # never another currency's figures in the months
        runs.fail(
            run,
            f"the QuickBooks company “{connection.qb_company_name}” keeps its books in "
            f"{connection.qb_home_currency or 'an unknown currency'}, not in {entity_currency} like "
            f"{connection.entity.name}. Reconnect {connection.entity.name} to its own {entity_currency} company.",
        )
        return False
    return runs.start(run)


def sync_connection(
    *,
    connection: QuickBooksConnection,
    trigger: str,
    started_by=None,
    today: date | None = None,
    run: SyncRun | None = None,
    page_size: int = PAGE_LIMIT,
    tie_out: bool = True,
) -> SyncRun:
    """Pull one connection's figures for the window ending ``today`` (the entity's today unless
    given) into its monthly snapshots. Returns the finished run: ``success``, ``error`` (nothing
    written) or ``skipped`` (needs reconnect, or another sync of the connection is running).

    ``run``: a run recorded earlier (queued by Sync now or the fan-out); else one is recorded now.
    ``tie_out``: after the figures are committed, compare them with QuickBooks' aged reports
    (two more calls); off only where the sync alone is measured.
    """
    run = run or runs.record(
        connection=connection, direction=SyncDirection.PULL, trigger=trigger, started_by=started_by
    )
    if not started(run, connection):
        return run
    today = today or timezone.localdate(timezone=connection.entity.zone)
    counter = runs.call_counter()
    started_by = started_by or run.started_by
    outcome = guarded(
        run,
        counter,
        lambda: pull(run, connection, today=today, started_by=started_by, page_size=page_size, counter=counter),
    )
    if outcome is not None:
        after_write(run, connection, today=today, outcome=outcome, tie_out=tie_out)
    return run


def guarded(run: SyncRun, counter: CallCounter, work: Callable[[], _T]) -> _T | None:
    """Do a started run's work. A lost authorization ends the run ``skipped``, a QuickBooks error
    ``error`` (None is returned then); anything else is a bug, kept on the run, then raised. No cyclic
    GC meanwhile, and until the rows are freed (when this returns): see paused_gc."""
    try:
        with paused_gc():
            return work()
    except NotConnectedError as error:
        runs.skip(run, f"needs reconnect: {error}")
    except QuickBooksError as error:
        runs.fail(run, str(error), retryable=error.transient, counter=counter)
    except Exception as error:
        runs.fail(run, f"unexpected error ({type(error).__name__}): {error}", counter=counter)
        raise
    return None


def after_write(run: SyncRun, connection: QuickBooksConnection, *, today: date, outcome, tie_out: bool) -> None:
    """Once the figures are committed: the pushed invoices' status on their sales (docs/push.md),
    then, if asked, the tie-out with QuickBooks' aged reports."""
    fetched, monthly, sources = outcome
    invoice_status.record(run, connection, invoices=fetched.invoices, payments=fetched.payments)
    if tie_out and monthly:
        record_tie_out(run, connection, today=today, current=monthly[max(monthly)], sources=sources, fetched=fetched)


def pull(
    run: SyncRun,
    connection: QuickBooksConnection,
    *,
    today: date,
    started_by,
    page_size: int,
    counter: CallCounter,
) -> tuple[Fetched, dict[date, figures.MonthFigures], list[figures.FigureRow]]:
    """The started run's work: fetch, compute, then write the figures, their drill-downs and the
    run's success in one transaction. Returns what the tie-out reads."""
    months = figures.sync_window(today=today)
    fetched, _ = with_client(
        connection, lambda client: fetch_rows(client, since=months[0], page_size=page_size), counter=counter
    )
    run.counts = dict(fetched.counts)
    monthly, sources = write_figures(
        run, connection, fetched, months=months, today=today, started_by=started_by, counter=counter
    )
    return fetched, monthly, sources


def write_figures(
    run: SyncRun,
    connection: QuickBooksConnection,
    fetched: Fetched,
    *,
    months: list[date],
    today: date,
    started_by,
    counter: CallCounter,
    also: Callable[[], None] | None = None,
) -> tuple[dict[date, figures.MonthFigures], list[figures.FigureRow]]:
    """Compute the window's figures from ``fetched``, then write them, their drill-downs, ``also``
    (what the caller keeps with them) and the run's success in one transaction."""
    rows = figures.figure_rows(
        months=months,
        invoices=fetched.invoices,
        payments=fetched.payments,
        bills=fetched.bills,
        bill_payments=fetched.bill_payments,
    )
    monthly = figures.figures_of_rows(months, rows)
    sources = figures.drilldown_rows(rows)
    with transaction.atomic():
        month_counts, run.changed_months = write_months(
            run=run, connection=connection, monthly=monthly, started_by=started_by, today=today
        )
        run.counts.update(month_counts)
        run.counts["drilldown_rows"] = replace_sources(
            entity_id=connection.entity_id, realm_id=connection.realm_id, months=months, rows=sources
        )
        if also is not None:
            also()
        runs.succeed(run, counter=counter, fields=("counts", "changed_months"))
    return monthly, sources


# --- the tie-out ----------------------------------------------------------------------------------


def tie_out_inputs(*, today: date, current: figures.MonthFigures, sources, fetched: Fetched) -> dict[str, Any]:
    """What the sync already knows that QuickBooks' aging counts and the balances do not."""
    payments = [p for p in figures.unique_by_id(fetched.payments) if figures.txn_date(p) <= today]
    bill_payments = [p for p in figures.unique_by_id(fetched.bill_payments) if figures.txn_date(p) <= today]
    memos = [m for m in fetched.credit_memos if figures.txn_date(m) <= today] if fetched.credit_memos else []
    foreign = {"ar": 0, "ap": 0}
    for row in sources:
        if row.month == current.month and row.figure in ("ar_balance", "ap_balance") and row.exchange_rate != 1:
            foreign[row.figure[:2]] += 1
    foreign["ar"] += sum(1 for m in memos if figures.exchange_rate(m) != 1)
    return {
        "ar_balance": current.ar_balance,
        "ap_balance": current.ap_balance,
        "credits": {"ar": figures.open_credits_home(memos)},
        "unapplied": {
            "ar": sum((figures.unapplied_home(p, "Invoice") for p in payments), Decimal(0)),
            "ap": sum((figures.unapplied_home(p, "Bill") for p in bill_payments), Decimal(0)),
        },
        "foreign_rows": foreign,
    }


def record_tie_out(
    run: SyncRun, connection: QuickBooksConnection, *, today: date, current: figures.MonthFigures, sources, fetched
) -> None:
    """Compare with QuickBooks' aged reports and keep the result on the run. Never fails the sync:
    a failure is kept on the run and logged as "tie-out unavailable"."""
    counter = runs.call_counter()
    inputs = tie_out_inputs(today=today, current=current, sources=sources, fetched=fetched)
    try:
        run.tie_out, _ = with_client(connection, lambda c: tieout.tie_out(c, today=today, **inputs), counter=counter)
    except Exception as error:  # noqa: BLE001 - the figures are written; the comparison is extra
        reason = str(error) if isinstance(error, QuickBooksError | NotConnectedError) else type(error).__name__
        run.tie_out = {"as_of": today.isoformat(), "error": reason[:500]}
        runs.log(
            run,
            SyncAction.ERROR,
            f"Tie-out with QuickBooks' aged reports unavailable (the sync itself succeeded): {reason}",
        )
    calls = counter.total
    run.qbo_calls += calls
    run.counts["tie_out_calls"] = calls
    run.save(update_fields=["tie_out", "qbo_calls", "counts"])
