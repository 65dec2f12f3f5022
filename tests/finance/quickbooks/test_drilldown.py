"""Drill-down to QuickBooks rows, against the local sandbox over HTTP: every demo month's rows add
up to each figure; the rows are replaced by each sync in the figures' transaction; the snapshot
page links each synced figure; the page and its CSV show the rows, linked to QuickBooks' web app;
a back-dated payment restates a past month with old → new."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import requests
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from finance.models import FigureDrilldown, MonthlySnapshot, QuickBooksConnection, RunStatus, SyncLogEntry
from finance.quickbooks import drilldown
from finance.quickbooks.figures import FIGURES, FigureRow
from finance.quickbooks.pull import sync_connection
from qbsandbox import demo
from tests import qbo
from tests.builders import make_company, make_entity, make_user
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db

DEMO_TODAY = date(2025, 6, 30)  # window 2025-04 .. 2025-06
TODAY = date(2025, 6, 15)  # window 2025-03 .. 2025-06 for hand-made books


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def demo_realms(local_quickbooks):
    """The three demo companies in the test sandbox (seeding is idempotent)."""
    local_quickbooks.sandbox.seed_demo_realms(today=DEMO_TODAY.isoformat())
    return {name: realm_id for realm_id, name, *_ in demo.DEMO_REALMS}


def connect(client, entity, realm: str) -> QuickBooksConnection:
    qbo.connect(client, entity, realm)
    return QuickBooksConnection.objects.get(entity=entity)


@pytest.fixture
def books(local_quickbooks):
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Drill Books", today="2025-06-15"))
    inv1 = books.invoice("2025-02-10", "1000.00")
    inv3 = books.invoice("2025-03-10", "300.00")
    inv4 = books.invoice("2025-04-15", "250.00")
    books.payment("2025-04-05", (inv1, "600.00"))
    books.payment("2025-05-02", (inv3, "300.00"), (inv4, "150.00"))
    bill = books.bill("2025-04-10", "120.50")
    books.bill_payment("2025-05-15", (bill, "120.50"))
    books.inv1, books.inv4 = inv1, inv4
    return books


def sources_total(entity, month, figure) -> Decimal:
    return sum((s.home_amount for s in drilldown.sources_of(entity.pk, month, figure)), Decimal("0.00"))


def all_sources(entity) -> list:
    return [s for document in FigureDrilldown.objects.filter(entity=entity) for s in drilldown.decoded(document)]


@pytest.mark.parametrize(
    ("name", "currency", "zone"),
    [
        ("SoftInWay India Pvt Ltd", "INR", "Asia/Kolkata"),
        ("SoftInWay Switzerland AG", "CHF", "Europe/Zurich"),
        ("SoftInWay Inc", "USD", "America/New_York"),
    ],
)
def test_every_demo_months_rows_add_up_to_each_figure(admin, company, demo_realms, name, currency, zone):
    entity = make_entity(company, name, currency, zone)
    run = sync_connection(connection=connect(admin, entity, demo_realms[name]), trigger="manual", today=DEMO_TODAY)
    assert run.status == RunStatus.SUCCESS, run.error_message
    snapshots = list(MonthlySnapshot.objects.filter(entity=entity))
    assert [s.month for s in snapshots] == [date(2025, 6, 1), date(2025, 5, 1), date(2025, 4, 1)]
    for snapshot in snapshots:
        for figure in FIGURES:
            assert sources_total(entity, snapshot.month, figure) == getattr(snapshot, figure), (snapshot, figure)
    sources = all_sources(entity)
    assert len(sources) == run.counts["drilldown_rows"] > 0
    # One document per month and figure, each counting its rows.
    documents = FigureDrilldown.objects.filter(entity=entity)
    assert documents.count() == 3 * len(FIGURES)
    assert all(d.row_count == len(drilldown.decoded(d)) for d in documents)
    assert {s.txn_type for s in sources if s.figure == "revenue"} == {"Payment"}
    if currency != "USD":  # foreign-currency rows are there, each within a cent of amount × rate
        foreign = [s for s in sources if s.exchange_rate != 1]
        assert foreign
        assert all(abs(s.amount * s.exchange_rate - s.home_amount) <= Decimal("0.01") for s in foreign)


def test_the_rows_are_replaced_by_each_sync_in_constant_queries(admin, entity, books):
    connection = connect(admin, entity, books.realm)
    sync_connection(connection=connection, trigger="manual", today=TODAY)
    first = set(FigureDrilldown.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(db_connection) as queries:
        sync_connection(connection=connection, trigger="manual", today=TODAY)
    written = [q["sql"] for q in queries if "finance_figuredrilldown" in q["sql"]]
    assert len(written) == 2  # one DELETE of the window, one INSERT of every document
    assert not first & set(FigureDrilldown.objects.values_list("pk", flat=True))
    april = {
        (s.figure, s.txn_type, s.linked_txn_id, s.home_amount)
        for s in drilldown.sources_of(entity.pk, date(2025, 4, 1))
    }
    assert ("revenue", "Payment", books.inv1, Decimal("600.00")) in april
    assert ("expenses", "Bill", "", Decimal("120.50")) in april


def test_snapshot_page_links_each_synced_figure_to_its_rows(
    client, finance_user, entity, local_quickbooks, books, admin_user
):
    client.force_login(admin_user)
    sync_connection(connection=connect(client, entity, books.realm), trigger="manual", today=TODAY)
    client.force_login(finance_user)
    page = client.get(reverse("finance:snapshots", args=[entity.pk])).content.decode()
    for figure in FIGURES:
        assert reverse("finance:figure_sources", args=[entity.pk, "2025-04", figure]) in page
    detail = client.get(reverse("finance:figure_sources", args=[entity.pk, "2025-04", "revenue"]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "O&#x27;Brien &amp; Söhne" in html and "600.00" in html
    link = f"{local_quickbooks.sandbox.url}/app/recvpayment?txnId="
    assert link in html and f"/app/invoice?txnId={books.inv1}&amp;realmId={books.realm}" in html
    # The link opens the sandbox's page of that very payment.
    url = html.split(link, 1)[1].split('"', 1)[0].replace("&amp;", "&")
    page = requests.get(link + url, timeout=5)
    assert page.status_code == 200 and "Payment" in page.text and "600" in page.text


def test_csv_has_one_row_per_transaction_with_plain_decimals(admin, entity, books, local_quickbooks):
    sync_connection(connection=connect(admin, entity, books.realm), trigger="manual", today=TODAY)
    response = admin.get(reverse("finance:figure_sources_csv", args=[entity.pk, "2025-05", "revenue"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["home_amount"] for r in rows) == ["150.00", "300.00"]
    assert {r["party"] for r in rows} == {"O'Brien & Söhne"}
    assert all(r["quickbooks_url"].startswith(local_quickbooks.sandbox.url + "/app/recvpayment?txnId=") for r in rows)
    whole = admin.get(reverse("finance:month_sources_csv", args=[entity.pk, "2025-05"])).content.decode()
    figures = {r["figure"] for r in csv.DictReader(io.StringIO(whole))}
    assert figures == {"revenue", "ar_balance"}


def test_a_back_dated_payment_restates_the_past_month_with_old_and_new(admin, entity, books, local_quickbooks):
    connection = connect(admin, entity, books.realm)
    sync_connection(connection=connection, trigger="manual", today=TODAY)
    books.payment("2025-04-20", (books.inv4, "100.00"))  # entered today, dated in April
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS
    line = SyncLogEntry.objects.get(run=run, object_ref="2025-04")
    assert line.details["restatement"] is True and line.message.startswith("2025-04 restated:")
    # June (the current month) changed too (AR), which is no restatement.
    assert "restatement" not in SyncLogEntry.objects.get(run=run, object_ref="2025-06").details
    page = admin.get(reverse("finance:snapshots", args=[entity.pk])).content.decode()
    day = timezone.localtime(line.created_at, entity.zone)
    assert f"restated on {day:%Y-%m-%d}: revenue USD 600.00 → USD 700.00, open AR USD 950.00 → USD 850.00" in page
    detail = admin.get(reverse("finance:figure_sources", args=[entity.pk, "2025-04", "revenue"])).content.decode()
    assert "Restated on" in detail and "revenue USD 600.00 → USD 700.00" in detail
    assert "100.00" in detail  # the back-dated payment is among the rows now
    assert sources_total(entity, date(2025, 4, 1), "revenue") == Decimal("700.00")


def test_the_snapshot_page_costs_the_same_queries_with_more_restatements(admin, entity, books):
    connection = connect(admin, entity, books.realm)
    sync_connection(connection=connection, trigger="manual", today=TODAY)
    url = reverse("finance:snapshots", args=[entity.pk])
    with CaptureQueriesContext(db_connection) as before:
        admin.get(url)
    for day, amount in (("2025-03-20", "10.00"), ("2025-04-20", "20.00"), ("2025-05-20", "30.00")):
        books.payment(day, (books.inv4, amount))
        sync_connection(connection=connection, trigger="manual", today=TODAY)
    with CaptureQueriesContext(db_connection) as after:
        page = admin.get(url).content.decode()
    assert page.count("restated on") == 3
    assert len(after) == len(before)


def test_drilldown_pages_refuse_sales_and_other_companies(client, entity, sales_user, books, admin_user):
    client.force_login(admin_user)
    sync_connection(connection=connect(client, entity, books.realm), trigger="manual", today=TODAY)
    urls = [
        reverse("finance:figure_sources", args=[entity.pk, "2025-04", "revenue"]),
        reverse("finance:figure_sources_csv", args=[entity.pk, "2025-04", "revenue"]),
        reverse("finance:month_sources_csv", args=[entity.pk, "2025-04"]),
    ]
    client.force_login(sales_user)
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    other = make_company("Other Co")
    client.force_login(make_user(other, "finance", username="other-finance"))
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.force_login(admin_user)
    assert client.get(reverse("finance:figure_sources", args=[entity.pk, "2025-04", "cash"])).status_code == 404
    assert client.get(reverse("finance:figure_sources", args=[entity.pk, "April", "revenue"])).status_code == 404


def test_a_figure_without_rows_has_an_empty_drilldown_that_says_so(admin, entity, books):
    sync_connection(connection=connect(admin, entity, books.realm), trigger="manual", today=TODAY)
    june = FigureDrilldown.objects.get(entity=entity, month=date(2025, 6, 1), figure="revenue")
    assert (june.rows, june.row_count) == ("", 0)  # synced, and QuickBooks shows no payment in June
    url = reverse("finance:figure_sources", args=[entity.pk, "2025-06", "revenue"])
    assert url in admin.get(reverse("finance:snapshots", args=[entity.pk])).content.decode()
    page = admin.get(url).content.decode()
    assert "QuickBooks showed no row for this figure in June 2025 at the last sync." in page
    assert '<strong class="num" id="rows-total">USD 0.00</strong>' in page


def test_months_before_the_window_keep_the_rows_of_their_last_sync(admin, entity, books):
    connection = connect(admin, entity, books.realm)
    sync_connection(connection=connection, trigger="manual", today=TODAY)  # window 2025-03 .. 2025-06
    march = drilldown.sources_of(entity.pk, date(2025, 3, 1))
    assert [(s.figure, s.txn_id, s.home_amount) for s in march if s.figure == "ar_balance"] == [
        ("ar_balance", books.inv1, Decimal("1000.00")),
        ("ar_balance", march[-1].txn_id, Decimal("300.00")),
    ]
    run = sync_connection(connection=connection, trigger="manual", today=date(2025, 7, 20))  # 2025-04 .. 2025-07
    assert run.status == RunStatus.SUCCESS, run.error_message
    assert drilldown.sources_of(entity.pk, date(2025, 3, 1)) == march
    assert FigureDrilldown.objects.filter(entity=entity, month=date(2025, 7, 1)).count() == len(FIGURES)


@pytest.mark.parametrize(
    "party",
    ["O'Brien & Söhne", 'Acme, "Turbines" Ltd', "Line one\nline two", "=HYPERLINK(1)", " padded ", "", "東京 株式会社"],
)
def test_a_document_gives_back_every_row_exactly(party):
    row = FigureRow(
        month=date(2025, 4, 1), figure="ar_balance", txn_type="Invoice", txn_id="12", txn_date=date(2025, 3, 30),
        party=party, doc_number="INV,7", linked_txn_id="", linked_doc_number="", currency="INR",
        amount=Decimal("1234.50"),
        exchange_rate=Decimal("83.3000001"), home_amount=Decimal("102833.85"),
    )  # fmt: skip
    document = FigureDrilldown(month=row.month, figure=row.figure, realm_id="9341", rows=drilldown.encoded([row, row]))
    back = drilldown.decoded(document)
    assert [tuple(s) for s in back] == [("9341", *row)] * 2
    assert str(back[0].amount) == "1234.50" and str(back[0].exchange_rate) == "83.3000001"


def test_a_document_written_before_rows_named_their_currency_and_paid_invoice_still_reads():
    old = "Payment,101,2025-03-17,Amy,P-9,67,220.00,1,220.00\n"  # nine columns, as stored until now
    document = FigureDrilldown(month=date(2025, 3, 1), figure="revenue", realm_id="9341", rows=old)
    [source] = drilldown.decoded(document)
    assert (source.txn_id, source.linked_txn_id, source.linked_doc_number, source.currency) == ("101", "67", "", "")
    assert source.home_amount == Decimal("220.00")


def test_an_invoice_issued_and_paid_within_a_month_is_named_by_its_number_in_the_revenue_rows(
    admin, entity, local_quickbooks
):
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Same Month", today="2025-06-15"))
    invoice = books.invoice("2025-05-03", "90.00")
    books.payment("2025-05-20", (invoice, "90.00"))  # closed before the month's end: no open-AR row names it
    sync_connection(connection=connect(admin, entity, books.realm), trigger="manual", today=TODAY)
    number = local_quickbooks.sandbox.read_entity(books.realm, "Invoice", invoice)["DocNumber"]

    html = admin.get(reverse("finance:figure_sources", args=[entity.pk, "2025-05", "revenue"])).content.decode()
    rows = list(csv.DictReader(io.StringIO(
        admin.get(reverse("finance:figure_sources_csv", args=[entity.pk, "2025-05", "revenue"])).content.decode()
    )))  # fmt: skip

    assert f"Invoice {number}" in html and "number not synced" not in html
    assert [(r["linked_txn_id"], r["linked_doc_number"]) for r in rows] == [(invoice, number)]


def test_a_foreign_documents_row_shows_its_own_currency_beside_the_home_amount(admin, company, demo_realms):
    india = make_entity(company, "SoftInWay India", "INR", "Asia/Kolkata")
    connection = connect(admin, india, demo_realms["SoftInWay India Pvt Ltd"])
    sync_connection(connection=connection, trigger="manual", today=DEMO_TODAY)
    foreign = next(s for s in all_sources(india) if s.figure == "revenue" and s.exchange_rate != 1)
    assert foreign.currency and foreign.currency != "INR"

    month = f"{foreign.month:%Y-%m}"
    html = admin.get(reverse("finance:figure_sources", args=[india.pk, month, "revenue"])).content.decode()

    assert f"{foreign.currency} {foreign.amount:,.2f}" in html and f"INR {foreign.home_amount:,.2f}" in html
