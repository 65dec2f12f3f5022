"""Incremental syncs over the mirror against full reads, side by side, on a generated realm.

    .venv/bin/python bench/incremental_sync.py [--size 10000] [--changes 10] [--runs 5]

For one company of SIZE transactions (the local sandbox in its own process, over HTTP) it prints,
for a full read, an incremental sync when nothing changed, and an incremental sync after CHANGES
transactions changed in QuickBooks (new payments of open invoices, each changing its invoice's balance too):
QuickBooks calls, rows read, SQL queries, snapshot writes (months created or updated) and the
median wall time of RUNS runs. Targets: one call and no snapshot write for the unchanged company.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Importing the pull sync bench sets up Django on a fresh SQLite database in a temporary folder.
import pull_sync  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as db_connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import Company  # noqa: E402
from finance.mirror.models import MirrorState  # noqa: E402
from finance.models import QuickBooksSettings  # noqa: E402
from finance.quickbooks import incremental  # noqa: E402
from qbsandbox import models as sandbox_models  # noqa: E402
from qbsandbox import writes  # noqa: E402
from qbsandbox.app import make_app  # noqa: E402
from qbsandbox.generate import generate_realm  # noqa: E402

TODAY = pull_sync.TODAY


def measured(store, realm: str, work) -> dict:
    before = sandbox_models.calls(store, realm).get("total", 0)
    with CaptureQueriesContext(db_connection) as queries:
        started = time.perf_counter()
        run = work()
        wall = time.perf_counter() - started
    assert run.status == "success", run.error_message
    counts = run.counts
    rows = counts.get("rows", counts.get("cdc_rows", 0) + counts.get("linked_documents", 0))
    return {
        "calls": sandbox_models.calls(store, realm).get("total", 0) - before,
        "rows": rows,
        "sql": len(queries),
        "writes": counts.get("months_created", 0) + counts.get("months_updated", 0),
        "wall": wall,
        "mode": counts.get("mode"),
    }


def change(store, realm: str, count: int, round_no: int) -> None:
    """``count`` transactions changed in QuickBooks: each a new payment of 1.00 on an open invoice,
    which changes the invoice too (its balance)."""
    open_invoices = sandbox_models.query_entities(
        store, realm, "SELECT * FROM Invoice WHERE Balance > '0' MAXRESULTS 200"
    ).get("Invoice", [])
    for n in range(count):
        invoice = open_invoices[(round_no * count + n) % len(open_invoices)]
        line = {"Amount": "1.00", "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
        writes.create_entity(store, realm, "Payment", {"CustomerRef": invoice["CustomerRef"], "TotalAmt": "1.00",
                                                       "Line": [line], "TxnDate": TODAY.isoformat()})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    db = Path(pull_sync.TMP) / "qbsandbox.sqlite3"
    store = make_app(str(db)).store
    sandbox_models.register_app(store, "bench", "bench", [])
    process, settings.QBO_LOCAL_URL = pull_sync.serve_sandbox(db)
    settings.QBO_HTTP_TIMEOUT = 120
    company = Company.objects.create(name="Bench Co")
    QuickBooksSettings.objects.create(company=company, client_id="bench", client_secret="bench", environment="local")
    try:
        realm = generate_realm(store, name="Bench", currency="INR", seed=1, size=args.size, today=TODAY,
                               multicurrency=True)  # fmt: skip
        connection = pull_sync.connect(company, store, realm, args.size)

        def sync():
            return incremental.sync_connection(connection=connection, trigger="beat", today=TODAY, tie_out=False)

        results: dict[str, list[dict]] = {"full read": [], "unchanged": [], f"{args.changes} changed": []}
        for round_no in range(args.runs):
            MirrorState.objects.filter(connection=connection).delete()  # the next sync reads in full
            results["full read"].append(measured(store, realm, sync))
            results["unchanged"].append(measured(store, realm, sync))
            change(store, realm, args.changes, round_no)
            results[f"{args.changes} changed"].append(measured(store, realm, sync))
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"\n{args.size:,} transactions, INR realm with foreign-currency rows; median of {args.runs} runs")
    print(f"  {'':<14}{'mode':>12}{'calls':>8}{'rows read':>11}{'SQL':>6}{'snapshot writes':>17}{'wall s':>9}")
    for label, runs in results.items():
        first = runs[0]
        wall = statistics.median(r["wall"] for r in runs)
        print(f"  {label:<14}{first['mode']:>12}{first['calls']:>8}{first['rows']:>11,}{first['sql']:>6}"
              f"{first['writes']:>17}{wall:>9.3f}")  # fmt: skip
    unchanged = results["unchanged"][0]
    verdict = "met" if unchanged["calls"] == 1 and unchanged["writes"] == 0 else "NOT met"
    print(f"\ntarget: an unchanged company costs one call and writes no snapshot: {verdict}")


if __name__ == "__main__":
    main()
