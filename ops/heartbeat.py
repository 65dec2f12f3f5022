"""The scheduler's heartbeat: the beat tick and each finished scheduled fan-out check in here; when
the newest check-in is older than OPS_SCHEDULER_STALE_AFTER, scheduled syncs are not running.

Scheduling is expected only where there is a beat to run it (OPS_SCHEDULER_EXPECTED: when REDIS_URL
is set); with jobs inline (the demo) nothing is scheduled and nothing is reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from ops.models import Heartbeat

BEAT = "beat"
FANOUT = "fan-out"


def record(name: str, *, at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": at or timezone.now()})


def last_heartbeat() -> datetime | None:
    return Heartbeat.objects.aggregate(last=Max("beat_at"))["last"]


@dataclass(frozen=True)
class SchedulerState:
    expected: bool
    last: datetime | None
    stalled: bool

    def warning(self) -> str:
        """One sentence for admins, or "" when all is well."""
        if not self.stalled:
            return ""
        if self.last is None:
            return (
                "Scheduled QuickBooks syncs are not running: the scheduler (Celery beat) has never checked in, "
                "so figures are only updated by Sync now."
            )
        since = self.last.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"Scheduled QuickBooks syncs are not running: the scheduler (Celery beat) last checked in on {since}, "
            "so figures are only updated by Sync now until it runs again."
        )


def scheduler_state(*, now: datetime | None = None) -> SchedulerState:
    if not settings.OPS_SCHEDULER_EXPECTED:
        return SchedulerState(expected=False, last=None, stalled=False)
    last = last_heartbeat()
    now = now or timezone.now()
    stalled = last is None or now - last > settings.OPS_SCHEDULER_STALE_AFTER
    return SchedulerState(expected=True, last=last, stalled=stalled)
