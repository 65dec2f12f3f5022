"""python manage.py qb_sync ENTITY_ID | --all: a foreground sync for operators."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from finance.models import QuickBooksConnection, RunStatus, SyncRun
from tests import qbo
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(client, admin_user, entity, local_quickbooks):
    client.force_login(admin_user)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Shell Co"))
    invoice = books.invoice("2025-05-10", "100.00")
    books.payment("2025-06-02", (invoice, "40.00"))
    qbo.connect(client, entity, books.realm)
    return QuickBooksConnection.objects.get(entity=entity)


def run_command(*args) -> str:
    out = StringIO()
    call_command("qb_sync", *args, stdout=out)
    return out.getvalue()


def test_qb_sync_prints_the_result_and_the_changed_months(entity, connected):
    out = run_command(str(entity.pk), "--today", "2025-06-15")
    assert f"{entity.name}: success" in out
    assert "2025-06 created: revenue 40.00, expenses 0.00, open AR 60.00, open AP 0.00" in out
    assert SyncRun.objects.get(entity=entity).trigger == "shell"
    connected.refresh_from_db()
    from finance.models import MonthlySnapshot

    MonthlySnapshot.objects.filter(entity=entity, month="2025-06-01").update(revenue=1)
    again = run_command(str(entity.pk), "--today", "2025-06-15")
    assert "2025-06 updated: revenue 1.00 → 40.00" in again


def test_qb_sync_all_syncs_every_active_connection(entity, connected):
    out = run_command("--all", "--today", "2025-06-15")
    assert f"{entity.name}: success" in out
    assert SyncRun.objects.filter(status=RunStatus.SUCCESS).count() == 1


def test_qb_sync_exits_non_zero_on_error(entity, connected, local_quickbooks, settings):
    settings.QBO_RETRY_BACKOFF = 0.01
    # Enough errors for every attempt of both first calls (counts and first pages, sent at once).
    local_quickbooks.sandbox.inject_fault(connected.realm_id, "error", count=8)
    with pytest.raises(CommandError, match="1 of 1 sync"):
        run_command(str(entity.pk), "--today", "2025-06-15")
    assert SyncRun.objects.get(entity=entity).status == RunStatus.ERROR


def test_qb_sync_refuses_an_entity_without_connection(entity):
    with pytest.raises(CommandError, match="has no QuickBooks connection"):
        run_command(str(entity.pk))
    with pytest.raises(CommandError, match="entity id or --all"):
        run_command()
