"""Pushing into every entity's books, against the local sandbox over HTTP: the push settings page,
tax codes (US TAX/NON, India's GST, Switzerland's MWST), the sale's currency, customers by Id (link,
rename, relink, a name in another currency), and the invoice's status back on the sale after a sync."""

from datetime import date
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.test import Client as BrowserClient
from django.urls import reverse

from finance.models import CustomerLink, PushSettings, QuickBooksConnection, SyncRun
from finance.quickbooks.client import quote
from finance.quickbooks.pull import sync_connection
from finance.quickbooks.push import PushError, push_sale_as_invoice
from sales.models import Client
from tests import qbo
from tests.builders import make_client, make_entity, make_sale
from tests.threads import run_together

pytestmark = pytest.mark.django_db


class Books:
    """A sandbox company: read through the control API, changed as a QuickBooks user would change it
    (the Accounting API over HTTP, with the connection's token)."""

    def __init__(self, local_quickbooks, connection: QuickBooksConnection):
        self.sandbox, self.connection = local_quickbooks.sandbox, connection
        self.realm_id = connection.realm_id

    def query(self, entity: str, where: str) -> list[dict]:
        text = f"SELECT * FROM {entity} WHERE {where} MAXRESULTS 1000"  # noqa: S608 - the sandbox's parser
        return self.sandbox.query_entities(self.realm_id, text).get(entity, [])

    def read(self, entity: str, entity_id: str) -> dict:
        return self.sandbox.read_entity(self.realm_id, entity, entity_id)

    def customers_named(self, name: str) -> list[dict]:
        return self.query("Customer", f"DisplayName = {quote(name)} AND Active IN (true, false)")

    def invoices_of(self, customer_id: str) -> list[dict]:
        return self.query("Invoice", f"CustomerRef = {quote(customer_id)}")

    def calls(self) -> dict:
        return self.sandbox.calls(self.realm_id)

    def insert(self, entity: str, body: dict) -> dict:
        return self.sandbox.insert_entity(self.realm_id, entity, body)

    def post(self, entity: str, body: dict, **params) -> dict:
        self.connection.refresh_from_db()
        response = requests.post(
            f"{settings.QBO_LOCAL_URL}/v3/company/{self.realm_id}/{entity.lower()}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self.connection.access_token}", "Accept": "application/json"},
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def rename_customer(self, customer_id: str, name: str) -> None:
        customer = self.read("Customer", customer_id)
        self.post(
            "Customer", {"Id": customer_id, "SyncToken": customer["SyncToken"], "sparse": True, "DisplayName": name}
        )

    def void_invoice(self, invoice_id: str) -> None:
        invoice = self.read("Invoice", invoice_id)
        self.post("Invoice", {"Id": invoice_id, "SyncToken": invoice["SyncToken"]}, operation="void")

    def delete_invoice(self, invoice_id: str) -> None:
        invoice = self.read("Invoice", invoice_id)
        self.post("Invoice", {"Id": invoice_id, "SyncToken": invoice["SyncToken"]}, operation="delete")

    def pay(self, invoice: dict, amount: str, day: str) -> None:
        line = {"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
        body = {"CustomerRef": invoice["CustomerRef"], "TxnDate": day, "TotalAmt": amount, "Line": [line]}
        if invoice.get("CurrencyRef"):
            body["CurrencyRef"] = {"value": invoice["CurrencyRef"]["value"]}
        self.insert("Payment", body)


@pytest.fixture
def admin(admin_user):
    browser = BrowserClient()
    browser.force_login(admin_user)
    return browser


@pytest.fixture
def books_of(admin, local_quickbooks):
    """Connect `entity` to a new sandbox company of its currency through the product's OAuth flow."""

    def _connect(entity, **realm) -> Books:
        realm.setdefault("currency", entity.home_currency)
        realm_id = local_quickbooks.realm(name=f"{entity.name} books", **realm)
        qbo.connect(admin, entity, realm_id)
        return Books(local_quickbooks, QuickBooksConnection.objects.get(entity=entity, status="connected"))

    return _connect


@pytest.fixture
def swiss(company):
    return make_entity(company, "SoftInWay Switzerland", "CHF", "Europe/Zurich")


@pytest.fixture
def india(company):
    return make_entity(company, "SoftInWay India", "INR", "Asia/Kolkata")


def choose(admin, entity, *, item: str = "Services", tax_code: str = "", include_tax: bool = False, taxable=False):
    """An admin opens the push settings page (the lists come from QuickBooks) and saves a choice."""
    url = reverse("finance:qb_push_settings", args=[entity.pk])
    page = admin.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {"item": next(value for value, label in form.fields["item"].choices if label == item)}
    if tax_code:
        data["tax_code"] = next(v for v, label in form.fields["tax_code"].choices if label.startswith(tax_code))
        data["amounts_include_tax"] = "1" if include_tax else "0"
    else:
        data["us_taxable"] = "1" if taxable else "0"
    saved = admin.post(url, data)
    assert saved.status_code == 302, saved.content.decode()


def closed_sale(entity, salesperson, client_name="Helix Pumps", **fields):
    client = Client.objects.filter(company=entity.company, name=client_name).first()
    fields.setdefault("name", "Turbine audit")
    fields.setdefault("signed_date", date(2026, 3, 14))
    fields.setdefault("currency", entity.home_currency)
    fields.setdefault("amount", Decimal("1000.00"))
    fields.setdefault("amount_usd", Decimal("1100.00") if fields["currency"] != "USD" else fields["amount"])
    return make_sale(entity, salesperson, client=client or make_client(entity.company, client_name), **fields)


def sales_line(invoice: dict) -> dict:
    [line] = [line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    return line


def sale_page(user, sale) -> str:
    browser = BrowserClient()
    browser.force_login(user)
    return browser.get(reverse("sales:detail", args=[sale.pk])).content.decode()


# -- the push settings page -----------------------------------------------------------------------


def test_the_settings_page_lists_the_companys_items_and_tax_codes_with_their_rates(admin, books_of, swiss):
    books = books_of(swiss)
    before = books.calls()["total"]
    page = admin.get(reverse("finance:qb_push_settings", args=[swiss.pk]))
    assert books.calls()["total"] - before == 1  # one batch call
    form = page.context["form"]
    assert ("1", "Services") in form.fields["item"].choices
    labels = [label for _, label in form.fields["tax_code"].choices]
    assert labels == ["Choose…", "MWST 8.1% (8.1%)", "0% export (0%)", "exempt (0%)"]
    assert "us_taxable" not in form.fields
    assert PushSettings.objects.get(connection=books.connection).country == "CH"


def test_a_us_company_offers_taxable_or_not_and_no_tax_code(admin, books_of, entity):
    books_of(entity)
    form = admin.get(reverse("finance:qb_push_settings", args=[entity.pk])).context["form"]
    assert "tax_code" not in form.fields and "us_taxable" in form.fields


def test_the_settings_pages_are_for_admins_only(books_of, swiss, finance_user, sales_user):
    books_of(swiss)
    for user in (finance_user, sales_user):
        browser = BrowserClient()
        browser.force_login(user)
        assert browser.get(reverse("finance:qb_push_settings", args=[swiss.pk])).status_code == 403
        assert browser.get(reverse("finance:qb_customer_links", args=[swiss.pk])).status_code == 403


# -- tax -------------------------------------------------------------------------------------------


def test_a_swiss_push_is_refused_before_any_call_until_a_tax_code_is_chosen(
    admin, books_of, swiss, sales_user, admin_user
):
    books = books_of(swiss)
    sale = closed_sale(swiss, sales_user)
    before = books.calls()

    with pytest.raises(PushError, match="Ask an admin to choose the tax code for SoftInWay Switzerland"):
        push_sale_as_invoice(sale=sale, user=sales_user)

    assert books.calls() == before
    assert not SyncRun.objects.filter(direction="push").exists()
    settings_url = reverse("finance:qb_push_settings", args=[swiss.pk])
    seller_page = sale_page(sales_user, sale)
    assert "ask an admin to choose the tax code for SoftInWay Switzerland".lower() in seller_page.lower()
    assert "Push as QB invoice" not in seller_page and settings_url not in seller_page
    assert settings_url in sale_page(admin_user, sale)


def test_an_indian_invoice_carries_the_gst_code_on_its_line_and_its_total_includes_tax(
    admin, books_of, india, sales_user
):
    books = books_of(india)
    choose(admin, india, tax_code="18% GST")
    sale = closed_sale(india, sales_user, amount=Decimal("100000.00"), amount_usd=Decimal("1200.00"))

    result = push_sale_as_invoice(sale=sale, user=sales_user)

    invoice = books.read("Invoice", result.invoice_id)
    line = sales_line(invoice)
    assert line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "1"
    assert line["Amount"] == Decimal("100000.00")
    assert invoice["GlobalTaxCalculation"] == "TaxExcluded"
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("18000.00")
    assert invoice["TotalAmt"] == Decimal("118000.00") and invoice["CurrencyRef"]["value"] == "INR"
    sale.refresh_from_db()
    assert (sale.qb_currency, sale.qb_total, sale.qb_balance) == ("INR", Decimal("118000.00"), Decimal("118000.00"))
    assert "Open · INR 118,000.00 due" in sale_page(sales_user, sale)


def test_a_chf_sale_into_the_swiss_company_without_multicurrency_includes_vat_in_its_amount(
    admin, books_of, swiss, sales_user
):
    books = books_of(swiss, multicurrency=False)
    choose(admin, swiss, tax_code="MWST 8.1%", include_tax=True)
    sale = closed_sale(swiss, sales_user, amount=Decimal("1081.00"))

    result = push_sale_as_invoice(sale=sale, user=sales_user)

    invoice = books.read("Invoice", result.invoice_id)
    assert invoice["CurrencyRef"]["value"] == "CHF" and "ExchangeRate" not in invoice
    assert invoice["GlobalTaxCalculation"] == "TaxInclusive"
    assert sales_line(invoice)["Amount"] == Decimal("1000.00")
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"]) == (Decimal("81.00"), Decimal("1081.00"))
    [customer] = books.customers_named("Helix Pumps")
    assert customer["CurrencyRef"]["value"] == "CHF"


def test_a_us_invoice_line_is_taxable_or_not_as_chosen(admin, books_of, entity, sales_user):
    books = books_of(entity)
    first = push_sale_as_invoice(sale=closed_sale(entity, sales_user), user=sales_user)
    assert sales_line(books.read("Invoice", first.invoice_id))["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "NON"
    choose(admin, entity, taxable=True)
    second = push_sale_as_invoice(sale=closed_sale(entity, sales_user, "Other Pumps"), user=sales_user)
    assert sales_line(books.read("Invoice", second.invoice_id))["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"


def test_a_taxed_push_retried_after_a_timeout_yields_one_invoice(admin, books_of, swiss, sales_user, settings):
    books = books_of(swiss)
    choose(admin, swiss, tax_code="MWST 8.1%")
    settings.QBO_HTTP_TIMEOUT = 0.5
    settings.QBO_RETRY_BACKOFF = 1.0
    sale = closed_sale(swiss, sales_user)
    # Calls of a first push: item is known by Id, so customer query, customer create, invoice create.
    books.sandbox.inject_fault(books.realm_id, "hang", after=2, seconds=1.0)

    result = push_sale_as_invoice(sale=sale, user=sales_user)
    again = push_sale_as_invoice(sale=sale, user=sales_user)  # a double click after it

    assert (result.action, again.action, again.invoice_id) == ("created", "skipped", result.invoice_id)
    [invoice] = books.invoices_of(books.customers_named("Helix Pumps")[0]["Id"])
    assert invoice["Id"] == result.invoice_id and invoice["TotalAmt"] == Decimal("1081.00")


# -- currency --------------------------------------------------------------------------------------


def test_a_usd_sale_into_a_chf_company_without_multicurrency_is_refused_before_any_call(
    admin, books_of, swiss, sales_user
):
    books = books_of(swiss, multicurrency=False)
    choose(admin, swiss, tax_code="MWST 8.1%")
    sale = closed_sale(swiss, sales_user, currency="USD", amount=Decimal("500.00"), amount_usd=Decimal("500.00"))
    before = books.calls()
    with pytest.raises(PushError) as refused:
        push_sale_as_invoice(sale=sale, user=sales_user)
    message = str(refused.value)
    assert "was agreed in USD" in message and "keeps its books in CHF with multicurrency off" in message
    assert "turn multicurrency on in QuickBooks" in message
    assert books.calls() == before and not SyncRun.objects.filter(direction="push").exists()


def test_an_eur_sale_into_a_multicurrency_company_creates_the_eur_customer_then_reuses_it(
    admin, books_of, swiss, sales_user
):
    books = books_of(swiss, multicurrency=True)
    choose(admin, swiss, tax_code="0% export")
    first = closed_sale(swiss, sales_user, currency="EUR", amount=Decimal("2000.00"))
    second = closed_sale(swiss, sales_user, currency="EUR", amount=Decimal("300.00"), name="Follow-up")

    one = push_sale_as_invoice(sale=first, user=sales_user)
    two = push_sale_as_invoice(sale=second, user=sales_user)

    [customer] = books.customers_named("Helix Pumps")
    assert customer["CurrencyRef"]["value"] == "EUR"
    for result, total in ((one, "2000.00"), (two, "300.00")):
        invoice = books.read("Invoice", result.invoice_id)
        assert invoice["CustomerRef"]["value"] == customer["Id"]
        assert (invoice["CurrencyRef"]["value"], invoice["TotalAmt"]) == ("EUR", Decimal(total))
        assert invoice["ExchangeRate"] != Decimal("1")
    link = CustomerLink.objects.get(client=first.client)
    assert (link.currency, link.qb_customer_id) == ("EUR", customer["Id"])


def test_a_usd_sale_into_a_multicurrency_company_uses_an_existing_usd_customer(admin, books_of, swiss, sales_user):
    books = books_of(swiss, multicurrency=True)
    choose(admin, swiss, tax_code="0% export")
    existing = books.insert("Customer", {"DisplayName": "Helix Pumps", "CurrencyRef": {"value": "USD"}})
    sale = closed_sale(swiss, sales_user, currency="USD", amount=Decimal("1250.50"), amount_usd=Decimal("1250.50"))
    result = push_sale_as_invoice(sale=sale, user=sales_user)
    invoice = books.read("Invoice", result.invoice_id)
    assert invoice["CustomerRef"]["value"] == existing["Id"]
    assert (invoice["CurrencyRef"]["value"], invoice["TotalAmt"]) == ("USD", Decimal("1250.50"))


def test_a_name_held_by_a_customer_in_another_currency_gets_the_currency_appended(admin, books_of, swiss, sales_user):
    books = books_of(swiss, multicurrency=True)
    choose(admin, swiss, tax_code="0% export")
    chf = books.insert("Customer", {"DisplayName": "Acme Turbines"})
    sale = closed_sale(swiss, sales_user, "Acme Turbines", currency="EUR")

    result = push_sale_as_invoice(sale=sale, user=sales_user)

    [eur] = books.customers_named("Acme Turbines (EUR)")
    assert eur["CurrencyRef"]["value"] == "EUR"
    assert books.read("Invoice", result.invoice_id)["CustomerRef"]["value"] == eur["Id"] != chf["Id"]
    assert books.invoices_of(chf["Id"]) == []


# -- customers by Id -------------------------------------------------------------------------------


def test_a_customer_renamed_in_quickbooks_still_receives_the_next_invoice(admin, books_of, india, sales_user):
    books = books_of(india)
    choose(admin, india, tax_code="Exempt")
    first = closed_sale(india, sales_user)
    one = push_sale_as_invoice(sale=first, user=sales_user)
    customer_id = books.read("Invoice", one.invoice_id)["CustomerRef"]["value"]
    books.rename_customer(customer_id, "Helix Pumps Pvt Ltd")
    second = closed_sale(india, sales_user, name="Second audit")

    two = push_sale_as_invoice(sale=second, user=sales_user)

    assert books.read("Invoice", two.invoice_id)["CustomerRef"]["value"] == customer_id
    assert books.customers_named("Helix Pumps") == []  # no duplicate under the old name
    assert CustomerLink.objects.get(client=first.client).qb_customer_name == "Helix Pumps Pvt Ltd"


def test_an_admin_relinks_a_client_and_its_next_invoice_goes_to_that_customer(admin, books_of, india, sales_user):
    books = books_of(india)
    choose(admin, india, tax_code="Exempt")
    first = closed_sale(india, sales_user)
    one = push_sale_as_invoice(sale=first, user=sales_user)
    other = books.insert("Customer", {"DisplayName": "Helix Pumps (Pune)"})
    link = CustomerLink.objects.get(client=first.client)
    links_page = admin.get(reverse("finance:qb_customer_links", args=[india.pk])).content.decode()
    assert "Helix Pumps" in links_page and "INR" in links_page

    relinked = admin.post(
        reverse("finance:qb_customer_relink", args=[india.pk, link.pk]), {"name": "Helix Pumps (Pune)"}, follow=True
    )

    assert any("now gets its invoices in QuickBooks as “Helix Pumps (Pune)”" in m for m in qbo.page_messages(relinked))
    second = closed_sale(india, sales_user, name="Second audit")
    two = push_sale_as_invoice(sale=second, user=sales_user)
    assert books.read("Invoice", two.invoice_id)["CustomerRef"]["value"] == other["Id"]
    # The sale pushed before the relink is found again, never pushed twice.
    again = push_sale_as_invoice(sale=first, user=sales_user)
    assert (again.action, again.invoice_id) == ("skipped", one.invoice_id)
    type(first).objects.filter(pk=first.pk).update(qb_invoice_id="")
    by_marker = push_sale_as_invoice(sale=first, user=sales_user)
    assert (by_marker.action, by_marker.invoice_id) == ("skipped", one.invoice_id)


def test_relinking_to_an_unknown_name_or_another_currency_says_why(admin, books_of, swiss, sales_user):
    books = books_of(swiss, multicurrency=True)
    choose(admin, swiss, tax_code="0% export")
    push_sale_as_invoice(sale=closed_sale(swiss, sales_user), user=sales_user)
    books.insert("Customer", {"DisplayName": "Dollar Pumps", "CurrencyRef": {"value": "USD"}})
    link = CustomerLink.objects.get()
    url = reverse("finance:qb_customer_relink", args=[swiss.pk, link.pk])
    unknown = qbo.page_messages(admin.post(url, {"name": "Nobody AG"}, follow=True))
    assert any("QuickBooks has no customer named “Nobody AG”" in m for m in unknown)
    wrong = qbo.page_messages(admin.post(url, {"name": "Dollar Pumps"}, follow=True))
    assert any("is kept in USD, and this link is for CHF invoices" in m for m in wrong)
    assert CustomerLink.objects.get().qb_customer_name == "Helix Pumps"


# -- the invoice's status on the sale ----------------------------------------------------------------


def sync(books: Books):
    run = sync_connection(connection=books.connection, trigger="manual", today=date(2026, 4, 30), tie_out=False)
    assert run.status == "success", run.error_message
    return run


def test_after_a_payment_and_a_sync_the_sale_shows_paid_on_its_date(admin, books_of, swiss, sales_user):
    books = books_of(swiss)
    choose(admin, swiss, tax_code="MWST 8.1%")
    sale = closed_sale(swiss, sales_user, amount=Decimal("1142.09"))
    invoice = books.read("Invoice", push_sale_as_invoice(sale=sale, user=sales_user).invoice_id)
    assert invoice["TotalAmt"] == Decimal("1234.60")  # 1,142.09 + 8.1% VAT (92.51)

    books.pay(invoice, "234.60", "2026-03-20")
    sync(books)
    sale.refresh_from_db()
    assert "Partly paid · CHF 1,000.00 due" in sale_page(sales_user, sale)

    books.pay(invoice, "1000.00", "2026-04-02")
    run = sync(books)
    sale.refresh_from_db()
    assert sale.qb_last_paid_on == date(2026, 4, 2) and sale.qb_balance == 0
    assert "Paid on 2 Apr 2026" in sale_page(sales_user, sale)
    assert run.counts["pushed_invoices"] == 1
    listing = BrowserClient()
    listing.force_login(sales_user)
    assert "Paid on 2 Apr 2026" in listing.get(reverse("sales:list")).content.decode()


def test_a_voided_or_deleted_invoice_is_named_as_such_after_a_sync(admin, books_of, entity, sales_user):
    books = books_of(entity)
    voided = closed_sale(entity, sales_user, "Void Co")
    deleted = closed_sale(entity, sales_user, "Gone Co")
    books.void_invoice(push_sale_as_invoice(sale=voided, user=sales_user).invoice_id)
    books.delete_invoice(push_sale_as_invoice(sale=deleted, user=sales_user).invoice_id)

    sync(books)

    assert "Voided in QuickBooks" in sale_page(sales_user, voided)
    assert "Deleted in QuickBooks" in sale_page(sales_user, deleted)


def test_invoices_outside_the_sync_window_are_read_in_one_batch_call(admin, books_of, entity, sales_user):
    """Paid invoices of last year: no query of the sync brings them (window, open balances)."""
    books = books_of(entity)
    old = [closed_sale(entity, sales_user, f"Old {n}", signed_date=date(2025, 6, n + 1)) for n in range(3)]
    for sale in old:
        invoice = books.read("Invoice", push_sale_as_invoice(sale=sale, user=sales_user).invoice_id)
        books.pay(invoice, f"{invoice['TotalAmt']:.2f}", "2025-07-01")

    with_old = sync(books)
    for sale in old:
        sale.refresh_from_db()
        assert sale.qb_state == "paid" and sale.qb_checked_at is not None
    type(old[0]).objects.filter(pk__in=[s.pk for s in old]).update(qb_invoice_id="")
    without = sync(books)

    assert with_old.qbo_calls - without.qbo_calls == 1  # one by-Id batch for the three
    assert with_old.counts["pushed_invoices"] == 3


# -- figures with taxed invoices -------------------------------------------------------------------


def test_with_taxed_invoices_open_ar_includes_tax_revenue_is_cash_applied_and_the_tie_out_matches(
    admin, books_of, swiss, sales_user
):
    from finance.models import MonthlySnapshot

    books = books_of(swiss)
    choose(admin, swiss, tax_code="MWST 8.1%")
    sale = closed_sale(swiss, sales_user, amount=Decimal("1000.00"))
    invoice = books.read("Invoice", push_sale_as_invoice(sale=sale, user=sales_user).invoice_id)
    books.pay(invoice, "500.00", "2026-04-10")

    run = sync_connection(connection=books.connection, trigger="manual", today=date(2026, 4, 30))

    april = MonthlySnapshot.objects.get(entity=swiss, month=date(2026, 4, 1))
    assert april.ar_balance == Decimal("581.00")  # 1,000.00 + 81.00 VAT - 500.00: what the customer owes
    assert april.revenue == Decimal("500.00")  # cash applied to invoices, its VAT share included
    assert run.tie_out["ar"]["status"] == "matches", run.tie_out


def test_after_a_switch_to_another_company_its_choices_and_links_start_afresh(
    admin, books_of, swiss, sales_user, local_quickbooks
):
    first = books_of(swiss)
    choose(admin, swiss, tax_code="MWST 8.1%")
    push_sale_as_invoice(sale=closed_sale(swiss, sales_user), user=sales_user)
    other = local_quickbooks.realm(name="SoftInWay Holding AG", currency="CHF")
    confirmed = admin.post(reverse("finance:qb_connect", args=[swiss.pk]), {"switch_to": other})
    qbo.callback(admin, qbo.consent(confirmed["Location"], other))
    connection = QuickBooksConnection.objects.get(entity=swiss)
    assert connection.realm_id == other != first.realm_id

    with pytest.raises(PushError, match="Ask an admin to choose the tax code for SoftInWay Switzerland"):
        push_sale_as_invoice(sale=closed_sale(swiss, sales_user, name="Next job"), user=sales_user)
    assert "Helix Pumps" not in admin.get(reverse("finance:qb_customer_links", args=[swiss.pk])).content.decode()

    choose(admin, swiss, tax_code="MWST 8.1%")
    result = push_sale_as_invoice(sale=closed_sale(swiss, sales_user, name="Next job"), user=sales_user)
    second = Books(local_quickbooks, connection)
    [customer] = second.customers_named("Helix Pumps")  # made in the new company, not taken by an old Id
    assert second.read("Invoice", result.invoice_id)["CustomerRef"]["value"] == customer["Id"]
    assert CustomerLink.objects.get(client__name="Helix Pumps").realm_id == other


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_of_a_swiss_eur_sale_and_of_another_sale_of_the_client_yield_one_customer(
    admin_user, local_quickbooks, company, sales_user
):
    """A double click (the same sale twice) and a second tab on another sale of the same new client,
    all at once: one invoice per sale, one EUR customer, one link."""

    from django.db import connection as db_connection

    if db_connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (CI runs this with DATABASE_URL)")
    swiss = make_entity(company, "SoftInWay Switzerland", "CHF", "Europe/Zurich")
    admin = BrowserClient()
    admin.force_login(admin_user)
    realm_id = local_quickbooks.realm(name="SoftInWay Switzerland AG", currency="CHF", multicurrency=True)
    qbo.connect(admin, swiss, realm_id)
    books = Books(local_quickbooks, QuickBooksConnection.objects.get(entity=swiss))
    choose(admin, swiss, tax_code="0% export")
    first = closed_sale(swiss, sales_user, currency="EUR")
    second = closed_sale(swiss, sales_user, currency="EUR", name="Second job")
    books.sandbox.inject_fault(books.realm_id, "hang", seconds=0.5)  # widen the race

    def push(sale):
        return push_sale_as_invoice(sale=type(sale).objects.get(pk=sale.pk), user=sales_user)

    results, errors = run_together(push, [(first,), (first,), (second,)])

    assert errors == []
    [customer] = books.customers_named("Helix Pumps")
    assert customer["CurrencyRef"]["value"] == "EUR"
    assert len(books.invoices_of(customer["Id"])) == 2
    assert len({r.invoice_id for r in results}) == 2
    assert CustomerLink.objects.get().qb_customer_id == customer["Id"]
