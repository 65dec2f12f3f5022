"""An incremental sync: the changes QuickBooks reports since the mirror's watermark (change data
capture), applied to the mirror, and the window's figures recomputed from it (docs/sync.md, "The
mirror").

An unchanged company costs one call: the CDC answer is empty, nothing is written but the run and
the watermark. A changed one costs that call, a by-Id batch for documents a new payment pays that
the mirror lacks, and the usual writes of the changed months. The full read of ``pull.py`` is used
instead, in the same run, when the mirror cannot be trusted to be complete: there is none yet, the
connection's company changed, a new month entered the window, the watermark is older than
QuickBooks keeps changes (30 days), the daily full read is due (``QBO_FULL_READ_HOURS``), or an
entity's changes reached QuickBooks' 1,000-row cap. A full read replaces the mirror and logs the
rows change data capture had missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finance.mirror import store as mirror_store
from finance.models import QuickBooksConnection, SyncAction, SyncDirection, SyncRun
from finance.quickbooks import figures, pull, runs
from finance.quickbooks.client import PAGE_LIMIT, CallCounter, QuickBooksClient, by_id_selects
from finance.quickbooks.tokens import with_client

# What change data capture is asked for, and the mirror's kind of each.
CDC_KINDS = {"Invoice": "invoices", "Payment": "payments", "Bill": "bills", "BillPayment": "bill_payments",
             "CreditMemo": "credit_memos"}  # fmt: skip
CDC_CAP = 1000  # QuickBooks answers at most this many rows of an entity
KEPT_DAYS = 30  # QuickBooks keeps changes this long
OVERLAP = timedelta(minutes=5)  # asked again: changes saved while the last answer was being made


@dataclass
class Changes:
    """A change data capture answer applied to the mirror."""

    rows: int = 0  # rows QuickBooks reported (changed or deleted)
    applied: int = 0  # of which changed the mirror (a row already held in that version does not)
    linked: int = 0  # documents fetched by Id because a new payment pays them


def full_read_reason(mirror: mirror_store.Mirror, months: list[date], now: datetime) -> str:
    """Why this sync must read in full ('' when the mirror and change data capture will do)."""
    state = mirror.state
    if state is None:
        return "no mirror yet"
    if state.realm_id != mirror.connection.realm_id:
        return "the entity is connected to another QuickBooks company"
    if state.window_start != months[0]:
        return "a new month entered the window"
    if now - state.watermark > timedelta(days=KEPT_DAYS) - OVERLAP:
        return f"the last change capture is older than QuickBooks keeps changes ({KEPT_DAYS} days)"
    if now - state.last_full_at > timedelta(hours=settings.QBO_FULL_READ_HOURS):
        return "the daily full read"
    return ""


def read_changes(client: QuickBooksClient, since: datetime) -> dict[str, list[dict]] | None:
    """Entity -> its changed rows since ``since``; None when an entity reached the cap."""
    changed = client.change_data_capture(list(CDC_KINDS), since)
    if any(len(rows) >= CDC_CAP for rows in changed.values()):
        return None
    return changed


def apply(mirror: mirror_store.Mirror, changed: dict[str, list[dict]]) -> tuple[Changes, set[str]]:
    """Put the changed rows in the mirror, drop the deleted ones; returns the counts and the kinds
    that changed. Credit memos are kept only while open (the tie-out's)."""
    counts, kinds = Changes(), set()
    for entity, rows in changed.items():
        kind = CDC_KINDS[entity]
        held = mirror.rows[kind]
        for row in rows:
            counts.rows += 1
            key = str(row.get("Id"))
            closed_memo = kind == "credit_memos" and figures.amount_of(row, "Balance") <= 0
            if row.get("status") == "Deleted" or closed_memo:
                if held.pop(key, None) is not None:
                    counts.applied += 1
                    kinds.add(kind)
                continue
            known = held.get(key)
            if known is not None and str(known.get("SyncToken")) == str(row.get("SyncToken")):
                continue  # asked again within the overlap: already held
            held[key] = pull.slim(row, lines=kind in ("payments", "bill_payments"))
            counts.applied += 1
            kinds.add(kind)
    return counts, kinds


def fetch_linked(client: QuickBooksClient, mirror: mirror_store.Mirror) -> tuple[int, set[str]]:
    """Documents that payments in the mirror pay and the mirror lacks, read by Id (one batch)."""
    paid_invoices = pull.linked_ids(mirror.listed("payments"), "Invoice") - set(mirror.rows["invoices"])
    paid_bills = pull.linked_ids(mirror.listed("bill_payments"), "Bill") - set(mirror.rows["bills"])
    missing = {"invoice": ("Invoice", "invoices", sorted(paid_invoices)), "bill": ("Bill", "bills", sorted(paid_bills))}
    selects = {}
    for name, (entity, _, ids) in missing.items():
        selects.update(by_id_selects(name, entity, ids))
    if not selects:
        return 0, set()
    found, kinds = 0, set()
    for key, rows in client.query_all_many(selects, page_size=PAGE_LIMIT).items():
        kind = missing[key.split("_", 1)[0]][1]
        for row in rows:
            mirror.rows[kind][str(row["Id"])] = pull.slim(row)
            found += 1
            kinds.add(kind)
    return found, kinds


def sync_connection(
    *,
    connection: QuickBooksConnection,
    trigger: str,
    started_by=None,
    today: date | None = None,
    run: SyncRun | None = None,
    tie_out: bool = True,
) -> SyncRun:
    """Bring one connection's figures up to date from what changed in QuickBooks, or by a full read
    when the mirror cannot be trusted (see the module's docstring). Returns the finished run."""
    run = run or runs.record(
        connection=connection, direction=SyncDirection.PULL, trigger=trigger, started_by=started_by
    )
    if not pull.started(run, connection):
        return run
    today = today or timezone.localdate(timezone=connection.entity.zone)
    counter = runs.call_counter()
    started_by = started_by or run.started_by

    def work():
        found = _incremental(run, connection, today=today, started_by=started_by, counter=counter)
        return found or _full(run, connection, today=today, started_by=started_by, counter=counter)

    outcome = pull.guarded(run, counter, work)
    if outcome is not None and outcome[1] is not None:  # nothing to record when nothing changed
        pull.after_write(run, connection, today=today, outcome=outcome,
                         tie_out=tie_out and (bool(run.changed_months) or _tie_out_due(connection)))  # fmt: skip
    return run


def _incremental(run: SyncRun, connection: QuickBooksConnection, *, today: date, started_by, counter: CallCounter):
    """The incremental path; None when a full read must be made instead (nothing written then)."""
    months = figures.sync_window(today=today)
    mirror = mirror_store.load(connection, rows=False)  # the documents only once something changed
    now = timezone.now()
    reason = full_read_reason(mirror, months, now)
    if reason:
        run.counts = {"full_read_reason": reason}
        return None
    since = mirror.state.watermark - OVERLAP

    def read(client: QuickBooksClient):
        changed = read_changes(client, since)
        if changed is None:
            return None
        if not any(changed.values()):
            return Changes(), set()
        mirror_store.load_rows(mirror)
        counts, kinds = apply(mirror, changed)
        counts.linked, linked_kinds = fetch_linked(client, mirror) if kinds else (0, set())
        return counts, kinds | linked_kinds

    answer, _ = with_client(connection, read, counter=counter)
    if answer is None:
        run.counts = {"full_read_reason": f"more than {CDC_CAP - 1} changes of one kind since the last sync"}
        return None
    counts, kinds = answer
    run.counts = {"mode": "incremental", "cdc_rows": counts.rows, "rows_changed": counts.applied,
                  "linked_documents": counts.linked}  # fmt: skip
    if not kinds:  # nothing changed: no figure to compute, no month to write
        with transaction.atomic():
            mirror_store.save(mirror, (), window_start=months[0], watermark=now, full=False)
            run.changed_months = []
            runs.succeed(run, counter=counter, fields=("counts", "changed_months"))
        return pull.Fetched(counts={}), None, []
    fetched = pull.Fetched(**{kind: mirror.listed(kind) for kind in mirror_store.KINDS})
    monthly, sources = _write(run, connection, fetched, months=months, today=today, started_by=started_by,
                              mirror=mirror, kinds=kinds, watermark=now, counter=counter, full=False)  # fmt: skip
    return fetched, monthly, sources


def _full(run: SyncRun, connection: QuickBooksConnection, *, today: date, started_by, counter: CallCounter):
    """A full read replacing the mirror, with a log line naming what change data capture missed."""
    months = figures.sync_window(today=today)
    now = timezone.now()
    reason = (run.counts or {}).get("full_read_reason", "")
    fetched, _ = with_client(connection, lambda c: pull.fetch_rows(c, since=months[0]), counter=counter)
    mirror, missed = mirror_store.replaced(
        connection, {kind: getattr(fetched, kind) for kind in mirror_store.KINDS}
    )
    run.counts = {**fetched.counts, "mode": "full", "full_read_reason": reason, "missed_by_cdc": missed}
    monthly, sources = _write(run, connection, fetched, months=months, today=today, started_by=started_by,
                              mirror=mirror, kinds=set(mirror_store.KINDS), watermark=now, counter=counter,
                              full=True)  # fmt: skip
    if missed and reason == "the daily full read":
        said = f"The daily full read found {missed} row(s) change data capture had missed; the mirror holds them now."
        runs.log(run, SyncAction.UPDATED, said, details={"missed_by_cdc": missed})
    return fetched, monthly, sources


def _write(run, connection, fetched, *, months, today, started_by, mirror, kinds, watermark, counter, full):
    """The figures written as a full read writes them, the mirror's documents and watermark with them."""
    return pull.write_figures(
        run, connection, fetched, months=months, today=today, started_by=started_by, counter=counter,
        also=lambda: mirror_store.save(mirror, kinds, window_start=months[0], watermark=watermark, full=full),
    )  # fmt: skip


def _tie_out_due(connection: QuickBooksConnection) -> bool:
    """The tie-out's two reports are read when the figures changed, else once a day."""
    since = timezone.now() - timedelta(days=1)
    return not SyncRun.objects.filter(
        connection=connection, direction=SyncDirection.PULL, finished_at__gte=since, tie_out__has_key="as_of"
    ).exists()
