"""One contract test per gap python-quickbooks' integration suite found in the sandbox, each with the
shape it follows: a corpus file (path under `qbo-corpus/`) or Intuit's API reference where the corpus
has no such body. Also the standard lists by country and the generic update/delete/void."""

from __future__ import annotations

import pytest

from tests.qbsandbox.conftest import REDIRECT_URI, connect_app

TODAY = "2025-06-30"


@pytest.fixture(scope="module")
def us(sandbox):
    realm = sandbox.create_realm(name="Conformance US", size=60, seed=21, today=TODAY)
    return connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)


@pytest.fixture(scope="module")
def india(sandbox):
    realm = sandbox.create_realm(
        name="Conformance IN", currency="INR", multicurrency=True, size=60, seed=22, today=TODAY
    )
    return connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)


@pytest.fixture(scope="module")
def swiss(sandbox):
    realm = sandbox.create_realm(name="Conformance CH", currency="CHF", size=0, today=TODAY)
    return connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)


def rows(conn, text: str) -> list[dict]:
    response = conn.query(text)
    assert response.status_code == 200, response.text
    body = response.json()["QueryResponse"]
    return next((v for k, v in body.items() if k[0].isupper()), [])


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def first(conn, entity: str) -> dict:
    return rows(conn, f"SELECT * FROM {entity} MAXRESULTS 1")[0]  # noqa: S608 - QBO query text


def _invoice(conn, **extra) -> dict:
    customer = first(conn, "Customer")
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [
            {
                "Amount": 100,
                "Description": "description",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ],
        **extra,
    }
    return ok(conn.create("Invoice", body))["Invoice"]


# -- 1. a field list after the star ---------------------------------------------------------------------
def test_select_star_with_fields_is_accepted_as_star(us):
    """python-quickbooks' Item.all() sends `SELECT *, Sku FROM Item`; QuickBooks answers the page
    (qbo-corpus/query/item-page-100.json shape)."""
    items = rows(us, "SELECT *, Sku FROM Item MAXRESULTS 1")
    assert len(items) == 1 and items[0] == first(us, "Item")


# -- 2. TaxCode ---------------------------------------------------------------------------------------------
def test_us_tax_codes_hold_tax_and_non_and_ignore_maxresults(us):
    """Intuit's TaxCode reference: US companies carry the pseudo-codes TAX and NON next to their own
    codes (each with a SalesTaxRateList of TaxRateRef). QuickBooks answers every TaxCode row whatever
    MAXRESULTS says, the known bug python-quickbooks' tests/integration/test_taxcode.py quotes."""
    codes = rows(us, "SELECT * FROM TaxCode MAXRESULTS 1")
    assert [c["Id"] for c in codes] == ["TAX", "NON", "2", "3"]
    assert {"Name", "Active", "Taxable", "TaxGroup", "Id", "SyncToken", "MetaData"} <= set(codes[2])
    rate_ref = codes[2]["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]
    rate = ok(us.api("GET", f"taxrate/{rate_ref['value']}"))["TaxRate"]
    assert (rate["Name"], rate["RateValue"]) == (rate_ref["name"], 7.25)
    assert ok(us.api("GET", "taxcode/NON"))["TaxCode"]["Taxable"] is False


@pytest.mark.parametrize(
    ("which", "names"),
    [("india", ["18% GST", "0% IGST", "Exempt"]), ("swiss", ["MWST 8.1%", "0% export", "exempt"])],
)
def test_non_us_companies_hold_their_countrys_tax_codes(request, which, names):
    conn = request.getfixturevalue(which)
    codes = rows(conn, "SELECT * FROM TaxCode")
    assert [c["Name"] for c in codes] == names
    assert not rows(conn, "SELECT * FROM TaxCode WHERE Name = 'TAX'")
    found = rows(conn, f"SELECT * FROM TaxCode WHERE Name = '{names[0]}'")  # noqa: S608 - QBO query text
    assert found and ok(conn.api("GET", f"taxcode/{found[0]['Id']}"))["TaxCode"]["Name"] == names[0]
    assert rows(conn, "SELECT * FROM TaxRate")


def test_customers_carry_their_currency(india):
    """qbo-corpus/entity/customer-read.json: `CurrencyRef` {value, name} on every customer."""
    currencies = {c["CurrencyRef"]["value"] for c in rows(india, "SELECT * FROM Customer MAXRESULTS 100")}
    assert "INR" in currencies and len(currencies) > 1


# -- 3. updates and deletes ---------------------------------------------------------------------------------
def test_full_update_answers_the_entity_with_synctoken_plus_one(us):
    """qbo-corpus/entity/customer-update.request.json -> customer-update.response.json: a body with Id
    and SyncToken "0" answers 200 with the whole customer, SyncToken "1", a new LastUpdatedTime."""
    customer = ok(us.create("Customer", {"DisplayName": "Update Me"}))["Customer"]
    body = {**customer, "DisplayName": "Jack Moe", "PrimaryPhone": {"FreeFormNumber": "(415) 444-1234"}}
    updated = ok(us.create("Customer", body))["Customer"]
    assert (updated["Id"], updated["SyncToken"], updated["DisplayName"]) == (customer["Id"], "1", "Jack Moe")
    assert updated["PrimaryPhone"] == {"FreeFormNumber": "(415) 444-1234"}
    assert updated["MetaData"]["CreateTime"] == customer["MetaData"]["CreateTime"]
    assert ok(us.api("GET", f"customer/{customer['Id']}"))["Customer"] == updated


@pytest.mark.parametrize("entity", ["Employee", "CreditMemo"])
def test_full_update_of_employee_and_credit_memo(us, entity):
    if entity == "CreditMemo":
        memo = {k: v for k, v in _invoice(us).items() if k in ("CustomerRef", "Line")}
        ok(us.create("CreditMemo", memo))
    row = first(us, entity)
    change = {"FamilyName": "Updated"} if entity == "Employee" else {"PrivateNote": "Test"}
    updated = ok(us.create(entity, {**row, **change}))[entity]
    assert updated["SyncToken"] == str(int(row["SyncToken"]) + 1)
    assert all(updated[k] == v for k, v in change.items())


def test_sparse_update_changes_only_what_is_sent(us):
    """qbo-corpus/entity/invoice-update-sparse.request.json: `{"Id","SyncToken","sparse":true,
    "PrivateNote"}` answers the full invoice with the note and SyncToken + 1."""
    invoice = _invoice(us, CustomerMemo={"value": "Kept"})
    sparse = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True, "PrivateNote": "Note"}
    updated = ok(us.create("Invoice", sparse))["Invoice"]
    assert updated["PrivateNote"] == "Note" and updated["CustomerMemo"] == {"value": "Kept"}
    assert (updated["SyncToken"], updated["TotalAmt"], updated["DocNumber"]) == ("1", 100, invoice["DocNumber"])


def test_stale_synctoken_is_fault_5010(us):
    """qbo-corpus/faults/400-5010-stale-object-item.json."""
    invoice = _invoice(us)
    ok(us.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "a"}))
    stale = us.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "b"})
    assert stale.status_code == 400
    error = stale.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("5010", "Stale Object Error")


def test_delete_answers_the_stub_and_the_row_is_gone(us):
    """qbo-corpus/entity/invoice-delete.request.json -> invoice-delete.response.json."""
    invoice = _invoice(us)
    answer = ok(us.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"))
    assert answer["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
    assert us.api("GET", f"invoice/{invoice['Id']}").status_code == 400
    gone = us.query(f"SELECT * FROM Invoice WHERE Id = '{invoice['Id']}'")  # noqa: S608 - QBO query text
    assert gone.json()["QueryResponse"] == {}


def test_updating_a_paid_invoice_keeps_the_payment_and_balances(us):
    invoice = _invoice(us)
    customer = invoice["CustomerRef"]["value"]
    before = ok(us.api("GET", f"customer/{customer}"))["Customer"]["Balance"]
    line = {"Amount": 40, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
    payment = ok(us.create("Payment", {"CustomerRef": {"value": customer}, "TotalAmt": 40, "Line": [line]}))["Payment"]
    current = ok(us.api("GET", f"invoice/{invoice['Id']}"))["Invoice"]
    lines = [{**current["Line"][0], "Amount": 150}]
    updated = ok(us.create("Invoice", {**current, "Line": lines}))["Invoice"]
    assert (updated["TotalAmt"], updated["Balance"]) == (150, 110)
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in updated["LinkedTxn"]
    # The invoice added 100 before `before`; the payment took 40 off, the update adds 50.
    assert ok(us.api("GET", f"customer/{customer}"))["Customer"]["Balance"] == pytest.approx(before + 10)


def test_voiding_a_payment_reopens_what_it_paid(us):
    """python-quickbooks voids a Payment as `?operation=update&include=void` with `{Id, SyncToken,
    sparse: true}` (Intuit's Payment reference); the payment keeps its row at 0, "Voided" in its note."""
    invoice = _invoice(us)
    line = {"Amount": 100, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
    body = {"CustomerRef": invoice["CustomerRef"], "TotalAmt": 100, "Line": [line]}
    payment = ok(us.create("Payment", body))["Payment"]
    void = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}
    voided = ok(us.create("Payment", void, operation="update", include="void"))["Payment"]
    assert (voided["TotalAmt"], voided["PrivateNote"]) == (0, "Voided")
    reopened = ok(us.api("GET", f"invoice/{invoice['Id']}"))["Invoice"]
    assert reopened["Balance"] == 100 and reopened["LinkedTxn"] == []


def test_names_are_not_deleted(us):
    vendor = first(us, "Vendor")
    answer = us.create("Vendor", {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"]}, operation="delete")
    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "500"


# -- 4. fields kept as sent --------------------------------------------------------------------------------
def test_invoice_keeps_memo_and_online_payment_flags(us):
    """qbo-corpus/entity/invoice-update-sparse.response.json: CustomerMemo {value}, the Allow... flags as
    set, BillEmail; with include=invoiceLink Intuit's sandbox answers a developer.intuit.com link."""
    invoice = _invoice(
        us,
        CustomerMemo={"value": "Customer Memo"},
        AllowOnlineCreditCardPayment=True,
        AllowOnlineACHPayment=True,
        BillEmail={"Address": "test@email.com"},
    )
    read = ok(us.api("GET", f"invoice/{invoice['Id']}", params={"include": "invoiceLink"}))["Invoice"]
    assert read["CustomerMemo"] == {"value": "Customer Memo"}
    assert read["AllowOnlineCreditCardPayment"] is True and read["AllowOnlineACHPayment"] is True
    assert read["InvoiceLink"].startswith("https://developer.intuit.com/comingSoonview/scs-v1-")
    assert "InvoiceLink" not in ok(us.api("GET", f"invoice/{invoice['Id']}"))["Invoice"]


def test_bill_employee_and_vendor_keep_addresses_and_account_number(us):
    """Bill `VendorAddr` (python-quickbooks: "undocumented"), Employee `PrimaryAddr` (Intuit's Employee
    reference), Vendor `AcctNum` (qbo-corpus/entity/vendor-read.json carries the same vendor fields)."""
    address = {"Line1": "123 Main", "City": "City", "CountrySubDivisionCode": "CA", "PostalCode": "94030"}
    line = {"Amount": 200, "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "1"}}}  # fmt: skip
    bill = ok(us.create("Bill", {"VendorRef": {"value": first(us, "Vendor")["Id"]}, "Line": [line],
                                 "VendorAddr": address}))["Bill"]  # fmt: skip
    assert ok(us.api("GET", f"bill/{bill['Id']}"))["Bill"]["VendorAddr"] == address
    employee = ok(us.create("Employee", {"GivenName": "John", "FamilyName": "Addr", "PrimaryAddr": address}))
    assert employee["Employee"]["PrimaryAddr"] == address
    vendor = ok(us.create("Vendor", {"DisplayName": "Acct Vendor", "AcctNum": "301504"}))["Vendor"]
    assert ok(us.api("GET", f"vendor/{vendor['Id']}"))["Vendor"]["AcctNum"] == "301504"


# -- 5. chart of accounts and payment methods ---------------------------------------------------------------
def test_a_company_has_a_chart_of_accounts_and_payment_methods(us):
    """Intuit's Account reference: Name, Classification, AccountType, AccountSubType, CurrentBalance,
    CurrencyRef; the Ids are those the corpus' transactions refer to (AccountRef 33 "Accounts Payable
    (A/P)", 79 "Sales of Product Income" in qbo-corpus/entity/invoice-update-sparse.response.json)."""
    checking = rows(us, "SELECT * FROM Account WHERE AccountSubType = 'Checking'")
    assert [a["Name"] for a in checking] == ["Checking"] and checking[0]["AccountType"] == "Bank"
    income = rows(us, "SELECT * FROM Account WHERE AccountType = 'Income' and AccountSubType = 'SalesOfProductIncome'")
    assert income[0]["Id"] == "79"
    assert rows(us, "SELECT * FROM Account WHERE AccountSubType = 'AccountsPayable'")[0]["Id"] == "33"
    methods = rows(us, "SELECT * FROM PaymentMethod")
    assert methods[0]["Name"] == "Cash" and {"Name", "Type", "Active"} <= set(methods[0])
    customer = first(us, "Customer")
    body = {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 140,
            "PaymentMethodRef": {"value": methods[0]["Id"]}}  # fmt: skip
    payment = ok(us.create("Payment", body))["Payment"]
    assert ok(us.api("GET", f"payment/{payment['Id']}"))["Payment"]["PaymentMethodRef"]["value"] == "1"


# -- 6. currencies -------------------------------------------------------------------------------------------
def test_multicurrency_company_has_currency_rows_and_exchange_rates(us, india):
    """Intuit's CompanyCurrency reference: {Code, Name, Active} per currency switched on (the home currency
    has no row); Intuit's sandbox lists Canadian Dollar as CompanyCurrency 1. ExchangeRate reference:
    `GET exchangerate?sourcecurrencycode=USD&asofdate=...` -> SourceCurrencyCode, TargetCurrencyCode
    (home), Rate, AsOfDate."""
    currencies = rows(india, "SELECT * FROM CompanyCurrency")
    assert "INR" not in {c["Code"] for c in currencies} and "USD" in {c["Code"] for c in currencies}
    assert ok(india.api("GET", "companycurrency/1"))["CompanyCurrency"]["Name"] == "Canadian Dollar"
    rate = ok(india.api("GET", "exchangerate", params={"sourcecurrencycode": "USD", "asofdate": TODAY}))
    assert rate["ExchangeRate"]["TargetCurrencyCode"] == "INR" and rate["ExchangeRate"]["AsOfDate"] == TODAY
    assert rate["ExchangeRate"]["Rate"] == 83.25
    assert rows(india, "SELECT * FROM ExchangeRate WHERE SourceCurrencyCode = 'EUR'")[0]["Rate"] > 0
    assert rows(us, "SELECT * FROM CompanyCurrency") == []


# -- 7. preferences ------------------------------------------------------------------------------------------
def test_preferences_have_the_sample_companys_blocks_and_can_be_updated(us):
    """qbo-corpus/entity/preferences-read.json: EmailMessagesPrefs (InvoiceMessage, EstimateMessage...
    with Subject/Message), ProductAndServicesPrefs, OtherPrefs opening with
    SalesFormsPrefs.DefaultCustomerMessage; an update with the SyncToken read answers SyncToken + 1."""
    prefs = ok(us.api("GET", "preferences"))["Preferences"]
    assert {"Subject", "Message"} <= set(prefs["EmailMessagesPrefs"]["EstimateMessage"])
    assert prefs["ProductAndServicesPrefs"]["ForPurchase"] is True
    assert prefs["OtherPrefs"]["NameValue"][0]["Name"] == "SalesFormsPrefs.DefaultCustomerMessage"
    prefs["EmailMessagesPrefs"]["EstimateMessage"]["Subject"] = "New subject"
    updated = ok(us.api("POST", "preferences", json=prefs))["Preferences"]
    assert updated["SyncToken"] == str(int(prefs["SyncToken"]) + 1)
    assert ok(us.api("GET", "preferences"))["Preferences"]["EmailMessagesPrefs"]["EstimateMessage"]["Subject"] == (
        "New subject"
    )
    stale = us.api("POST", "preferences", json=prefs)
    assert stale.status_code == 400 and stale.json()["Fault"]["Error"][0]["code"] == "5010"


# -- control API used by the product's tests -----------------------------------------------------------------
def test_control_api_queries_reads_and_seeds(sandbox, us):
    page = sandbox.query_entities(us.realm_id, "SELECT * FROM Invoice MAXRESULTS 2")
    assert len(page["Invoice"]) == 2
    invoice = sandbox.read_entity(us.realm_id, "Invoice", page["Invoice"][0]["Id"])
    assert invoice == page["Invoice"][0]
    realms = sandbox.seed_demo_realms(today=TODAY)
    assert [r["realm_id"] for r in realms] == ["9341450000000101", "9341450000000102", "9341450000000103"]
