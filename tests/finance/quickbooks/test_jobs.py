"""Queueing syncs with jobs inline (no broker): the hourly fan-out and the cron endpoint go on past a
connection whose sync raises, keep that failure on its run, and count it in their answer."""

from decimal import Decimal

import pytest
from django.utils import timezone

from finance.models import MonthlySnapshot, QuickBooksConnection, RunStatus, SyncRun
from finance.quickbooks import pull
from tests import qbo
from tests.builders import make_entity
from tests.finance.qbo_books import Books

URL = "/api/cron/qb-sync-all"
TOKEN = "cron-token-0123456789abcdef-0123456789"


def connected_books(client, entity, local_quickbooks, name: str) -> Books:
    today = timezone.localdate(timezone=entity.zone).isoformat()
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name=name))
    books.payment(today, (books.invoice(today, "100.00"), "40.00"))
    qbo.connect(client, entity, books.realm)
    return books


@pytest.mark.django_db(transaction=True)  # real commits: each job is sent on commit and, inline, runs at once
def test_a_sync_that_raises_inline_does_not_stop_the_fan_out(
    client, admin_user, company, local_quickbooks, settings, monkeypatch
):
    settings.CRON_TOKEN = TOKEN
    client.force_login(admin_user)
    broken_entity = make_entity(company, "SoftInWay India", "USD", "America/New_York")
    healthy_entity = make_entity(company, "SoftInWay USA", "USD", "America/New_York")
    connected_books(client, broken_entity, local_quickbooks, "Broken Books")
    connected_books(client, healthy_entity, local_quickbooks, "Healthy Books")
    client.logout()
    # Writing this entity's months fails (a database fault, not a QuickBooks one): its sync raises.
    write = pull.write_months

    def failing_write(*, connection, **kwargs):
        if connection.entity_id == broken_entity.pk:
            raise RuntimeError("disk I/O error")
        return write(connection=connection, **kwargs)

    monkeypatch.setattr(pull, "write_months", failing_write)

    answer = client.post(URL, headers={"X-OtiumWork-Cron-Token": TOKEN})

    assert answer.status_code == 202
    assert answer.json() == {"queued": 2, "skipped_running": 0, "needs_reconnect": 0, "failed": 1}
    failed = SyncRun.objects.get(entity=broken_entity, trigger="cron")
    assert failed.status == RunStatus.ERROR
    assert "unexpected error (RuntimeError): disk I/O error" in failed.error_message
    assert not MonthlySnapshot.objects.filter(entity=broken_entity).exists()
    synced = SyncRun.objects.get(entity=healthy_entity, trigger="cron")
    assert synced.status == RunStatus.SUCCESS
    month = timezone.localdate(timezone=healthy_entity.zone).replace(day=1)
    assert MonthlySnapshot.objects.get(entity=healthy_entity, month=month).revenue == Decimal("40.00")
    assert QuickBooksConnection.objects.filter(company=company, status="connected").count() == 2
