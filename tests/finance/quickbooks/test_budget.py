"""QuickBooks' limits per company, shared by every client: requests and batch calls a minute, calls in
flight, a pause after a 429 for everybody; waiting without holding a place. In this process (the
demo) and, with a Redis database (CELERY_TEST_REDIS_URL, as CI sets it), across two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import responses

from finance.quickbooks.budget import Limits, LocalBudget
from finance.quickbooks.client import QuickBooksClient
from finance.quickbooks.errors import ThrottledError

REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[3]


class FakeClock:
    """Time that moves only when somebody sleeps."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now, self.slept = now, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def local(clock: FakeClock, **limits) -> LocalBudget:
    return LocalBudget(Limits(**limits), clock=clock, sleep=clock.sleep)


def test_the_minutes_requests_are_counted_and_the_next_one_waits_for_the_next_minute():
    clock = FakeClock(now=600.0)  # the start of a minute
    budget = local(clock, per_minute=3)
    for _ in range(3):
        with budget.slot("9130"):
            pass
    assert clock.slept == []
    clock.now += 20
    with budget.slot("9130"):
        pass
    assert clock.slept == [40.0]  # until the next minute


def test_each_realm_has_its_own_budget():
    clock = FakeClock(now=600.0)
    budget = local(clock, per_minute=1)
    with budget.slot("1"):
        pass
    with budget.slot("2"):
        pass
    assert clock.slept == []


def test_batch_calls_have_their_own_lower_limit():
    clock = FakeClock(now=600.0)
    budget = local(clock, per_minute=10, batch_per_minute=2)
    for _ in range(2):
        with budget.slot("9130", batch=True):
            pass
    with budget.slot("9130"):  # a plain call still goes
        pass
    assert clock.slept == []
    with budget.slot("9130", batch=True):
        pass
    assert clock.slept == [60.0]


def test_a_pause_after_a_429_holds_every_caller_of_the_realm():
    clock = FakeClock(now=600.0)
    budget = local(clock)
    budget.pause("9130", 5)
    with budget.slot("9130"):
        pass
    assert clock.slept == [5.0]


def test_a_budget_used_up_longer_than_a_call_may_wait_is_a_throttle():
    clock = FakeClock(now=600.0)
    budget = local(clock, per_minute=1, max_wait=30)
    with budget.slot("9130"):
        pass
    with pytest.raises(ThrottledError, match="budget"), budget.slot("9130"):
        pass


def test_no_more_calls_are_in_flight_than_the_limit_and_waiting_holds_no_place():
    budget = LocalBudget(Limits(in_flight=2))
    active, peak, lock = [0], [0], threading.Lock()

    def call() -> None:
        with budget.slot("9130"):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.05)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert peak[0] == 2


@responses.activate
def test_the_client_pauses_the_realm_for_everybody_after_a_429_with_retry_after():
    clock = FakeClock(now=600.0)
    budget = local(clock)
    url = "https://qbo.test/v3/company/9130/companyinfo/9130"
    responses.add(responses.GET, url, status=429, headers={"Retry-After": "7"}, body="")
    first = QuickBooksClient(api_base="https://qbo.test", realm_id="9130", access_token="t", budget=budget,
                             max_attempts=1)  # fmt: skip
    with pytest.raises(ThrottledError):
        first.company_info()
    with budget.slot("9130"):  # another worker's call for the same company
        pass
    assert clock.slept == [7.0]


WORKER = """
import json, sys, time
from finance.quickbooks.budget import Limits, RedisBudget
url, prefix, out = sys.argv[1], sys.argv[2], sys.argv[3]
budget = RedisBudget(url, Limits(per_minute=8, in_flight=2, window=2.0), prefix=prefix)
spans = []
for _ in range(6):
    with budget.slot("4620816365212676460"):
        started = time.time()
        time.sleep(0.05)
        spans.append((started, time.time()))
json.dump(spans, open(out, "w"))
"""


@pytest.mark.celery_worker
@pytest.mark.skipif(not REDIS_URL, reason="set CELERY_TEST_REDIS_URL (a Redis database the budget may use)")
def test_two_worker_processes_share_one_budget_in_redis(tmp_path):
    prefix = f"test-budget-{time.time_ns()}"
    outs = [tmp_path / f"worker{n}.json" for n in range(2)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "otiumwork.settings", "PYTHONPATH": str(ROOT)}
    script = "import django; django.setup()\n" + WORKER
    workers = [
        subprocess.Popen([sys.executable, "-c", script, REDIS_URL, prefix, str(out)], cwd=ROOT, env=env)  # noqa: S603
        for out in outs
    ]
    for worker in workers:
        assert worker.wait(timeout=60) == 0
    spans = sorted(span for out in outs for span in json.loads(out.read_text()))
    assert len(spans) == 12
    # Never more than two calls in flight across both processes.
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda e: (e[0], e[1]))
    active = peak = 0
    for _, step in edges:
        active += step
        peak = max(peak, active)
    assert peak <= 2
    # At most eight calls start in any one two-second window of the shared budget.
    windows: dict[int, int] = {}
    for start, _ in spans:
        windows[int(start // 2.0)] = windows.get(int(start // 2.0), 0) + 1
    assert max(windows.values()) <= 8
