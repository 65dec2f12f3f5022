"""Benchmark of the local QuickBooks sandbox: generate a big realm, then page through its invoices.

    .venv/bin/python bench/sandbox_generate.py [--size 50000]

Prints the generation wall time, rows per second, peak memory (max RSS, from `resource`), and the
time to read every invoice with 1000-row queries (over HTTP, through the same WSGI app the product
talks to).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qbsandbox import models  # noqa: E402
from qbsandbox.generate import generate_realm  # noqa: E402
from qbsandbox.testing import start_sandbox  # noqa: E402
from qbsandbox.tokens import exchange_code, issue_code  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        sandbox = start_sandbox(db)
        store = sandbox.app.store
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        realm = generate_realm(
            store,
            name="Bench Co",
            currency="INR",
            seed=1,
            size=args.size,
            today="2025-06-30",
            multicurrency=True,
        )
        elapsed = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        count = "SELECT COUNT(*) FROM entities WHERE realm_id = ?"
        rows = store.read().execute(count, (realm,)).fetchone()[0]
        print(f"generated {args.size} transactions ({rows} entity rows) in {elapsed:.2f} s")
        print(f"  {args.size / elapsed:,.0f} transactions/s, {rows / elapsed:,.0f} rows/s")
        print(
            f"  peak memory (max RSS) {rss_after / 1024:.0f} MB, of which generation added "
            f"{(rss_after - rss_before) / 1024:.0f} MB"
        )
        print(f"  database file {db.stat().st_size / 1e6:.1f} MB")
        _page_invoices(sandbox.url, store, realm)
        sandbox.stop()


def _page_invoices(base_url: str, store, realm: str) -> None:
    models.register_app(store, "bench", "bench-secret", [])
    code = issue_code(
        store,
        client_id="bench",
        redirect_uri="http://bench/cb",
        realm_id=realm,
        scope="com.intuit.quickbooks.accounting",
    )
    token = exchange_code(store, "bench", code, "http://bench/cb")["access_token"]
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
    url = f"{base_url}/v3/company/{realm}/query"
    started, start, seen, pages, slowest = time.perf_counter(), 1, 0, 0, 0.0
    while True:
        t0 = time.perf_counter()
        query = f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 1000"
        body = session.get(url, params={"query": query}, timeout=60).json()["QueryResponse"]
        slowest = max(slowest, time.perf_counter() - t0)
        rows = body.get("Invoice", [])
        if not rows:
            break
        seen, pages, start = seen + len(rows), pages + 1, start + 1000
    elapsed = time.perf_counter() - started
    print(
        f"paged {seen} invoices in {pages} pages of 1000 over HTTP in {elapsed:.2f} s "
        f"({elapsed / max(pages, 1) * 1000:.0f} ms per page, slowest {slowest * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
