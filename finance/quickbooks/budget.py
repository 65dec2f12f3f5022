"""QuickBooks' limits per company (realm), shared by every worker and process: at most 500 requests
a minute, 10 in flight and 40 batch calls a minute (Intuit's), for pulls, pushes and webhook-driven
syncs alike; after a 429 with `Retry-After`, nobody calls that realm until it has passed.

``slot(realm, batch=)`` is held around one HTTP attempt. It first waits for the minute's budget and
any pause, holding nothing, then takes one of the in-flight places, so that no worker sleeps while
holding a place another call could use. With Redis (``REDIS_URL``) the counts live there, in keys
that expire by themselves (a killed worker's place is freed after its lease); without it (the demo,
jobs inline) they live in this process. See docs/sync.md, "QuickBooks' limits".
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

from finance.quickbooks.errors import ThrottledError


@dataclass(frozen=True)
class Limits:
    per_minute: int = 500
    in_flight: int = 10
    batch_per_minute: int = 40
    window: float = 60.0  # seconds of a "minute" (shorter in tests)
    lease: float = 180.0  # seconds a place is held at most (a killed worker's is freed after it)
    max_wait: float = 120.0  # seconds a call waits for the budget before it gives up as throttled


class Budget:
    """The shared part: waiting without holding anything, then one place for the attempt."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.time, sleep=time.sleep) -> None:
        self.limits, self.clock, self.sleep = limits, clock, sleep

    @contextmanager
    def slot(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        deadline = self.clock() + self.limits.max_wait
        while (wait := self._take_rate(realm_id, batch)) > 0:
            self._wait(wait, deadline, realm_id)
        token = uuid.uuid4().hex
        while not self._take_place(realm_id, token):
            self._wait(0.05, deadline, realm_id)
        try:
            yield
        finally:
            self._free_place(realm_id, token)

    def pause(self, realm_id: str, seconds: float) -> None:
        """QuickBooks answered 429 with Retry-After: nobody calls the realm before it has passed."""
        self._set_pause(realm_id, self.clock() + seconds)

    def _wait(self, seconds: float, deadline: float, realm_id: str) -> None:
        if self.clock() + seconds > deadline:
            raise ThrottledError(
                "the shared QuickBooks budget of this company stayed used up", detail=f"realm {realm_id}"
            )
        self.sleep(seconds)

    # -- storage: seconds to wait (0: taken), a place taken or not, a place freed, a pause set -------
    def _take_rate(self, realm_id: str, batch: bool) -> float:
        raise NotImplementedError

    def _take_place(self, realm_id: str, token: str) -> bool:
        raise NotImplementedError

    def _free_place(self, realm_id: str, token: str) -> None:
        raise NotImplementedError

    def _set_pause(self, realm_id: str, until: float) -> None:
        raise NotImplementedError


class LocalBudget(Budget):
    """The counts in this process (no Redis): right for one process, as the demo is."""

    def __init__(self, limits: Limits, **kwargs) -> None:
        super().__init__(limits, **kwargs)
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}
        self._places: dict[str, dict[str, float]] = {}
        self._paused: dict[str, float] = {}

    def _take_rate(self, realm_id: str, batch: bool) -> float:
        now = self.clock()
        window = int(now // self.limits.window)
        with self._lock:
            pause = self._paused.get(realm_id, 0.0) - now
            if pause > 0:
                return pause
            kinds = [("req", self.limits.per_minute)] + ([("batch", self.limits.batch_per_minute)] if batch else [])
            if any(self._counts.get((realm_id, kind, window), 0) >= limit for kind, limit in kinds):
                return (window + 1) * self.limits.window - now
            for kind, _ in kinds:
                self._counts[realm_id, kind, window] = self._counts.get((realm_id, kind, window), 0) + 1
            for key in [k for k in self._counts if k[2] < window]:  # older minutes are of no use
                del self._counts[key]
            return 0.0

    def _take_place(self, realm_id: str, token: str) -> bool:
        now = self.clock()
        with self._lock:
            places = {t: until for t, until in self._places.get(realm_id, {}).items() if until > now}
            if len(places) >= self.limits.in_flight:
                self._places[realm_id] = places
                return False
            places[token] = now + self.limits.lease
            self._places[realm_id] = places
            return True

    def _free_place(self, realm_id: str, token: str) -> None:
        with self._lock:
            self._places.get(realm_id, {}).pop(token, None)

    def _set_pause(self, realm_id: str, until: float) -> None:
        with self._lock:
            self._paused[realm_id] = max(until, self._paused.get(realm_id, 0.0))


# Atomic in Redis: the pause, then both minute counters checked before either is counted.
_TAKE_RATE = """
local now = tonumber(ARGV[1])
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if pause > now then return tostring(pause - now) end
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[2]) then return ARGV[5] end
if KEYS[2] ~= '' and tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[3]) then return ARGV[5] end
redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], ARGV[4])
if KEYS[2] ~= '' then redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return '0'
"""
_TAKE_PLACE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]); redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisBudget(Budget):
    """The counts in Redis, shared by every worker and process."""

    def __init__(self, url: str, limits: Limits, prefix: str = "otiumwork:qbo", **kwargs) -> None:
        super().__init__(limits, **kwargs)
        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._rate = self.redis.register_script(_TAKE_RATE)
        self._place = self.redis.register_script(_TAKE_PLACE)

    def _key(self, realm_id: str, *parts: object) -> str:
        return ":".join((self.prefix, realm_id, *map(str, parts)))

    def _take_rate(self, realm_id: str, batch: bool) -> float:
        now = self.clock()
        window = int(now // self.limits.window)
        keys = [self._key(realm_id, "req", window), self._key(realm_id, "batch", window) if batch else "",
                self._key(realm_id, "pause")]  # fmt: skip
        until_next = (window + 1) * self.limits.window - now
        ttl = int(self.limits.window * 2) + 1
        limits = [self.limits.per_minute, self.limits.batch_per_minute]
        return float(self._rate(keys=keys, args=[now, *limits, ttl, until_next]))

    def _take_place(self, realm_id: str, token: str) -> bool:
        now = self.clock()
        key = self._key(realm_id, "inflight")
        args = [now, self.limits.in_flight, now + self.limits.lease, token, int(self.limits.lease) + 1]
        return bool(self._place(keys=[key], args=args))

    def _free_place(self, realm_id: str, token: str) -> None:
        self.redis.zrem(self._key(realm_id, "inflight"), token)

    def _set_pause(self, realm_id: str, until: float) -> None:
        key = self._key(realm_id, "pause")
        current = float(self.redis.get(key) or 0)
        if until > current:
            self.redis.set(key, until, ex=int(until - self.clock()) + 1)


@cache
def shared_budget(redis_url: str) -> Budget:
    """The process's budget: in Redis when there is one, else in this process."""
    return RedisBudget(redis_url, Limits()) if redis_url else LocalBudget(Limits())


def configured() -> Budget:
    return shared_budget(settings.REDIS_URL or "")
