"""The hourly fan-out of many small companies through the real cron path and Celery workers.

    .venv/bin/python bench/fanout.py [--connections 1000] [--size 20] [--latency-ms 100]
                                     [--concurrency 1 2 8 16] [--redis redis://127.0.0.1:6379/13]
                                     [--database postgres://postgres@127.0.0.1:5432/otiumwork_bench]

CONNECTIONS companies of SIZE transactions each live in the local sandbox (its own process, waiting
LATENCY-MS before each Accounting API answer, as a network would). They are synced once in full to
fill their mirrors; then, for each worker concurrency, `POST /api/cron/qb-sync-all` is called (the
view, in this process: it only queues the fan-out) and a Celery worker of that concurrency goes
through every connection, each an incremental sync of an unchanged company. Printed per
concurrency: connections synced per hour, CPU milliseconds per connection of the worker (and of the
sandbox and of PostgreSQL beside it), QuickBooks calls, and runs that were throttled or failed
(target 0). Target: at most 10 ms of worker CPU per unchanged company.

Needs PostgreSQL (the database named is dropped and created) and Redis (its database is flushed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
TOKEN = "bench-cron-token-0123456789abcdef-0123456789"
TODAY = "2025-06-30"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and all their descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in family(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
    return total


def family(pids: list[int]) -> set[int]:
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(child) for child in children)
    return found


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 8, 16])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/otiumwork_bench")
    args = parser.parse_args()

    import psycopg
    import redis

    admin_url, _, name = args.database.rpartition("/")
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
        pg.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(args.redis).flushdb()
    sandbox_db = TMP / "sandbox.sqlite3"
    os.environ.update(
        {"DATABASE_URL": args.database, "REDIS_URL": args.redis, "LOG_LEVEL": "WARNING", "CRON_TOKEN": TOKEN,
         "QBO_HTTP_TIMEOUT": "20", "DJANGO_SETTINGS_MODULE": "otiumwork.settings"}
    )  # fmt: skip
    sys.path.insert(0, str(ROOT / "bench"))
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from pull_sync import serve_sandbox  # sets Django up (on the database above) and runs the sandbox alike

    from finance.models import RunStatus, SyncRun
    from qbsandbox.store import Store

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    store = Store(str(sandbox_db))
    started = time.perf_counter()
    connections = make_connections(store, args.connections, args.size)
    print(f"{args.connections} companies of {args.size} transactions made in {time.perf_counter() - started:.0f} s")
    sandbox, url = serve_sandbox(sandbox_db, latency_ms=args.latency_ms)
    env = {**os.environ, "QBO_LOCAL_URL": url}
    settings.QBO_LOCAL_URL = url
    client = Client()
    rows = []
    try:
        for concurrency in [16, *args.concurrency]:  # a first round in full fills the mirrors
            SyncRun.objects.all().delete()
            worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", "otiumwork", "worker", f"--concurrency={concurrency}",
                 "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=open(TMP / f"worker-{concurrency}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
            )  # fmt: skip
            time.sleep(3)  # the worker's processes start
            cpu_before = (cpu_seconds([worker.pid]), cpu_seconds([sandbox.pid]), cpu_seconds(postgres_pids()))
            calls_before = sandbox_calls(store)
            began = time.perf_counter()
            answer = client.post("/api/cron/qb-sync-all", headers={"X-OtiumWork-Cron-Token": TOKEN})
            request_ms = (time.perf_counter() - began) * 1000
            assert answer.status_code == 202, answer.content
            while True:
                finished = SyncRun.objects.exclude(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).count()
                if finished >= len(connections):
                    break
                if worker.poll() is not None or time.perf_counter() - began > 3600:
                    raise SystemExit(f"the worker stopped or took over an hour: see {TMP}")
                time.sleep(0.2)
            wall = time.perf_counter() - began
            cpu_after = (cpu_seconds([worker.pid]), cpu_seconds([sandbox.pid]), cpu_seconds(postgres_pids()))
            worker.terminate()
            worker.wait(timeout=60)
            runs = SyncRun.objects.all()
            modes = {run.counts.get("mode") for run in runs}
            spent = zip(cpu_before, cpu_after, strict=True)
            per = [(after - before) * 1000 / len(connections) for before, after in spent]
            rows.append({
                "concurrency": concurrency, "mode": "/".join(sorted(m for m in modes if m)), "wall": wall,
                "per_hour": len(connections) / wall * 3600, "worker_ms": per[0], "sandbox_ms": per[1], "db_ms": per[2],
                "calls": sandbox_calls(store) - calls_before, "request_ms": request_ms,
                "failed": runs.filter(status=RunStatus.ERROR).count(),
                "throttled": runs.filter(error_message__icontains="limiting").count(),
            })  # fmt: skip
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=20)
    print(f"\n{len(connections)} connections, {args.latency_ms:.0f} ms per QuickBooks call, through the cron endpoint")
    print(f"  {'workers':>7} {'sync':>11} {'per hour':>10} {'wall s':>7} {'CPU ms each: worker':>20} {'sandbox':>8} "
          f"{'database':>9} {'calls':>6} {'request ms':>11} {'failed':>7} {'429s':>5}")  # fmt: skip
    for row in rows:
        print(f"  {row['concurrency']:>7} {row['mode']:>11} {row['per_hour']:>10,.0f} {row['wall']:>7.1f} "
              f"{row['worker_ms']:>20.1f} {row['sandbox_ms']:>8.1f} {row['db_ms']:>9.1f} {row['calls']:>6} "
              f"{row['request_ms']:>11.1f} {row['failed']:>7} {row['throttled']:>5}")  # fmt: skip
    incremental = [row for row in rows if row["mode"] == "incremental"]
    if incremental:
        worst = max(row["worker_ms"] for row in incremental)
        print(f"\ntarget: at most 10 ms of worker CPU per unchanged company: {'met' if worst <= 10 else 'NOT met'} "
              f"(worst {worst:.1f} ms)")  # fmt: skip


def make_connections(store, count: int, size: int) -> list:
    from django.utils import timezone

    from accounts.models import Company, Entity
    from finance.models import QuickBooksConnection, QuickBooksSettings
    from qbsandbox import models as sandbox_models
    from qbsandbox.generate import generate_realm
    from qbsandbox.tokens import exchange_code, issue_code

    sandbox_models.register_app(store, "bench", "bench", [])
    company = Company.objects.create(name="Bench Co")
    QuickBooksSettings.objects.create(company=company, client_id="bench", client_secret="bench", environment="local")
    now = timezone.now()
    made = []
    for n in range(count):
        realm = generate_realm(store, name=f"Bench {n}", currency="USD", seed=n, size=size, today=TODAY)
        code = issue_code(store, client_id="bench", redirect_uri="http://bench/cb", realm_id=realm,
                          scope="com.intuit.quickbooks.accounting")  # fmt: skip
        tokens = exchange_code(store, "bench", code, "http://bench/cb")
        entity = Entity.objects.create(company=company, name=f"Bench {n}", home_currency="USD", time_zone="UTC")
        made.append(QuickBooksConnection.objects.create(
            entity=entity, company=company, status="connected", environment="local", realm_id=realm,
            qb_company_name=f"Bench {n}", qb_home_currency="USD", access_token=tokens["access_token"],
            access_token_expires_at=now + timedelta(hours=1), refresh_token=tokens["refresh_token"],
            refresh_token_expires_at=now + timedelta(days=100),
        ))  # fmt: skip
    return made


def sandbox_calls(store) -> int:
    row = store.read().execute("SELECT COALESCE(SUM(count), 0) AS n FROM calls").fetchone()
    return int(row["n"])


if __name__ == "__main__":
    main()
