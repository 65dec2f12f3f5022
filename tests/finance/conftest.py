"""Fixtures of the finance tests."""

import pytest


@pytest.fixture
def sent(monkeypatch):
    """The per-connection sync jobs sent to the broker, captured instead of run."""
    calls = []
    monkeypatch.setattr(
        "finance.tasks.sync_connection_task.apply_async",
        lambda args=(), kwargs=None, **options: calls.append((tuple(args), kwargs or {})),
    )
    return calls
