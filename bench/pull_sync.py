"""Benchmark of the pull sync: a generated realm in the local sandbox, synced over HTTP into a fresh
SQLite database; then the dashboard's sync log page with 100,000 log lines.

    .venv/bin/python bench/pull_sync.py [--size 1000 10000 50000] [--log-rows 100000]

For each size it prints wall time, QuickBooks HTTP calls (and the minimum the 1000-row page and the
30-query batch allow), SQL queries, peak Python memory (tracemalloc), rows fetched and rows/second.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="bench-pull-")
os.environ["SQLITE_PATH"] = str(Path(TMP) / "otiumwork.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otiumwork.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as db_connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Company, Entity, Membership  # noqa: E402
from finance.models import QuickBooksConnection, QuickBooksSettings, SyncLogEntry  # noqa: E402
from finance.quickbooks.client import PAGE_LIMIT  # noqa: E402
from finance.quickbooks.pull import sync_connection  # noqa: E402
from qbsandbox import models as sandbox_models  # noqa: E402
from qbsandbox.app import make_app  # noqa: E402
from qbsandbox.generate import generate_realm  # noqa: E402
from qbsandbox.tokens import exchange_code, issue_code  # noqa: E402

TODAY = date(2025, 6, 30)


def connect(company: Company, store, realm: str, size: int) -> QuickBooksConnection:
    """An entity connected to ``realm`` with a token from the sandbox's own code exchange."""
    entity = Entity.objects.create(company=company, name=f"Bench {size}", home_currency="INR", time_zone="UTC")
    code = issue_code(
        store,
        client_id="bench",
        redirect_uri="http://bench/cb",
        realm_id=realm,
        scope="com.intuit.quickbooks.accounting",
    )
    tokens = exchange_code(store, "bench", code, "http://bench/cb")
    now = timezone.now()
    return QuickBooksConnection.objects.create(
        entity=entity,
        company=company,
        status="connected",
        environment="local",
        realm_id=realm,
        qb_company_name=f"Bench {size}",
        qb_home_currency="INR",
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(hours=1),  # the sandbox issues 3600 s tokens
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(days=100),
    )


def minimum_calls(counts: dict[str, int], *, tie_out: bool = True) -> int:
    """The fewest HTTP calls the limits allow for these results, knowing the counts in advance:
    1000 rows a page, 30 queries a batch; the linked documents are known only after the payments."""
    first = sum(max(1, math.ceil(counts.get(k, 0) / PAGE_LIMIT)) for k in
                ("invoices", "open_invoices", "payments", "bills", "open_bills", "bill_payments",
                 "open_credit_memos"))  # fmt: skip
    linked = math.ceil(counts["linked_invoices"] / PAGE_LIMIT) + math.ceil(counts["linked_bills"] / PAGE_LIMIT)
    reports = 2 if tie_out else 0  # the AgedReceivables and AgedPayables reports (not batchable)
    return math.ceil(first / 30) + math.ceil(linked / 30) + reports


def serve_sandbox(db: Path, latency_ms: float = 0.0) -> tuple[subprocess.Popen, str]:
    """The sandbox in its own process, so that its work is neither timed nor traced as ours.

    ``latency_ms`` is added before each Accounting API answer (0: loopback, the sandbox's own speed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "qbsandbox", "serve", "--db", str(db), "--port", str(port),
               "--latency-ms", str(latency_ms)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # noqa: S603
    process.stdout.readline()  # "QuickBooks sandbox on http://..." once it listens
    return process, f"http://127.0.0.1:{port}"


def bench_sync(company: Company, store, size: int) -> None:
    started = time.perf_counter()
    realm = generate_realm(store, name=f"Bench {size}", currency="INR", seed=1, size=size, today=TODAY,
                           multicurrency=True)  # fmt: skip
    generated = time.perf_counter() - started
    connection = connect(company, store, realm, size)
    before = sandbox_models.calls(store, realm).get("total", 0)
    with CaptureQueriesContext(db_connection) as queries:
        started = time.perf_counter()
        run = sync_connection(connection=connection, trigger="shell", today=TODAY)
        wall = time.perf_counter() - started
    assert run.status == "success", run.error_message
    http = sandbox_models.calls(store, realm).get("total", 0) - before
    # Memory from a second, identical sync under tracemalloc (it slows Python code; not timed).
    tracemalloc.start()
    sync_connection(connection=connection, trigger="shell", today=TODAY)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    counts = run.counts
    print(f"\n{size:,} transactions (realm generated in {generated:.1f} s)")
    print(f"  wall time         {wall:.2f} s (with the tie-out's two report calls)")
    print(
        f"  QuickBooks calls  {run.qbo_calls} (sandbox counted {http}; "
        f"minimum the limits allow {minimum_calls(counts)})"
    )
    print(f"  SQL queries       {len(queries)}")
    print(f"  peak memory       {peak / 1e6:.1f} MB (tracemalloc, second run)")
    print(f"  rows fetched      {counts['rows']:,}  ({counts['rows'] / wall:,.0f} rows/s)")
    print("  per query         " + ", ".join(f"{k} {v}" for k, v in counts.items() if not k.startswith("months")))
    print(f"  months            created {counts['months_created']}, updated {counts['months_updated']}, "
          f"unchanged {counts['months_unchanged']}")  # fmt: skip
    print(f"  drill-down rows   {counts.get('drilldown_rows', 0):,} written; tie-out "
          + ", ".join(f"{side} {run.tie_out[side]['status']}" for side in ("ar", "ap") if side in run.tie_out))


def bench_log_page(company: Company, rows: int) -> None:
    from django.contrib.auth import get_user_model

    entity = Entity.objects.filter(company=company).first()
    started = time.perf_counter()
    batch = [
        SyncLogEntry(company=company, entity=entity, direction="pull", action=("created", "updated", "skipped")[i % 3],
                     object_type="MonthlySnapshot", object_ref=f"2025-{i % 12 + 1:02d}", message=f"bench line {i}")
        for i in range(rows)
    ]  # fmt: skip
    SyncLogEntry.objects.bulk_create(batch, batch_size=5000)
    print(f"\nsync log: {rows:,} lines inserted in {time.perf_counter() - started:.1f} s")
    user = get_user_model().objects.create_user("bench-finance", password="x")  # noqa: S106
    Membership.objects.create(user=user, company=company, role="finance")
    client = Client()
    client.force_login(user)
    for label, params in (
        ("first page", {}),
        ("filtered by entity and action", {"entity": entity.pk, "action": "updated"}),
    ):
        client.get("/finance/qb", params)  # warm up
        timings = []
        for _ in range(5):
            with CaptureQueriesContext(db_connection) as queries:
                started = time.perf_counter()
                response = client.get("/finance/qb", params)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(f"  /finance/qb {label}: median {sorted(timings)[2] * 1000:.1f} ms, {len(queries)} SQL queries")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--log-rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    db = Path(TMP) / "qbsandbox.sqlite3"
    store = make_app(str(db)).store
    sandbox_models.register_app(store, "bench", "bench", [])
    process, settings.QBO_LOCAL_URL = serve_sandbox(db)
    settings.QBO_HTTP_TIMEOUT = 120  # one batch call carries up to 30 full pages; the sandbox serves them in one thread
    company = Company.objects.create(name="Bench Co")
    QuickBooksSettings.objects.create(company=company, client_id="bench", client_secret="bench", environment="local")
    try:
        for size in args.size:
            bench_sync(company, store, size)
        bench_log_page(company, args.log_rows)
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
