"""The cron endpoint with a real Redis broker and a real Celery worker process: the request queues
the fan-out only, the worker goes through the connections in chunks, every active connection is
synced exactly once, the needs-reconnect one is skipped.

Needs PostgreSQL (the worker process must see the test's committed rows) and a Redis database to
use as the broker: set CELERY_TEST_REDIS_URL (``.ci/run`` does, with DATABASE_URL)."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection as db_connection
from django.urls import reverse
from kombu import pools

from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, SyncRun
from tests import qbo
from tests.builders import make_entity
from tests.finance.qbo_books import Books

REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "worker-test-cron-token"

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not REDIS_URL, reason="set CELERY_TEST_REDIS_URL (a Redis database to use as broker)"),
]


@pytest.fixture
def broker(settings):
    """This process sends tasks to the Redis broker instead of running them inline."""
    if db_connection.vendor != "postgresql":
        pytest.skip("the worker process can see the test's rows only on PostgreSQL (set DATABASE_URL)")
    import redis

    from otiumwork.celery import app

    redis.Redis.from_url(REDIS_URL).flushdb()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    forget_connections(app)
    yield app
    app.conf.update(saved)
    forget_connections(app)


def forget_connections(app) -> None:
    """Drop the app's cached broker connections so the next send uses the current broker_url; kombu's
    own registry of pools too (even an eager send takes a producer from it, for its serializer)."""
    pool, app._pool = app._pool, None
    app.amqp._producer_pool = None
    if pool is not None:
        pool.force_close_all()
    pools.reset()


@pytest.fixture
def start_worker(broker, local_quickbooks):
    """Starts `celery -A otiumwork worker` in its own process, on the test database and the local sandbox."""
    db = db_connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "QBO_LOCAL_URL": local_quickbooks.sandbox.url,
        "QBO_HTTP_TIMEOUT": "5",
        "QBO_FANOUT_CHUNK": "2",
        "DJANGO_SETTINGS_MODULE": "otiumwork.settings",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "celery", "-A", "otiumwork", "worker", "--concurrency=2", "--loglevel=INFO",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    started = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        process.log_path = log.name
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    log.close()
    os.unlink(log.name)


def connected_entity(client, company, local_quickbooks, name: str) -> QuickBooksConnection:
    entity = make_entity(company, name)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name=f"{name} Books"))
    books.invoice("2025-05-10", "100.00")
    qbo.connect(client, entity, books.realm)
    return QuickBooksConnection.objects.get(entity=entity)


def wait_for(condition, process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail("the worker did not finish the runs in time:\n" + Path(process.log_path).read_text()[-4000:])


@pytest.mark.django_db(transaction=True)
def test_the_cron_call_syncs_every_active_connection_exactly_once(
    client, admin_user, company, local_quickbooks, start_worker, settings
):
    settings.CRON_TOKEN = TOKEN
    client.force_login(admin_user)
    active = [connected_entity(client, company, local_quickbooks, f"Worker Entity {n}") for n in (1, 2, 3)]
    stale = connected_entity(client, company, local_quickbooks, "Worker Stale")
    QuickBooksConnection.objects.filter(pk=stale.pk).update(status=ConnectionStatus.NEEDS_RECONNECT)

    answer = client.post(reverse("cron_qb_sync_all"), headers={"X-OtiumWork-Cron-Token": TOKEN})
    # The request only queued the fan-out: the worker goes through the connections, in chunks of two.
    assert answer.status_code == 202 and answer.json() == {"fanout": "queued", "connections": 4}
    assert not SyncRun.objects.exists()

    worker = start_worker()

    def all_finished() -> bool:
        runs = SyncRun.objects.all()
        return runs.count() == 4 and not runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()

    wait_for(all_finished, worker)
    for connection in active:
        runs = SyncRun.objects.filter(connection=connection, direction="pull")
        assert [r.status for r in runs] == [RunStatus.SUCCESS], list(runs.values())
        assert runs.get().qbo_calls >= 1 and runs.get().trigger == "cron"
        assert connection.entity.snapshots.exists()
    assert [r.status for r in SyncRun.objects.filter(connection=stale)] == [RunStatus.SKIPPED]
