"""The pull sync against a naive baseline, side by side, on generated realms of the local sandbox.

    .venv/bin/python bench/pull_baseline.py [--size 1000 10000 50000] [--skip-baseline-above N]

The baseline is what a straightforward python-quickbooks integration does: for each query the real
sync makes (invoices, open invoices, payments, bills, open bills and bill payments of the window,
then the invoices and bills the payments link to that no query brought), it pages with
python-quickbooks objects 100 rows at a time (the library's and QBO's default page), one HTTP call
a page; it turns every object back into a dict (``to_dict()``) so that the same pure functions
(``figures.py``) compute the figures; then it writes month by month, each snapshot with its own get
and save and its own log line, outside any transaction.

Both sync the same realm, each into an entity of its own (in two companies: a realm is connected
once per company). The bench checks that both wrote the same figures for every month (OK/MISMATCH)
and prints, for each: QuickBooks HTTP calls (counted by the sandbox), SQL queries, peak Python memory
(tracemalloc), wall time, rows fetched and rows/second; with the fewest query pages the 1000-row
page allows (and the fewest calls when 30 queries share a batch call).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Importing the pull sync bench sets up Django on a fresh SQLite database in a temporary folder.
import pull_sync  # noqa: E402
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as db_connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from intuitlib.client import AuthClient  # noqa: E402
from quickbooks import QuickBooks  # noqa: E402
from quickbooks.objects.bill import Bill  # noqa: E402
from quickbooks.objects.billpayment import BillPayment  # noqa: E402
from quickbooks.objects.invoice import Invoice  # noqa: E402
from quickbooks.objects.payment import Payment  # noqa: E402

from accounts.models import Company  # noqa: E402
from finance.models import (  # noqa: E402
    MonthlySnapshot,
    QuickBooksConnection,
    QuickBooksSettings,
    RunStatus,
    SyncAction,
    SyncDirection,
)
from finance.money import money_text  # noqa: E402
from finance.quickbooks import figures, runs  # noqa: E402
from finance.quickbooks.client import PAGE_LIMIT  # noqa: E402
from finance.quickbooks.figures import FIGURE_LABELS, FIGURES  # noqa: E402
from finance.quickbooks.pull import linked_ids, month_label, new_values, sync_connection  # noqa: E402
from finance.quickbooks.synclog import write_log  # noqa: E402
from qbsandbox import models as sandbox_models  # noqa: E402
from qbsandbox.app import make_app  # noqa: E402
from qbsandbox.generate import generate_realm  # noqa: E402

TODAY = pull_sync.TODAY
BASELINE_PAGE = 100  # python-quickbooks' (and QBO's) default MAXRESULTS
FIRST_QUERIES = ("invoices", "open_invoices", "payments", "bills", "open_bills", "bill_payments")


@dataclass
class Measure:
    http: int
    sql: int
    peak: int
    wall: float
    rows: int
    waiting: float = 0.0  # of the wall time, spent in requests' Session.send: sandbox work and transfer

    @property
    def rate(self) -> float:
        return self.rows / self.wall


# --- the naive baseline ---------------------------------------------------------------------------


def baseline_client(connection: QuickBooksConnection, sandbox_url: str) -> QuickBooks:
    """python-quickbooks on the sandbox: an AuthClient given the access token (so that QuickBooks'
    constructor does not refresh it), the API base URL pointed at the sandbox, Decimal amounts."""
    auth = AuthClient(
        "bench",
        "bench",
        "http://bench/cb",
        sandbox_url + "/.well-known/openid_configuration",
        access_token=connection.access_token,
    )
    qb = QuickBooks(
        auth_client=auth,
        refresh_token=connection.refresh_token,
        company_id=connection.realm_id,
        minorversion=75,
        use_decimal=True,  # floats would lose cents; figures.money refuses them
    )
    qb.api_url_v3 = sandbox_url + "/v3"
    return qb


def page_all(cls, where: str, qb: QuickBooks) -> list[dict]:
    """Every row of a query, 100 a page, as python-quickbooks objects turned into dicts."""
    rows, start = [], 1
    while True:
        page = cls.where(where, order_by="Id", start_position=start, max_results=BASELINE_PAGE, qb=qb)
        rows.extend(obj.to_dict() for obj in page)
        if len(page) < BASELINE_PAGE:
            return rows
        start += BASELINE_PAGE


def choose_all(cls, ids: list[str], qb: QuickBooks) -> list[dict]:
    """Rows by Id, 100 ids a query (``choose`` sends no MAXRESULTS: the page is the default 100)."""
    rows = []
    for i in range(0, len(ids), BASELINE_PAGE):
        rows.extend(obj.to_dict() for obj in cls.choose(ids[i : i + BASELINE_PAGE], qb=qb))
    return rows


def baseline_fetch(qb: QuickBooks, since: date) -> tuple[dict[str, list[dict]], dict[str, int]]:
    dated = f"TxnDate >= '{since.isoformat()}'"
    found = {
        "invoices": page_all(Invoice, dated, qb),
        "open_invoices": page_all(Invoice, "Balance > '0'", qb),
        "payments": page_all(Payment, dated, qb),
        "bills": page_all(Bill, dated, qb),
        "open_bills": page_all(Bill, "Balance > '0'", qb),
        "bill_payments": page_all(BillPayment, dated, qb),
    }
    invoices = found["invoices"] + found["open_invoices"]
    bills = found["bills"] + found["open_bills"]
    missing_invoices = sorted(linked_ids(found["payments"], "Invoice") - {str(r["Id"]) for r in invoices})
    missing_bills = sorted(linked_ids(found["bill_payments"], "Bill") - {str(r["Id"]) for r in bills})
    found["linked_invoices"] = choose_all(Invoice, missing_invoices, qb)
    found["linked_bills"] = choose_all(Bill, missing_bills, qb)
    counts = {name: len(rows) for name, rows in found.items()}
    counts["rows"] = sum(counts.values())
    rows = {
        "invoices": invoices + found["linked_invoices"],
        "payments": found["payments"],
        "bills": bills + found["linked_bills"],
        "bill_payments": found["bill_payments"],
    }
    return rows, counts


def monthly_figures(*, months: list[date], **rows) -> dict[date, figures.MonthFigures]:
    """The four figures of each month, from the same pure functions the sync uses."""
    return figures.figures_of_rows(months, figures.figure_rows(months=months, **rows))


def baseline_write(connection: QuickBooksConnection, run, monthly: dict[date, figures.MonthFigures]) -> None:
    """Month by month: get the snapshot, save it, write its log line; no surrounding transaction."""
    for month, month_figures in sorted(monthly.items()):
        values = new_values(month_figures)
        try:
            snapshot = MonthlySnapshot.objects.get(entity_id=connection.entity_id, month=month)
        except MonthlySnapshot.DoesNotExist:
            snapshot, old = MonthlySnapshot(entity_id=connection.entity_id, month=month), None
        else:
            old = {k: getattr(snapshot, k) for k in values}
        if old == values:
            action, message, details = SyncAction.SKIPPED, f"{month_label(month)} unchanged", {}
        else:
            for name, value in values.items():
                setattr(snapshot, name, value)
            snapshot.save()
            said = ", ".join(f"{FIGURE_LABELS[k]} {money_text(v)}" for k, v in values.items())
            action = SyncAction.CREATED if old is None else SyncAction.UPDATED
            message = f"{month_label(month)} {action}: {said}"
            details = {"new": {k: str(v) for k, v in values.items()}}
        write_log(
            connection=connection,
            direction=SyncDirection.PULL,
            action=action,
            message=message,
            run=run,
            object_type="MonthlySnapshot",
            object_ref=month_label(month),
            details=details,
        )


def baseline_sync(connection: QuickBooksConnection, sandbox_url: str) -> tuple[dict[str, int], int]:
    """The naive sync; returns its counts per query and the HTTP calls it made."""
    run = runs.record(connection=connection, direction=SyncDirection.PULL, trigger="shell", running=True)
    months = figures.sync_window(today=TODAY)
    qb = baseline_client(connection, sandbox_url)
    calls = 0
    request = qb.session.request

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return request(*args, **kwargs)

    qb.session.request = counted
    rows, counts = baseline_fetch(qb, months[0])
    monthly = monthly_figures(months=months, **rows)
    baseline_write(connection, run, monthly)
    run.status, run.finished_at, run.qbo_calls, run.counts = RunStatus.SUCCESS, timezone.now(), calls, counts
    run.save()
    return counts, calls


# --- measuring ------------------------------------------------------------------------------------


TIMED_RUNS = 5


def measured(store, realm: str, works: dict[str, object]) -> dict[str, tuple[Measure, object]]:
    """Each work (name -> callable) measured: calls and SQL of its first run; the median wall time
    of TIMED_RUNS runs, without tracemalloc (it slows Python code several-fold, more for the more
    Python-heavy side); memory from one more run under tracemalloc.

    The works take turns (sync, baseline, sync, baseline...): this shared 2-core machine changes
    speed by up to 2x from one minute to the next, and timing one side's runs after the other's
    would put that drift into their ratio."""
    send = requests.Session.send
    walls: dict[str, list[tuple[float, float]]] = {name: [] for name in works}
    first: dict[str, tuple[object, int, int]] = {}
    for attempt in range(TIMED_RUNS):
        for name, work in works.items():
            before = sandbox_models.calls(store, realm).get("total", 0)
            waiting = 0.0

            def timed_send(self, *args, **kwargs):
                nonlocal waiting
                started = time.perf_counter()
                try:
                    return send(self, *args, **kwargs)
                finally:
                    waiting += time.perf_counter() - started

            requests.Session.send = timed_send
            try:
                with CaptureQueriesContext(db_connection) as queries:
                    started = time.perf_counter()
                    outcome = work()
                    walls[name].append((time.perf_counter() - started, waiting))
            finally:
                requests.Session.send = send
            if attempt == 0:
                first[name] = (outcome, len(queries), sandbox_models.calls(store, realm).get("total", 0) - before)
    results = {}
    for name, work in works.items():
        wall, waited = sorted(walls[name])[len(walls[name]) // 2]
        tracemalloc.start()
        try:
            work()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        outcome, sql, http = first[name]
        results[name] = (Measure(http=http, sql=sql, peak=peak, wall=wall, rows=0, waiting=waited), outcome)
    return results


def minimum_pages(counts: dict[str, int]) -> int:
    """The fewest query pages the 1000-row page allows: each query needs one page even when empty;
    the linked documents need none when no payment links outside what was fetched."""
    first = sum(max(1, math.ceil(counts[k] / PAGE_LIMIT)) for k in FIRST_QUERIES)
    return first + math.ceil(counts["linked_invoices"] / PAGE_LIMIT) + math.ceil(counts["linked_bills"] / PAGE_LIMIT)


def snapshot_figures(entity_id: int) -> dict[date, tuple]:
    return {
        s.month: tuple(getattr(s, k) for k in FIGURES)
        for s in MonthlySnapshot.objects.filter(entity_id=entity_id).order_by("month")
    }


def row(label: str, sync: str, baseline: str = "", ratio: str = "") -> str:
    return f"  {label:<26}{sync:>14}{baseline:>14}{ratio:>16}"


def bench_size(companies: tuple[Company, Company], store, sandbox_url: str, size: int, with_baseline: bool) -> dict:
    started = time.perf_counter()
    realm = generate_realm(store, name=f"Bench {size}", currency="INR", seed=1, size=size, today=TODAY,
                           multicurrency=True)  # fmt: skip
    generated = time.perf_counter() - started
    connection = pull_sync.connect(companies[0], store, realm, size)
    # Like for like: the baseline has no tie-out, so the sync is timed without its two report calls.
    works = {"sync": lambda: sync_connection(connection=connection, trigger="shell", today=TODAY, tie_out=False)}
    if with_baseline:
        base_connection = pull_sync.connect(companies[1], store, realm, size)
        works["base"] = lambda: baseline_sync(base_connection, sandbox_url)
    measures = measured(store, realm, works)
    sync, run = measures["sync"]
    assert run.status == "success", run.error_message
    counts = run.counts
    # Rows the figures need, on both sides (the sync also reads open credit memos, for its tie-out).
    sync.rows = counts["rows"] - counts.get("open_credit_memos", 0)
    pages, batched = minimum_pages(counts), pull_sync.minimum_calls(counts, tie_out=False)
    result = {"size": size, "sync": sync, "pages": pages, "batched": batched, "base": None}

    print(f"\n{size:,} transactions (realm generated in {generated:.1f} s)")
    print("  rows per query    " + ", ".join(f"{k} {counts[k]:,}" for k in (*FIRST_QUERIES, "linked_invoices",
                                                                           "linked_bills")))  # fmt: skip
    print(f"  fewest query pages the 1000-row page allows: {pages} (fewest calls with 30-query batches: {batched})")
    if with_baseline:
        base, (base_counts, client_calls) = measures["base"]
        base.rows = base_counts["rows"]
        if client_calls != base.http:
            print(f"  note: the baseline's client counted {client_calls} calls, the sandbox {base.http}")
        result["base"] = base
        keys = (*FIRST_QUERIES, "linked_invoices", "linked_bills")
        same_rows = all(base_counts[k] == counts[k] for k in keys) and base_counts["rows"] == sync.rows
        ours, theirs = snapshot_figures(connection.entity_id), snapshot_figures(base_connection.entity_id)
        result["ok"] = ours == theirs and len(ours) > 0
        print(row("", "real sync", "baseline", "baseline/sync"))
        print(row("HTTP calls", f"{sync.http}", f"{base.http}", f"{base.http / sync.http:.1f}x"))
        print(row("  vs fewest pages", f"{sync.http / pages:.2f}x", f"{base.http / pages:.2f}x"))
        print(row("  vs fewest batch calls", f"{sync.http / batched:.2f}x", f"{base.http / batched:.2f}x"))
        print(row("SQL queries", f"{sync.sql}", f"{base.sql}", f"{base.sql / sync.sql:.2f}x"))
        print(row("peak memory (MB)", f"{sync.peak / 1e6:.1f}", f"{base.peak / 1e6:.1f}",
                  f"{base.peak / sync.peak:.1f}x"))  # fmt: skip
        print(row("wall time (s)", f"{sync.wall:.2f}", f"{base.wall:.2f}", f"{base.wall / sync.wall:.1f}x"))
        print(row("  of which in HTTP (s)", f"{sync.waiting:.2f}", f"{base.waiting:.2f}",
                  f"{base.waiting / sync.waiting:.1f}x"))  # fmt: skip
        print(row("  of which the rest (s)", f"{sync.wall - sync.waiting:.2f}", f"{base.wall - base.waiting:.2f}",
                  f"{(base.wall - base.waiting) / (sync.wall - sync.waiting):.1f}x"))  # fmt: skip
        print(row("rows fetched", f"{sync.rows:,}", f"{base.rows:,}", "same" if same_rows else "DIFFERENT"))
        print(row("rows/second", f"{sync.rate:,.0f}", f"{base.rate:,.0f}", f"sync {sync.rate / base.rate:.1f}x"))
        verdict = "OK" if result["ok"] else "MISMATCH"
        print(f"  figures           {verdict}: {len(ours)} months of the window, real sync vs baseline")
        for month in sorted(set(ours) | set(theirs)):
            mark = "" if ours.get(month) == theirs.get(month) else "   <-- MISMATCH"
            shown = ", ".join(f"{FIGURE_LABELS[k]} {v:,}" for k, v in zip(FIGURES, ours.get(month, ()),
                                                                                strict=False))  # fmt: skip
            print(f"    {month:%Y-%m}  {shown}{mark}")
            if mark:
                print(f"             baseline: {theirs.get(month)}")
    else:
        print(row("", "real sync", "baseline (skipped)"))
        print(row("HTTP calls", f"{sync.http}"))
        print(row("  vs fewest pages", f"{sync.http / pages:.2f}x"))
        print(row("  vs fewest batch calls", f"{sync.http / batched:.2f}x"))
        print(row("SQL queries", f"{sync.sql}"))
        print(row("peak memory (MB)", f"{sync.peak / 1e6:.1f}"))
        print(row("wall time (s)", f"{sync.wall:.2f}"))
        print(row("  of which in HTTP (s)", f"{sync.waiting:.2f}"))
        print(row("rows fetched", f"{sync.rows:,}"))
        print(row("rows/second", f"{sync.rate:,.0f}"))
    return result


def sizes(results: list[dict]) -> str:
    return ", ".join(f"{r['size']:,}" for r in results)


def cell(value, fmt: str, width: int) -> str:
    return f"{value:>{width}{fmt}}" if value is not None else f"{'-':>{width}}"


def summary(results: list[dict]) -> bool:
    print("\nsummary")
    head = (f"  {'transactions':>12} {'rows':>8} {'fewest pages':>12} | {'sync calls':>10} {'base calls':>10} | "
            f"{'sync SQL':>8} {'base SQL':>8} | {'sync MB':>7} {'base MB':>7} | {'sync s':>7} {'base s':>7} | "
            f"{'sync rows/s':>11} {'base rows/s':>11} {'speed':>6}")  # fmt: skip
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in results:
        s, b = r["sync"], r["base"]
        cells = [
            cell(r["size"], ",", 12), cell(s.rows, ",", 8), cell(r["pages"], "", 12), "|",
            cell(s.http, "", 10), cell(b and b.http, "", 10), "|",
            cell(s.sql, "", 8), cell(b and b.sql, "", 8), "|",
            cell(s.peak / 1e6, ".1f", 7), cell(b and b.peak / 1e6, ".1f", 7), "|",
            cell(s.wall, ".2f", 7), cell(b and b.wall, ".2f", 7), "|",
            cell(s.rate, ",.0f", 11), cell(b and b.rate, ",.0f", 11), cell(b and s.rate / b.rate, ".1f", 5) + "x",
        ]  # fmt: skip
        print("  " + " ".join(cells))
    print("\ntargets")
    good = True
    worst = max(results, key=lambda r: r["sync"].http / r["pages"])
    within = worst["sync"].http <= 1.1 * worst["pages"]
    good &= within
    print(f"  HTTP calls within 10% of the fewest pages: {'met' if within else 'NOT met'} "
          f"(worst {worst['sync'].http} calls for {worst['pages']} pages at {worst['size']:,})")  # fmt: skip
    sqls = sorted({r["sync"].sql for r in results})
    constant = len(sqls) == 1
    good &= constant
    print(
        f"  SQL queries independent of the number of transactions: {'met' if constant else 'NOT met'} "
        f"({', '.join(str(r['sync'].sql) for r in results)} for {sizes(results)})"
    )
    at_10k = next((r for r in results if r["size"] == 10_000 and r["base"]), None)
    if at_10k:
        speed = at_10k["sync"].rate / at_10k["base"].rate
        fast = speed >= 5
        good &= fast
        print(f"  at least 5x the baseline's rows/second on 10,000: {'met' if fast else 'NOT met'} ({speed:.1f}x)")
    else:
        print("  at least 5x the baseline's rows/second on 10,000: not measured (no 10,000 baseline in this run)")
    checked = [r for r in results if r["base"]]
    same = all(r["ok"] for r in checked)
    good &= same
    print(f"  same figures as the baseline: {'OK' if same else 'MISMATCH'} ({sizes(checked) or 'no baseline run'})")
    return good


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="added by the sandbox before each API answer, as a network and Intuit would")  # fmt: skip
    parser.add_argument("--skip-baseline-above", type=int, default=None, metavar="N",
                        help="run only the real sync for sizes above N")  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain http
    print(f"sandbox latency added to each Accounting API call: {args.latency_ms:g} ms")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    db = Path(pull_sync.TMP) / "qbsandbox.sqlite3"
    store = make_app(str(db)).store
    sandbox_models.register_app(store, "bench", "bench", [])
    process, sandbox_url = pull_sync.serve_sandbox(db, args.latency_ms)
    settings.QBO_LOCAL_URL = sandbox_url
    settings.QBO_HTTP_TIMEOUT = 120  # one batch call carries up to 30 full pages; the sandbox serves them in one thread
    companies = (Company.objects.create(name="Bench Co"), Company.objects.create(name="Bench Baseline Co"))
    for company in companies:
        QuickBooksSettings.objects.create(company=company, client_id="bench", client_secret="bench",
                                          environment="local")  # fmt: skip
    try:
        results = [
            bench_size(
                companies,
                store,
                sandbox_url,
                size,
                args.skip_baseline_above is None or size <= args.skip_baseline_above,
            )  # fmt: skip
            for size in args.size
        ]
    finally:
        process.terminate()
        process.wait(timeout=10)
    sys.exit(0 if summary(results) else 1)


if __name__ == "__main__":
    main()
