"""Pull sync against the local sandbox over HTTP: exact figures from hand-made books and from a
generated multicurrency realm, manual figures overwritten and logged old → new, months before the
window untouched, a fault part-way writes nothing, throttling retried, needs-reconnect and a
running sync skipped."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from finance.models import (
    ConnectionStatus,
    MonthlySnapshot,
    QuickBooksConnection,
    RunStatus,
    SyncLogEntry,
    SyncRun,
)
from finance.quickbooks.pull import sync_connection
from finance.quickbooks.runs import longest_run
from tests import qbo
from tests.builders import make_snapshot
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)  # window: 2025-03 .. 2025-06 (today - 90 days = 2025-03-17)
WINDOW = [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]


@pytest.fixture
def fast_retries(settings):
    settings.QBO_RETRY_BACKOFF = 0.01
    settings.QBO_THROTTLE_WAIT = 0.01


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def connect(admin, entity, local_quickbooks, realm: str) -> QuickBooksConnection:
    qbo.connect(admin, entity, realm)
    return QuickBooksConnection.objects.get(entity=entity)


@pytest.fixture
def books(local_quickbooks):
    """A USD company with known invoices, bills and payments around the window."""
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Hand Books", today="2025-06-15"))
    inv1 = books.invoice("2025-02-10", "1000.00")  # before the window, still 400 open
    inv2 = books.invoice("2025-01-20", "500.00")  # before the window, paid in it: fetched by its link
    inv3 = books.invoice("2025-03-10", "300.00")
    inv4 = books.invoice("2025-04-15", "250.00")
    books.invoice("2025-06-01", "200.00")
    books.payment("2025-03-20", (inv2, "500.00"))
    books.payment("2025-04-05", (inv1, "600.00"))
    books.payment("2025-05-02", (inv3, "300.00"), (inv4, "150.00"))  # one payment, two invoices
    bill1 = books.bill("2025-02-25", "800.00")
    bill2 = books.bill("2025-04-10", "120.50")
    books.bill("2025-04-28", "79.25")
    books.bill("2025-06-03", "1000.00")
    books.bill_payment("2025-03-05", (bill1, "800.00"))
    books.bill_payment("2025-05-15", (bill2, "120.50"))
    return books


# Worked out by hand from the books above.
EXPECTED = {
    date(2025, 3, 1): {"revenue": "500.00", "expenses": "0.00", "ar_balance": "1300.00", "ap_balance": "0.00"},
    date(2025, 4, 1): {"revenue": "600.00", "expenses": "199.75", "ar_balance": "950.00", "ap_balance": "199.75"},
    date(2025, 5, 1): {"revenue": "450.00", "expenses": "0.00", "ar_balance": "500.00", "ap_balance": "79.25"},
    date(2025, 6, 1): {"revenue": "0.00", "expenses": "1000.00", "ar_balance": "700.00", "ap_balance": "1079.25"},
}


def figures_of(entity) -> dict[date, dict[str, str]]:
    return {
        s.month: {k: str(getattr(s, k)) for k in ("revenue", "expenses", "ar_balance", "ap_balance")}
        for s in MonthlySnapshot.objects.filter(entity=entity)
    }


def snapshot_state(entity) -> list[tuple]:
    return list(MonthlySnapshot.objects.filter(entity=entity).order_by("month").values_list())


def test_sync_writes_exactly_the_hand_computed_figures(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS, run.error_message
    assert figures_of(entity) == EXPECTED
    assert all(isinstance(s.revenue, Decimal) for s in MonthlySnapshot.objects.filter(entity=entity))
    assert run.counts["linked_invoices"] == 1 and run.counts["linked_bills"] == 1
    assert run.counts["months_created"] == 4 and [c["month"] for c in run.changed_months] == [
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    # Batched queries: the counts and the first pages of the window's and open documents (two calls
    # sent at once), then the documents linked by payments; then the tie-out's two aged reports.
    calls = local_quickbooks.sandbox.calls(books.realm)
    assert (calls["batch"], calls["report"]) == (3, 2)
    assert run.qbo_calls == 5 == calls["total"] - calls.get("companyinfo", 0) - calls.get("preferences", 0)
    assert run.counts["tie_out_calls"] == 2
    created = SyncLogEntry.objects.filter(run=run, action="created").order_by("object_ref")
    assert [e.object_ref for e in created] == ["2025-03", "2025-04", "2025-05", "2025-06"]
    assert "revenue 600.00" in created[1].message and "open AR 950.00" in created[1].message


def test_a_second_sync_of_unchanged_books_logs_each_month_skipped(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    sync_connection(connection=connection, trigger="manual", today=TODAY)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS
    assert run.changed_months == [] and run.counts["months_unchanged"] == 4
    assert sorted(SyncLogEntry.objects.filter(run=run).values_list("action", "object_ref")) == [
        ("skipped", "2025-03"),
        ("skipped", "2025-04"),
        ("skipped", "2025-05"),
        ("skipped", "2025-06"),
    ]


def test_manual_figures_in_the_window_are_overwritten_and_logged_old_to_new(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    make_snapshot(
        entity,
        date(2025, 4, 1),
        revenue=Decimal("1.00"),
        expenses=Decimal("199.75"),
        ar_balance=Decimal("7.50"),
        ap_balance=Decimal("199.75"),
        cash=Decimal("5000.00"),
        headcount=12,
        notes="board pack",
    )
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    april = MonthlySnapshot.objects.get(entity=entity, month=date(2025, 4, 1))
    assert (april.revenue, april.ar_balance) == (Decimal("600.00"), Decimal("950.00"))
    assert (april.cash, april.headcount, april.notes) == (Decimal("5000.00"), 12, "board pack")
    line = SyncLogEntry.objects.get(run=run, object_ref="2025-04")
    assert line.action == "updated"
    assert line.details["changes"] == {
        "revenue": {"old": "1.00", "new": "600.00"},
        "ar_balance": {"old": "7.50", "new": "950.00"},
    }
    assert line.message == "2025-04 updated: revenue 1.00 → 600.00, open AR 7.50 → 950.00"
    assert {"month": "2025-04", "action": "updated", "changes": {"revenue": ["1.00", "600.00"],
            "ar_balance": ["7.50", "950.00"]}} in run.changed_months  # fmt: skip
    assert run.counts["months_updated"] == 1 and run.counts["months_created"] == 3


def test_months_before_the_window_are_never_touched(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    february = make_snapshot(entity, date(2025, 2, 1), revenue=Decimal("999.00"), cash=Decimal("1.00"), notes="kept")
    before = snapshot_state(entity)
    sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert MonthlySnapshot.objects.filter(entity=entity, month__lt=WINDOW[0]).count() == 1
    assert [row for row in snapshot_state(entity) if row[0] == february.pk] == before
    assert not SyncLogEntry.objects.filter(object_ref="2025-02").exists()


def test_the_window_follows_the_entitys_time_zone(admin, entity, local_quickbooks, books):
    """At 02:00 UTC on 1 July it is still 30 June in New York: June is still the current month."""
    connection = connect(admin, entity, local_quickbooks, books.realm)
    entity.time_zone = "America/New_York"
    entity.save()
    instant = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: instant)
        run = sync_connection(connection=connection, trigger="manual")
    assert [c["month"] for c in run.changed_months] == ["2025-04", "2025-05", "2025-06"]  # 06-30 - 90 d = 04-01


def independent_figures(rows: dict[str, list[dict]], months: list[date]) -> dict[date, dict[str, str]]:
    """SPEC 4 computed another way: balances from totals minus what was applied by each month end."""

    def day(row):
        return date.fromisoformat(row["TxnDate"])

    def rate(row):
        return Decimal(str(row.get("ExchangeRate", 1)))

    def end(month):
        return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)

    def applied(payments, kind):
        out = defaultdict(list)
        for p in payments:
            for line in p.get("Line", []):
                links = [x for x in line.get("LinkedTxn", []) if x["TxnType"] == kind]
                if links:
                    out[links[0]["TxnId"]].append((day(p), Decimal(str(line["Amount"]))))
        return out

    def open_at(documents, payments, kind, cutoff):
        paid = applied(payments, kind)
        total = Decimal(0)
        for d in documents:
            if day(d) <= cutoff:
                left = Decimal(str(d["TotalAmt"])) - sum((a for on, a in paid[d["Id"]] if on <= cutoff), Decimal(0))
                total += max(left, Decimal(0)) * rate(d)
        return total

    def cents(x):
        return str(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    result = {}
    for month in months:
        in_month = lambda r, month=month: month <= day(r) <= end(month)  # noqa: E731
        revenue = sum(
            (
                Decimal(str(line["Amount"])) * rate(p)
                for p in rows["Payment"]
                if in_month(p)
                for line in p.get("Line", [])
                if any(x["TxnType"] == "Invoice" for x in line.get("LinkedTxn", []))
            ),
            Decimal(0),
        )
        expenses = sum((Decimal(str(b["TotalAmt"])) * rate(b) for b in rows["Bill"] if in_month(b)), Decimal(0))
        result[month] = {
            "revenue": cents(revenue),
            "expenses": cents(expenses),
            "ar_balance": cents(open_at(rows["Invoice"], rows["Payment"], "Invoice", end(month))),
            "ap_balance": cents(open_at(rows["Bill"], rows["BillPayment"], "Bill", end(month))),
        }
    return result


def all_rows(sandbox, realm: str) -> dict[str, list[dict]]:
    out = {}
    for kind in ("Invoice", "Payment", "Bill", "BillPayment"):
        rows, start = [], 1
        while page := sandbox.query_entities(
            realm, f"SELECT * FROM {kind} STARTPOSITION {start} MAXRESULTS 1000"  # noqa: S608
        ).get(kind):
            rows += page
            start += 1000
        out[kind] = rows
    return out


def test_generated_multicurrency_realm_matches_an_independent_calculation(admin, local_quickbooks, company):
    from tests.builders import make_entity

    entity = make_entity(company, "SoftInWay India", "INR", "Asia/Kolkata")
    realm = local_quickbooks.realm(name="Generated India", currency="INR", multicurrency=True, seed=7, size=600,
                                   today="2025-06-15")  # fmt: skip
    connection = connect(admin, entity, local_quickbooks, realm)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY, page_size=40)
    assert run.status == RunStatus.SUCCESS, run.error_message
    rows = all_rows(local_quickbooks.sandbox, realm)
    assert any("ExchangeRate" in r and r["ExchangeRate"] != 1 for r in rows["Invoice"])  # foreign rows present
    assert figures_of(entity) == independent_figures(rows, WINDOW)


def test_a_fault_on_page_three_writes_nothing_and_logs_one_error(
    admin, entity, local_quickbooks, fast_retries, settings
):
    realm = local_quickbooks.realm(name="Faulty Co", seed=3, size=400, today="2025-06-15")
    connection = connect(admin, entity, local_quickbooks, realm)
    make_snapshot(entity, date(2025, 4, 1), revenue=Decimal("1.00"), notes="manual")
    before = snapshot_state(entity)
    local_quickbooks.sandbox.inject_fault(realm, "error", count=10, after=2)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY, page_size=10)
    assert run.status == RunStatus.ERROR and run.retryable
    assert "QuickBooks is not reachable right now" in run.error_message
    assert snapshot_state(entity) == before
    lines = SyncLogEntry.objects.filter(run=run)
    assert [line.action for line in lines] == ["error"]
    assert "no figure was changed" in lines[0].message
    assert run.qbo_calls == 2 + 4  # two good pages, then the third page tried four times


def test_throttling_is_retried_and_then_succeeds(admin, entity, local_quickbooks, books, fast_retries):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    local_quickbooks.sandbox.inject_fault(books.realm, "throttle", count=2)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS, run.error_message
    assert run.qbo_calls == 2 + 3 + 2  # two throttled attempts, three batch calls, two reports
    assert figures_of(entity) == EXPECTED


def test_a_needs_reconnect_connection_is_skipped_with_a_log_line(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    QuickBooksConnection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.NEEDS_RECONNECT)
    run = sync_connection(connection=connection, trigger="cron", today=TODAY)
    assert run.status == RunStatus.SKIPPED
    line = SyncLogEntry.objects.get(run=run)
    assert line.action == "skipped" and "needs reconnect" in line.message
    assert not MonthlySnapshot.objects.filter(entity=entity).exists()


def test_a_grant_revoked_at_quickbooks_skips_the_run_as_needs_reconnect(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    local_quickbooks.sandbox.inject_fault(books.realm, "revoke")
    run = sync_connection(connection=connection, trigger="beat", today=TODAY)
    assert run.status == RunStatus.SKIPPED and "needs reconnect" in run.error_message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT
    assert not MonthlySnapshot.objects.filter(entity=entity).exists()


def test_a_second_sync_while_one_runs_is_skipped(admin, entity, local_quickbooks, books):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    running = SyncRun.objects.create(
        connection=connection, entity=entity, trigger="beat", status=RunStatus.RUNNING, started_at=timezone.now()
    )
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SKIPPED and run.pk != running.pk
    line = SyncLogEntry.objects.get(run=run)
    assert line.action == "skipped" and "still running" in line.message
    assert local_quickbooks.sandbox.calls(books.realm).get("batch", 0) == 0  # no query was sent
    assert not MonthlySnapshot.objects.filter(entity=entity).exists()


def test_a_run_that_lost_its_worker_is_recorded_as_failed_and_does_not_hold_the_lock(
    admin, entity, local_quickbooks, books
):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    lost = SyncRun.objects.create(connection=connection, entity=entity, trigger="beat", status=RunStatus.RUNNING)
    long_ago = timezone.now() - longest_run() - timedelta(seconds=1)
    SyncRun.objects.filter(pk=lost.pk).update(queued_at=long_ago, started_at=long_ago)

    run = sync_connection(connection=connection, trigger="manual", today=TODAY)

    assert run.status == RunStatus.SUCCESS
    lost.refresh_from_db()
    assert lost.status == RunStatus.ERROR and "worker lost" in lost.error_message
    line = SyncLogEntry.objects.get(run=lost)
    assert line.action == "error" and "changed no figure" in line.message


def test_a_running_sync_younger_than_the_longest_a_run_can_take_still_holds_the_lock(
    admin, entity, local_quickbooks, books
):
    connection = connect(admin, entity, local_quickbooks, books.realm)
    busy = SyncRun.objects.create(connection=connection, entity=entity, trigger="beat", status=RunStatus.RUNNING)
    recent = timezone.now() - longest_run() + timedelta(seconds=30)
    SyncRun.objects.filter(pk=busy.pk).update(queued_at=recent, started_at=recent)

    run = sync_connection(connection=connection, trigger="manual", today=TODAY)

    assert run.status == RunStatus.SKIPPED
    busy.refresh_from_db()
    assert busy.status == RunStatus.RUNNING
