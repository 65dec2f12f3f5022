"""Time as QBO writes it: Pacific-time stamps with offsets, epoch milliseconds, time zones by name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python 3.11 always has zoneinfo
    ZoneInfo = None  # type: ignore[assignment,misc]

# Fallbacks when the machine has no time zone database (standard-time offsets).
_FIXED = {"America/Los_Angeles": -8, "Asia/Kolkata": 5.5, "Europe/Zurich": 1, "America/New_York": -5}
QBO_ZONE = "America/Los_Angeles"


@lru_cache(maxsize=32)
def realm_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=_FIXED.get(name, 0)))


def _pacific(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, realm_zone(QBO_ZONE))


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def response_time(epoch: float) -> str:
    """The envelope's `time`: `2020-09-29T06:04:49.352-07:00`."""
    moment = _pacific(epoch)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + _offset(moment)


def meta_time(epoch: float) -> str:
    """`MetaData.CreateTime`/`LastUpdatedTime`: `2020-09-29T05:58:07-07:00`, no milliseconds."""
    moment = _pacific(epoch)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + _offset(moment)


def epoch_ms(epoch: float) -> int:
    """The lowercase fault envelope's `time`: epoch milliseconds."""
    return int(epoch * 1000)


def parse_moment(text: str) -> float:
    """An ISO date or date-time from a query (`2020-09-29`, `...T05:58:07-07:00`) as epoch seconds."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=realm_zone(QBO_ZONE))
    return moment.timestamp()


def date_at(iso_date: str, hour: int, minute: int = 0) -> float:
    """Epoch seconds of a Pacific wall-clock time on a date (used for generated MetaData)."""
    moment = datetime.fromisoformat(iso_date).replace(hour=hour, minute=minute, tzinfo=realm_zone(QBO_ZONE))
    return moment.timestamp()
