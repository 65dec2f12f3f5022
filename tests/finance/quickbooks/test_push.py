"""Pushing a closed sale to QuickBooks as an invoice, against the local sandbox over HTTP: the
invoice's fields, never twice (stored id, marker, requestid, row lock), customer names, currency,
and who may push what."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.test import Client as BrowserClient
from django.urls import reverse

from finance.models import (
    ConnectionStatus,
    QuickBooksConnection,
    QuickBooksSettings,
    SyncLogEntry,
    SyncRun,
)
from finance.quickbooks.client import QuickBooksClient, quote
from finance.quickbooks.errors import QueryError
from finance.quickbooks.push import PushError, push_sale_as_invoice
from sales.models import SaleStatus
from tests import qbo
from tests.builders import make_client, make_company, make_entity, make_sale, make_snapshot, make_user
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def connect(client, admin_user, local_quickbooks):
    """Connect an entity to a new sandbox realm through the product's OAuth flow; returns the realm id."""

    def _connect(entity, **realm) -> str:
        realm_id = local_quickbooks.realm(**realm)
        # An entity connects only to a company of its own home currency (the wrong-company guard).
        entity.home_currency = realm.get("currency", "USD")
        entity.save(update_fields=["home_currency"])
        client.force_login(admin_user)
        qbo.connect(client, entity, realm_id)
        client.logout()
        assert QuickBooksConnection.objects.get(entity=entity).is_active
        return realm_id

    return _connect


@pytest.fixture
def usd_realm(connect, entity):
    return connect(entity, name="SoftInWay Inc", currency="USD")


class Books:
    """What the sandbox holds for one realm, read through its control API (not the Accounting API)."""

    def __init__(self, local_quickbooks, realm_id: str):
        self.sandbox, self.realm_id = local_quickbooks.sandbox, realm_id

    def query(self, entity: str, where: str) -> list[dict]:
        text = f"SELECT * FROM {entity} WHERE {where} MAXRESULTS 1000"  # noqa: S608 - the sandbox's parser
        return self.sandbox.query_entities(self.realm_id, text).get(entity, [])

    def invoice(self, invoice_id: str) -> dict:
        return self.sandbox.read_entity(self.realm_id, "Invoice", invoice_id)

    def invoices_of(self, customer_id: str) -> list[dict]:
        return self.query("Invoice", f"CustomerRef = {quote(customer_id)}")

    def customers_named(self, name: str) -> list[dict]:
        return self.query("Customer", f"DisplayName = {quote(name)} AND Active IN (true, false)")

    def calls(self) -> int:
        return self.sandbox.calls(self.realm_id)["total"]

    def insert(self, entity: str, body: dict) -> dict:
        return self.sandbox.insert_entity(self.realm_id, entity, body)


@pytest.fixture
def books(local_quickbooks, usd_realm):
    return Books(local_quickbooks, usd_realm)


def closed_sale(entity, salesperson, client_name: str = "Helix Pumps", **fields):
    client = make_client(entity.company, client_name)
    fields.setdefault("name", "Turbine audit")
    fields.setdefault("amount_usd", Decimal("1250.5"))
    fields.setdefault("signed_date", date(2026, 3, 14))
    return make_sale(entity, salesperson, client=client, **fields)


def sales_lines(invoice: dict) -> list[dict]:
    return [line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]


# -- the invoice ---------------------------------------------------------------------------------


def test_first_push_creates_customer_and_invoice_with_the_sale_fields(books, entity, sales_user):
    sale = closed_sale(entity, sales_user)
    calls_before = books.calls()

    result = push_sale_as_invoice(sale=sale, user=sales_user)

    assert result.action == "created"
    [customer] = books.customers_named("Helix Pumps")
    invoice = books.invoice(result.invoice_id)
    assert invoice["CustomerRef"]["value"] == customer["Id"]
    assert invoice["TxnDate"] == "2026-03-14"
    assert invoice["PrivateNote"] == f"OW-Sale-{sale.pk}"
    assert invoice["TotalAmt"] == Decimal("1250.50")
    assert invoice["CurrencyRef"]["value"] == "USD"
    assert "TxnTaxDetail" not in invoice or not invoice["TxnTaxDetail"].get("TotalTax")
    [line] = sales_lines(invoice)
    assert line["Description"] == "Turbine audit"
    assert line["Amount"] == Decimal("1250.50")
    detail = line["SalesItemLineDetail"]
    assert detail["ItemRef"]["name"] == "Services"
    assert (detail["Qty"], detail["UnitPrice"]) == (Decimal("1"), Decimal("1250.50"))
    assert detail.get("TaxCodeRef", {"value": "NON"})["value"] == "NON"  # not taxable
    sale.refresh_from_db()
    assert (sale.qb_invoice_id, sale.qb_invoice_number) == (invoice["Id"], invoice["DocNumber"])
    assert sale.qb_realm_id == books.realm_id
    assert sale.qb_pushed_by == sales_user and sale.qb_pushed_at is not None
    run = SyncRun.objects.get(direction="push")
    assert (run.trigger, run.status, run.counts) == ("push", "success", {"created": 1})
    assert run.qbo_calls == books.calls() - calls_before
    logged = {(e.object_type, e.action) for e in SyncLogEntry.objects.filter(direction="push", run=run)}
    assert logged == {("Customer", "created"), ("Invoice", "created")}


def test_invoice_uses_the_item_named_in_the_company_settings(books, company, entity, sales_user):
    QuickBooksSettings.objects.filter(company=company).update(invoice_item_name="Consulting")
    result = push_sale_as_invoice(sale=closed_sale(entity, sales_user), user=sales_user)
    [line] = sales_lines(books.invoice(result.invoice_id))
    assert line["SalesItemLineDetail"]["ItemRef"]["name"] == "Consulting"


def test_a_missing_item_is_reported_and_nothing_is_created(books, company, entity, sales_user):
    QuickBooksSettings.objects.filter(company=company).update(invoice_item_name="Gardening")
    with pytest.raises(PushError, match="no active product or service named “Gardening”"):
        push_sale_as_invoice(sale=closed_sale(entity, sales_user), user=sales_user)
    assert books.customers_named("Helix Pumps") == []
    assert books.sandbox.calls(books.realm_id).get("create", 0) == 0


# -- never twice ---------------------------------------------------------------------------------


def test_second_push_is_skipped_and_returns_the_same_invoice(books, entity, sales_user, finance_user):
    sale = closed_sale(entity, sales_user)
    first = push_sale_as_invoice(sale=sale, user=sales_user)
    calls_before = books.calls()

    second = push_sale_as_invoice(sale=sale, user=finance_user)

    assert second.action == "skipped"
    assert (second.invoice_id, second.invoice_number) == (first.invoice_id, first.invoice_number)
    assert books.calls() - calls_before == 1  # one read of the stored id
    assert len(books.invoices_of(books.invoice(first.invoice_id)["CustomerRef"]["value"])) == 1
    sale.refresh_from_db()
    assert sale.qb_pushed_by == sales_user  # the first pusher stays on record
    assert SyncLogEntry.objects.filter(direction="push", action="skipped", object_type="Invoice").count() == 1


def test_push_after_the_stored_id_was_wiped_finds_the_invoice_by_its_marker(books, entity, sales_user):
    sale = closed_sale(entity, sales_user)
    first = push_sale_as_invoice(sale=sale, user=sales_user)
    customer_id = books.invoice(first.invoice_id)["CustomerRef"]["value"]
    type(sale).objects.filter(pk=sale.pk).update(qb_invoice_id="", qb_invoice_number="", qb_realm_id="")

    again = push_sale_as_invoice(sale=sale, user=sales_user)

    assert again.action == "skipped" and "marker" in again.message
    assert again.invoice_id == first.invoice_id
    assert len(books.invoices_of(customer_id)) == 1
    assert sale.qb_invoice_id == first.invoice_id and sale.qb_invoice_number == first.invoice_number


def test_a_marker_on_another_invoice_of_the_customer_is_not_taken(books, entity, sales_user):
    sale = closed_sale(entity, sales_user)
    first = push_sale_as_invoice(sale=sale, user=sales_user)
    customer_id = books.invoice(first.invoice_id)["CustomerRef"]["value"]
    other = closed_sale(entity, sales_user, client_name="Other client", name="Second job")
    other.client = sale.client
    other.save()
    second = push_sale_as_invoice(sale=other, user=sales_user)
    assert second.action == "created" and second.invoice_id != first.invoice_id
    assert len(books.invoices_of(customer_id)) == 2


def test_push_after_wipe_and_a_new_date_gets_the_first_invoice_back_by_requestid(books, entity, sales_user):
    sale = closed_sale(entity, sales_user)
    first = push_sale_as_invoice(sale=sale, user=sales_user)
    customer_id = books.invoice(first.invoice_id)["CustomerRef"]["value"]
    # The marker search narrows by date, so it misses now; the stable requestid still holds.
    type(sale).objects.filter(pk=sale.pk).update(qb_invoice_id="", signed_date=date(2026, 4, 2))

    again = push_sale_as_invoice(sale=sale, user=sales_user)

    assert again.invoice_id == first.invoice_id
    assert len(books.invoices_of(customer_id)) == 1


def test_a_timeout_after_quickbooks_accepted_the_create_then_a_retry_yields_one_invoice(
    books, entity, sales_user, settings
):
    settings.QBO_HTTP_TIMEOUT = 0.5
    settings.QBO_RETRY_BACKOFF = 1.0
    sale = closed_sale(entity, sales_user)
    # Calls of a first push: item query, customer query, customer create, invoice create. The
    # invoice create is held 1 s: the client gives up after 0.5 s, the sandbox creates the invoice
    # at 1 s, and the client's retry (same requestid) at 1.5 s gets that invoice back.
    books.sandbox.inject_fault(books.realm_id, "hang", after=3, seconds=1.0)

    result = push_sale_as_invoice(sale=sale, user=sales_user)

    assert result.action == "created"
    assert books.sandbox.calls(books.realm_id)["create"] == 3  # customer, invoice, invoice again
    [invoice] = books.invoices_of(books.customers_named("Helix Pumps")[0]["Id"])
    assert invoice["Id"] == result.invoice_id and invoice["PrivateNote"] == f"OW-Sale-{sale.pk}"


@pytest.mark.django_db(transaction=True)
def test_while_a_push_waits_for_quickbooks_the_database_stays_free_for_everyone_else(
    local_quickbooks, connect, entity, sales_user, finance_user
):
    """A push holds no transaction while QuickBooks answers: another user's snapshot save and a look
    at the sale's row lock go through at once, before the push has finished."""
    books = Books(local_quickbooks, connect(entity, currency="USD"))
    sale = closed_sale(entity, sales_user)
    books.sandbox.inject_fault(books.realm_id, "hang", seconds=2.0)  # the push's first call waits 2 s
    started, results, errors = threading.Event(), [], []

    def push() -> None:
        try:
            started.set()
            results.append(push_sale_as_invoice(sale=type(sale).objects.get(pk=sale.pk), user=sales_user))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            db_connection.close()

    pusher = threading.Thread(target=push)
    pusher.start()
    started.wait(5)
    deadline = time.monotonic() + 5
    while not SyncRun.objects.filter(direction="push", status="running").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # until the push has claimed the sale and is calling QuickBooks

    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            locked = type(sale).objects.select_for_update(nowait=True).filter(pk=sale.pk).exists()
        else:
            locked = type(sale).objects.select_for_update().filter(pk=sale.pk).exists()
        make_snapshot(entity, date(2026, 2, 1), revenue=Decimal("10.00"), updated_by=finance_user)
    still_pushing = pusher.is_alive()
    pusher.join(timeout=30)

    assert locked and still_pushing, "the snapshot save had to wait for QuickBooks"
    assert errors == [] and [r.action for r in results] == ["created"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pushes_of_one_sale_yield_one_invoice(local_quickbooks, connect, entity, sales_user):
    if db_connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (CI runs this with DATABASE_URL)")
    books = Books(local_quickbooks, connect(entity, currency="USD"))
    sale = closed_sale(entity, sales_user)
    books.sandbox.inject_fault(books.realm_id, "hang", seconds=0.5)  # widen the race

    def push():
        return push_sale_as_invoice(sale=type(sale).objects.get(pk=sale.pk), user=sales_user)

    results, errors = run_together(push, [(), ()])

    assert errors == []
    assert sorted(r.action for r in results) == ["created", "skipped"]
    assert results[0].invoice_id == results[1].invoice_id
    [customer] = books.customers_named("Helix Pumps")
    assert len(books.invoices_of(customer["Id"])) == 1


# -- customers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_name,qb_name",
    [
        ("O'Brien & Sons", "O'Brien & Sons"),
        ('The "Best" Turbines', 'The "Best" Turbines'),
        ("Back\\slash Ltd", "Back\\slash Ltd"),
        ("Zürich Präzision AG", "Zürich Präzision AG"),
        ("L’Atelier Thermique", "L’Atelier Thermique"),
        ("  Spaced Turbines  ", "Spaced Turbines"),
    ],
    ids=["apostrophe", "quotes", "backslash", "non-ascii", "curly apostrophe", "outer spaces"],
)
def test_names_with_quotes_and_non_ascii_match_the_existing_customer(books, entity, sales_user, client_name, qb_name):
    existing = books.insert("Customer", {"DisplayName": qb_name})
    books.insert("Customer", {"DisplayName": qb_name + " (old)"})

    result = push_sale_as_invoice(sale=closed_sale(entity, sales_user, client_name), user=sales_user)

    assert books.invoice(result.invoice_id)["CustomerRef"]["value"] == existing["Id"]
    assert len(books.customers_named(qb_name)) == 1


def rejecting_non_ascii_literals(monkeypatch) -> list[str]:
    """Make the client meet QBO's parser as it has been seen: non-ASCII in a literal is a 4000 fault."""
    real_query, sent = QuickBooksClient.query, []

    def query(self, statement: str) -> dict:
        sent.append(statement)
        if not statement.isascii():
            self.calls += 1
            raise QueryError(
                "Error parsing query", code="4000", detail="QueryParserError: Invalid content. Lexical error"
            )
        return real_query(self, statement)

    monkeypatch.setattr(QuickBooksClient, "query", query)
    return sent


@pytest.mark.parametrize("name", ["Zürich Präzision AG", "Ökö"], ids=["ascii run", "no ascii run"])
def test_non_ascii_name_is_found_when_quickbooks_rejects_it_in_a_query(books, entity, sales_user, monkeypatch, name):
    existing = books.insert("Customer", {"DisplayName": name})
    books.insert("Customer", {"DisplayName": "Basel Präzision AG"})  # matches the narrowing, not the name
    sent = rejecting_non_ascii_literals(monkeypatch)

    result = push_sale_as_invoice(sale=closed_sale(entity, sales_user, name), user=sales_user)

    assert books.invoice(result.invoice_id)["CustomerRef"]["value"] == existing["Id"]
    assert len(books.customers_named(name)) == 1
    assert any("LIKE '%zision AG%'" in s for s in sent) == (name == "Zürich Präzision AG")


def test_non_ascii_name_absent_from_quickbooks_is_created_once(books, entity, sales_user, monkeypatch):
    rejecting_non_ascii_literals(monkeypatch)
    sale = closed_sale(entity, sales_user, "Zürich Präzision AG")
    first = push_sale_as_invoice(sale=sale, user=sales_user)
    type(sale).objects.filter(pk=sale.pk).update(qb_invoice_id="")
    again = push_sale_as_invoice(sale=sale, user=sales_user)
    assert again.action == "skipped" and again.invoice_id == first.invoice_id
    [customer] = books.customers_named("Zürich Präzision AG")
    assert len(books.invoices_of(customer["Id"])) == 1


@pytest.mark.parametrize(
    "entity_type,body,holder",
    [
        ("Vendor", {"DisplayName": "Acme Supplies"}, "a vendor"),
        ("Employee", {"GivenName": "Acme", "FamilyName": "Supplies"}, "an employee"),
    ],
)
def test_a_name_held_by_a_vendor_or_employee_gives_a_clear_message(
    books, entity, sales_user, entity_type, body, holder
):
    books.insert(entity_type, body)
    sale = closed_sale(entity, sales_user, "Acme Supplies")

    with pytest.raises(PushError) as refused:
        push_sale_as_invoice(sale=sale, user=sales_user)

    assert f"QuickBooks already uses the name “Acme Supplies” for {holder}" in str(refused.value)
    assert books.customers_named("Acme Supplies") == []
    assert books.sandbox.calls(books.realm_id)["create"] == 1  # the customer create, not retried
    sale.refresh_from_db()
    assert sale.qb_invoice_id == ""
    log = SyncLogEntry.objects.get(direction="push", action="error")
    assert "Acme Supplies" in log.message and log.details["code"] == "6240"
    assert SyncRun.objects.get(direction="push").status == "error"


def test_an_inactive_customer_is_found_and_reported(books, entity, sales_user):
    books.insert("Customer", {"DisplayName": "Dormant Ltd", "Active": False})
    with pytest.raises(PushError, match="customer “Dormant Ltd” is inactive"):
        push_sale_as_invoice(sale=closed_sale(entity, sales_user, "Dormant Ltd"), user=sales_user)
    assert books.sandbox.calls(books.realm_id).get("create", 0) == 0


# -- currency ------------------------------------------------------------------------------------
# Sales in other currencies, multicurrency companies and customers per currency: test_push_books.py.


def test_a_eur_sale_into_a_usd_company_without_multicurrency_is_refused(books, entity, sales_user):
    """Without push settings the company's multicurrency is read at push time (Preferences)."""
    sale = closed_sale(entity, sales_user, currency="EUR", amount=Decimal("900.00"))
    with pytest.raises(PushError, match="agreed in EUR.*keeps its books in USD and has multicurrency off"):
        push_sale_as_invoice(sale=sale, user=sales_user)
    assert books.customers_named("Helix Pumps") == []
    assert books.sandbox.calls(books.realm_id).get("create", 0) == 0


# -- the page and who may push -------------------------------------------------------------------


def push_url(sale) -> str:
    return reverse("sales:push_to_quickbooks", args=[sale.pk])


def test_salesperson_pushes_own_sale_from_the_sale_page(books, entity, sales_user):
    sale = closed_sale(entity, sales_user)
    browser = BrowserClient()
    browser.force_login(sales_user)
    page = browser.get(reverse("sales:detail", args=[sale.pk])).content.decode()
    assert "Push as QB invoice" in page and push_url(sale) in page

    response = browser.post(push_url(sale), follow=True)

    sale.refresh_from_db()
    html = response.content.decode()
    assert f"pushed to QuickBooks as invoice {sale.qb_invoice_number}" in " ".join(qbo.page_messages(response))
    number = html.split('<dd class="qb-invoice-number">', 1)[1].split("</dd>", 1)[0]
    assert f">{sale.qb_invoice_number}</a>" in number and "/app/invoice?txnId=" in number  # linked into QuickBooks
    assert f"by {sales_user.username}" in html
    assert "Push as QB invoice" not in html


def test_finance_user_may_push_anyones_sale(books, entity, sales_user, finance_user):
    sale = closed_sale(entity, sales_user)
    browser = BrowserClient()
    browser.force_login(finance_user)
    browser.post(push_url(sale))
    sale.refresh_from_db()
    assert sale.qb_invoice_id and sale.qb_pushed_by == finance_user


def test_push_needs_post(books, entity, sales_user):
    browser = BrowserClient()
    browser.force_login(sales_user)
    assert browser.get(push_url(closed_sale(entity, sales_user))).status_code == 405


def test_open_sale_page_offers_no_push(books, entity, sales_user):
    sale = closed_sale(entity, sales_user, status=SaleStatus.OPEN)
    browser = BrowserClient()
    browser.force_login(sales_user)
    assert "Push as QB invoice" not in browser.get(reverse("sales:detail", args=[sale.pk])).content.decode()


def _refused_without_a_call(books, user, sale, expected_status: int, message: str = ""):
    calls_before = books.sandbox.calls(books.realm_id)
    browser = BrowserClient()
    browser.force_login(user)
    response = browser.post(push_url(sale), follow=expected_status == 200)
    assert response.status_code == expected_status
    if message:
        assert any(message in m for m in qbo.page_messages(response)), qbo.page_messages(response)
    assert books.sandbox.calls(books.realm_id) == calls_before
    sale.refresh_from_db()
    assert sale.qb_invoice_id == ""
    assert not SyncRun.objects.filter(direction="push").exists()


@pytest.mark.parametrize("status", [SaleStatus.DRAFT, SaleStatus.OPEN, SaleStatus.LOST])
def test_a_sale_that_is_not_closed_is_refused_without_a_call(books, entity, admin_user, sales_user, status):
    sale = closed_sale(entity, sales_user, status=status)
    _refused_without_a_call(books, admin_user, sale, 200, "Only closed sales can be pushed to QuickBooks")


def test_another_companys_sale_answers_404_without_a_call(books, admin_user, sales_user):
    other_company = make_company("Elsewhere Ltd")
    other_entity = make_entity(other_company, "Elsewhere")
    sale = closed_sale(other_entity, make_user(other_company, "sales"))
    _refused_without_a_call(books, admin_user, sale, 404)
    _refused_without_a_call(books, sales_user, sale, 404)


def test_a_salesperson_pushing_someone_elses_sale_gets_404_without_a_call(books, company, entity, sales_user):
    colleague = make_user(company, "sales")
    sale = closed_sale(entity, colleague)
    _refused_without_a_call(books, sales_user, sale, 404)


def test_an_entity_without_connection_is_refused_with_a_link_to_connect(books, company, sales_user):
    unconnected = make_entity(company, "SoftInWay India", "INR")
    sale = closed_sale(unconnected, sales_user)
    _refused_without_a_call(books, sales_user, sale, 200, "SoftInWay India is not connected to QuickBooks")
    browser = BrowserClient()
    browser.force_login(sales_user)
    page = browser.get(reverse("sales:detail", args=[sale.pk])).content.decode()
    assert 'href="/finance/qb"' in page and "Push as QB invoice" not in page


def test_a_connection_that_needs_reconnect_is_refused_without_a_call(books, entity, sales_user):
    QuickBooksConnection.objects.filter(entity=entity).update(status=ConnectionStatus.NEEDS_RECONNECT)
    sale = closed_sale(entity, sales_user)
    _refused_without_a_call(books, sales_user, sale, 200, "is not connected to QuickBooks")
