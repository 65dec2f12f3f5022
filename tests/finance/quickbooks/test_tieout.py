"""Tie-out with QuickBooks' aged reports, against the local sandbox over HTTP: hand-made books match;
the demo realm with an open credit memo differs by it and names it; a failed report leaves the sync
successful and says "tie-out unavailable". Report parsing and the comparison, pure."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import QuickBooksConnection, RunStatus, SyncLogEntry
from finance.quickbooks.pull import sync_connection
from finance.quickbooks.tieout import compare, report_total
from qbsandbox import demo
from tests import qbo
from tests.builders import make_entity
from tests.corpus import CORPUS
from tests.finance.qbo_books import Books

TODAY = date(2025, 6, 15)
DEMO_TODAY = date(2025, 6, 30)


def test_report_total_reads_the_grand_total_of_intuits_sample():
    sample = CORPUS / "reports" / "aged-receivables.intuit-docs.json"
    assert report_total(json.loads(sample.read_text())) == Decimal("37.50")


def test_report_total_of_an_empty_report_is_zero():
    empty = {
        "Columns": {"Column": [{"ColTitle": ""}, {"ColTitle": "Total"}]},
        "Rows": {"Row": [{"group": "GrandTotal", "Summary": {"ColData": [{"value": "TOTAL"}, {"value": ""}]}}]},
    }
    assert report_total(empty) == 0


def test_compare_names_a_difference_explained_by_credits_and_rounding():
    explained = compare(
        quickbooks=Decimal("750.00"),
        ours=Decimal("2000.00"),
        credit_memos=Decimal("1250"),
        unapplied=Decimal("0"),
        foreign_rows=0,
    )
    assert explained["status"] == "explained" and explained["difference"] == "-1250.00"
    unexplained = compare(
        quickbooks=Decimal("700.00"),
        ours=Decimal("2000.00"),
        credit_memos=Decimal("1250"),
        unapplied=Decimal("0"),
        foreign_rows=0,
    )
    assert unexplained["status"] == "differs" and unexplained["unexplained"] == "-50.00"
    rounding = compare(
        quickbooks=Decimal("100.02"),
        ours=Decimal("100.00"),
        credit_memos=Decimal("0"),
        unapplied=Decimal("0"),
        foreign_rows=4,
    )
    assert rounding["status"] == "rounding"


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def connect(client, entity, realm: str) -> QuickBooksConnection:
    qbo.connect(client, entity, realm)
    return QuickBooksConnection.objects.get(entity=entity)


@pytest.fixture
def books(local_quickbooks):
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Tie Books", today="2025-06-15"))
    inv = books.invoice("2025-02-10", "1000.00")
    books.invoice("2025-05-20", "250.00")
    books.payment("2025-04-05", (inv, "600.00"))
    bill = books.bill("2025-04-10", "120.50")
    books.bill("2025-06-01", "80.00")
    books.bill_payment("2025-05-15", (bill, "20.50"))
    return books


@pytest.mark.django_db
def test_tie_out_matches_on_books_without_credit_memos(admin, entity, books, local_quickbooks):
    run = sync_connection(connection=connect(admin, entity, books.realm), trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS
    assert run.tie_out["as_of"] == "2025-06-15"
    assert (run.tie_out["ar"]["status"], run.tie_out["ar"]["quickbooks"]) == ("matches", "650.00")
    assert (run.tie_out["ap"]["status"], run.tie_out["ap"]["quickbooks"]) == ("matches", "180.00")
    assert local_quickbooks.sandbox.calls(books.realm)["report"] == 2
    page = admin.get(reverse("finance:qb")).content.decode()
    assert "Open AR matches QuickBooks (USD 650.00 in QuickBooks&#x27; A/R aging on 2025-06-15)" in page
    assert "Open AP matches QuickBooks" in page
    assert "<summary>Open AR matches · Open AP matches</summary>" in page  # the card's one line


@pytest.mark.django_db
def test_tie_out_reports_the_credit_memo_of_the_demo_realm_as_the_difference(admin, company, local_quickbooks):
    local_quickbooks.sandbox.seed_demo_realms(today=DEMO_TODAY.isoformat())
    entity = make_entity(company, "SoftInWay Inc", "USD", "America/New_York")
    run = sync_connection(
        connection=connect(admin, entity, demo.DEMO_CREDIT_MEMO["realm_id"]), trigger="manual", today=DEMO_TODAY
    )
    ar = run.tie_out["ar"]
    assert (ar["status"], ar["difference"], ar["credit_memos"], ar["unapplied"]) == (
        "explained",
        "-1250.00",
        "1250.00",
        "0.00",
    )
    assert Decimal(ar["otiumwork"]) - Decimal(ar["quickbooks"]) == Decimal("1250.00")
    page = admin.get(reverse("finance:qb")).content.decode()
    assert "<summary>Open AR differs by USD -1,250.00" in page
    assert "open credit memos USD 1,250.00, which the snapshots do not count." in page
    assert "V1" not in page


@pytest.mark.django_db
def test_a_failed_report_leaves_the_sync_successful_and_the_tie_out_unavailable(
    admin, entity, books, local_quickbooks, settings
):
    settings.QBO_RETRY_BACKOFF = 0.01
    connection = connect(admin, entity, books.realm)
    local_quickbooks.sandbox.inject_fault(books.realm, "error", count=10, after=2)  # the two batch calls pass
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS and run.changed_months
    assert "not reachable" in run.tie_out["error"]
    assert run.qbo_calls == 2 + 4 + 4  # two batch calls, then both reports (read at once) tried four times each
    assert SyncLogEntry.objects.filter(run=run, action="error", message__contains="Tie-out").count() == 1
    page = admin.get(reverse("finance:qb")).content.decode()
    assert "<summary>Tie-out unavailable</summary>" in page
    assert "Tie-out unavailable: QuickBooks is not reachable right now" in page
