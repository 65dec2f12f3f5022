"""Celery tasks of operations, run by beat: the scheduler's tick and the daily alerts."""

from __future__ import annotations

from celery import shared_task

from ops import alerts, heartbeat


@shared_task
def beat_tick() -> None:
    """Beat's heartbeat (every minute): proves beat sends and a worker runs what it sends."""
    heartbeat.record(heartbeat.BEAT)


@shared_task
def daily_alerts() -> int:
    """Every morning: warn of authorizations expiring soon, then send the held incidents' digest."""
    alerts.check_all_token_expiries()
    return alerts.send_digests()
