"""Readiness checks for /readyz: the database answers and has every migration applied, Redis answers
(when REDIS_URL is set), the scheduler checks in (when scheduling is expected). Each check says only
ok or not and a short detail: never a hostname, a URL or a secret."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import redis as redis_client
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ops.heartbeat import scheduler_state

REDIS_TIMEOUT = 2  # seconds


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def database() -> Check:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means not ready; its class name says which
        return Check(False, f"unreachable ({type(error).__name__})")
    return Check(True, "reachable")


def migrations() -> Check:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # noqa: BLE001
        return Check(False, f"could not be read ({type(error).__name__})")
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        return Check(False, f"{len(plan)} not applied ({names}{', …' if len(plan) > 5 else ''})")
    return Check(True, "all applied")


def redis() -> Check:
    try:
        client = redis_client.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        return Check(False, f"unreachable ({type(error).__name__})")
    return Check(True, "reachable")


def scheduler() -> Check:
    state = scheduler_state()
    if state.last is None:
        return Check(not state.stalled, "no heartbeat yet")
    minutes = int((timezone.now() - state.last).total_seconds() // 60)
    return Check(not state.stalled, f"last heartbeat {minutes} minutes ago")


def readiness() -> dict[str, dict]:
    checks = {"database": database()}
    checks["migrations"] = migrations() if checks["database"].ok else Check(False, "database unreachable")
    if settings.REDIS_URL:
        checks["redis"] = redis()
    if settings.OPS_SCHEDULER_EXPECTED:
        checks["scheduler"] = scheduler() if checks["database"].ok else Check(False, "database unreachable")
    return {name: asdict(check) for name, check in checks.items()}
