"""What the QuickBooks integration tells whoever watches it (operations: logs, alerts, heartbeat).

Each signal is sent once the transaction that recorded it commits, and robustly: a receiver that
fails is logged by Django and never fails a sync, a push or a connection."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# run=: a pull or push SyncRun that just ended (success, error or skipped).
run_finished = Signal()
# entry=: a sync log line about a connection (connected, token refreshed, refresh failed, disconnected).
connection_event = Signal()
# trigger=, counts=: the fan-out that queued one sync per active connection ended.
fanout_finished = Signal()


def send_after_commit(signal: Signal, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send_robust(sender=None, **kwargs))
