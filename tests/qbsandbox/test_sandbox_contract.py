"""Contract tests: for each kind of payload in the QBO corpus, make the same kind of request to the
sandbox and compare the shape (keys at each level, JSON types, status, content type).

Keys the sandbox deliberately does not produce are listed in NOT_PRODUCED (and in the README); keys
it produces must appear somewhere in the corpus. The corpus lives outside the repository
(`QBO_CORPUS`, default ../shared/qbo-corpus beside the repository); without it the run fails.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from tests.corpus import CORPUS
from tests.qbsandbox.conftest import TIMEOUT, connect_app

# Keys QBO sends that the sandbox does not produce (sales tax, addresses, terms, e-mail delivery,
# custom fields, JAXB debris, audit refs), or produces only when the request carries them.
NOT_PRODUCED = {
    "BillAddr",
    "ShipAddr",
    "ShipFromAddr",
    "VendorAddr",
    "SalesTermRef",
    "CustomerMemo",
    "BillEmail",
    "FreeFormAddress",
    "TxnTaxCodeRef",
    "TaxLine",
    "ItemAccountRef",
    "CustomExtensions",
    "DeliveryInfo",
    "TaxExemptionRef",
    "TaxClassificationRef",
    "LastModifiedByRef",
    "DefaultTaxCodeRef",
    "V4IDPseudonym",
    "ClientEntityId",
    "LineEx",
    "PaymentMethodRef",
    "PaymentRefNum",
    "ItemBasedExpenseLineDetail",
    "Description",
    "UnitPrice",
    "Qty",
    "PrivateNote",
    "GivenName",
    "FamilyName",
    "CompanyName",
    "PrimaryPhone",
    "PrimaryEmailAddr",
    "BillRate",
    "CostRate",
    "Notes",
    "DefinitionId",
    "StringValue",
    "Type",
    "Name",
    "CreditCardPayment",
    "ExpenseAccountRef",
    "AssetAccountRef",
    "QtyOnHand",
    "InvStartDate",
    "SubItem",
    "Level",
    "ParentRef",
    "Sku",
    "PurchaseDesc",
    "SalesTaxIncluded",
    "PurchaseTaxIncluded",
    "DeferredRevenue",
    "ReverseChargeRate",
    "ServiceType",
    "Taxable",
    "LinkedTxn",
    "Id",
    "LineNum",
    "DocNumber",
    "EmailMessagesPrefs",
    "CustomField",
    "POCustomField",
    "DefaultDiscountAccount",
    "ETransactionEnabledStatus",
    "ETransactionAttachPDF",
    "ETransactionPaymentEnabled",
    "IPNSupportEnabled",
    "DefaultCustomerMessage",
    "TaxGroupCodeRef",
    "IndustryType",
    "IndustryCode",
    "Mobile",
    "WebAddr",
    "Email",
    "Title",
    "MiddleName",
    "Suffix",
    "Fax",
    "AlternatePhone",
    "Balance",
    "BalanceWithJobs",
    "HomeBalance",
    "HomeTotalAmt",
    "ExchangeRate",
    "totalCount",
    "APAccountRef",
    "DueDate",
    "Vendor1099",
    "TrackQtyOnHand",
    "AcctNum",
    "CustomerRef",
    "Deposit",
    "InvoiceLink",
}
# Keys that hold data rather than shape: their values vary in type across QBO's own samples.
LOOSE = {"value", "Value", "Lat", "Long"}
# TaxYearMonth: AccountingInfoPrefs of Intuit's Preferences reference (python-quickbooks' suite reads it).
# GlobalTaxCalculation, TaxInclusiveAmt: Intuit's Invoice reference (non-US companies' tax model);
# no recorded body carries them.
SANDBOX_EXTRAS = {"BillableTime", "IsProject", "TaxYearMonth", "GlobalTaxCalculation", "TaxInclusiveAmt"}


def _corpus_keys() -> set[str]:
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in CORPUS.glob("*/*.json"):
        if path.name != "index.json":
            walk(json.loads(path.read_text()))
    return keys


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def schema(value: Any) -> Any:
    """The shape of a sample: objects merge their list siblings; a key is required if all have it."""
    if isinstance(value, dict):
        return ("object", {k: (schema(v), True) for k, v in value.items()})
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = schema(item) if merged is None else _merge(merged, schema(item))
        return ("array", merged)
    return (kind(value), None)


def _merge(a: Any, b: Any) -> Any:
    if a[0] != "object" or b[0] != "object":
        return a
    keys = set(a[1]) | set(b[1])
    merged = {}
    for key in keys:
        left, right = a[1].get(key), b[1].get(key)
        if left and right:
            merged[key] = (_merge(left[0], right[0]), left[1] and right[1])
        else:
            merged[key] = ((left or right)[0], False)
    return ("object", merged)


def shape_problems(actual: Any, expected: Any, path: str = "$") -> list[str]:
    """Differences between a sandbox value and a corpus schema (see module docstring)."""
    if expected is None:
        return []
    want = expected[0]
    if kind(actual) != want and path.rsplit(".", 1)[-1] not in LOOSE:
        return [f"{path}: {kind(actual)} instead of {want}"]
    if want == "array":
        return [
            p for i, item in enumerate(actual[:5]) for p in shape_problems(item, expected[1], f"{path}[{i}]")
        ]
    if want != "object":
        return []
    problems = []
    for key, (sub, required) in expected[1].items():
        if key in actual:
            problems += shape_problems(actual[key], sub, f"{path}.{key}")
        elif required and key not in NOT_PRODUCED:
            problems.append(f"{path}.{key}: missing")
    unknown = [k for k in actual if k not in expected[1] and k not in CORPUS_KEYS and k not in SANDBOX_EXTRAS]
    return problems + [f"{path}.{k}: not a QBO key" for k in unknown]


CORPUS_KEYS = _corpus_keys() if CORPUS.is_dir() else set()


def corpus(folder: str, name: str) -> Any:
    return json.loads((CORPUS / folder / name).read_text())


def index(folder: str) -> list[dict[str, Any]]:
    return corpus(folder, "index.json")


def assert_same_shape(actual: Any, expected_sample: Any) -> None:
    problems = shape_problems(actual, schema(expected_sample))
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def usd(sandbox):
    return _connected(
        sandbox, sandbox.create_realm(name="Contract USD", size=200, seed=11, today="2025-06-30")
    )


@pytest.fixture(scope="module")
def inr(sandbox):
    return _connected(
        sandbox,
        sandbox.create_realm(
            name="Contract INR", currency="INR", multicurrency=True, size=120, seed=12, today="2025-06-30"
        ),
    )


def _connected(sandbox, realm):
    from tests.qbsandbox.conftest import REDIRECT_URI

    app = sandbox.register_app(redirect_uris=[REDIRECT_URI])
    conn = connect_app(sandbox.url, app, realm)
    for entity, name in (("Customer", "Amy's Bird Sanctuary"), ("Vendor", "Robertson & Associates")):
        assert conn.create(entity, {"DisplayName": name}).status_code == 200
    return conn


QUERY_FILES = [e for e in index("query")] if CORPUS.is_dir() else []
NOT_STORED = {"SalesReceipt"}  # the sandbox keeps no sales receipts: those queries answer {}


@pytest.mark.parametrize("entry", QUERY_FILES, ids=lambda e: e["file"])
def test_query_payloads_have_the_corpus_shape(usd, entry):
    expected = corpus("query", entry["file"])
    text = entry["path"].split("query=", 1)[1] if "query=" in entry["path"] else "SELECT * FROM Payment"
    response = usd.query(text)
    if response.status_code == 200 and response.json()["QueryResponse"] == {} and expected["QueryResponse"]:
        # The corpus company is bigger than ours: compare the first page instead of one past our end.
        response = usd.query(re.sub(r"STARTPOSITION \d+", "STARTPOSITION 1", text))
    assert response.status_code == entry["status"]
    body = response.json()
    if entry["status"] != 200:
        assert response.headers["Content-Type"] == "application/json"
        assert_same_shape(body, expected)
        return
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    entity = next((k for k in expected["QueryResponse"] if k[0].isupper()), None)
    if entity in NOT_STORED:
        assert body["QueryResponse"] == {}
        return
    assert set(body["QueryResponse"]) == set(expected["QueryResponse"]) - {"totalCount"} or (
        "totalCount" in expected["QueryResponse"] and set(body["QueryResponse"]) == {"totalCount"}
    )
    assert_same_shape(body, expected)


def _first(conn, entity: str) -> dict[str, Any]:
    return conn.query(f"SELECT * FROM {entity} MAXRESULTS 1").json()["QueryResponse"][entity][0]  # noqa: S608 - QBO query text


READS = {
    "customer": "Customer",
    "invoice": "Invoice",
    "bill": "Bill",
    "vendor": "Vendor",
    "item": "Item",
    "payment": "Payment",
}


@pytest.mark.parametrize(
    "entry",
    [e for e in index("entity") if e["method"] == "GET"] if CORPUS.is_dir() else [],
    ids=lambda e: e["file"],
)
def test_reads_have_the_corpus_shape(usd, inr, entry):
    segment = entry["path"].split("/")[4]
    expected = corpus("entity", entry["file"])
    if segment == "companyinfo":
        response = usd.api("GET", f"companyinfo/{usd.realm_id}")
    elif segment == "preferences":
        response = usd.api("GET", "preferences")
    else:
        entity = READS[segment]
        conn = inr if "home" in entry["file"] else usd
        response = conn.api("GET", f"{segment}/{_first(conn, entity)['Id']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert_same_shape(response.json(), expected)


CREATES = [
    "customer-create",
    "customer-create-2",
    "vendor-create",
    "item-create-2",
    "invoice-create",
    "invoice-create-2",
    "bill-create",
    "payment-create",
]


def _remap(conn, body: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(body)
    refs = {
        "CustomerRef": _first(conn, "Customer")["Id"],
        "VendorRef": _first(conn, "Vendor")["Id"],
        "ItemRef": "1",
    }
    for key, value in refs.items():
        text = re.sub(rf'("{key}": \{{"value": )"[^"]*"', rf'\g<1>"{value}"', text)
    out = json.loads(text)
    if "DisplayName" in out or "Name" in out:
        key = "DisplayName" if "DisplayName" in out else "Name"
        out[key] = f"{out[key]} (contract)"
    return out


@pytest.mark.parametrize("stem", CREATES if CORPUS.is_dir() else [])
def test_creates_answer_the_corpus_shape(usd, stem):
    request = _remap(usd, corpus("entity", f"{stem}.request.json"))
    entity = stem.split("-")[0]
    response = usd.api("POST", entity, json=request, params={"minorversion": "75"})
    assert response.status_code == 200, response.text
    assert_same_shape(response.json(), corpus("entity", f"{stem}.response.json"))


def _taxed(body: dict[str, Any], code: str = "3") -> dict[str, Any]:
    """A non-US company refuses a sales line without one of its tax codes (6000): the lines get one
    (India's 3 is "Exempt")."""
    for line in body.get("Line", []):
        if line.get("DetailType") == "SalesItemLineDetail":
            line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": code}
    return body


def test_home_amount_invoice_create_has_the_corpus_shape(inr):
    response = inr.api("POST", "invoice", json=_taxed(_remap(inr, corpus("entity", "invoice-create.request.json"))))
    body = response.json()
    assert {"ExchangeRate", "HomeTotalAmt", "HomeBalance"} <= set(body["Invoice"])
    assert_same_shape(body, corpus("entity", "invoice-create-home-amounts.response.json"))


def test_voided_invoice_has_the_corpus_shape(usd):
    created = usd.api(
        "POST", "invoice", json=_remap(usd, corpus("entity", "invoice-create.request.json"))
    ).json()
    void = corpus("entity", "invoice-void.request.json")
    void.update(Id=created["Invoice"]["Id"], SyncToken=created["Invoice"]["SyncToken"])
    response = usd.api("POST", "invoice", json=void, params={"operation": "void"})
    body = response.json()
    assert_same_shape(body, corpus("entity", "invoice-voided.json"))
    assert body["Invoice"]["PrivateNote"] == "Voided" and body["Invoice"]["TotalAmt"] == 0


def test_batch_response_has_the_corpus_shape(usd):
    request = corpus("batch", "mixed-ops-with-faults.request.json")
    request["BatchItemRequest"][0]["Vendor"]["DisplayName"] = "Boraski Family Store (contract)"
    response = usd.api("POST", "batch", json=request)
    assert response.status_code == 200
    answers = response.json()
    assert [list(a)[0] for a in answers["BatchItemResponse"]] == ["Vendor", "Fault", "Fault", "QueryResponse"]
    faults = [a for a in answers["BatchItemResponse"] if "Fault" in a]
    expected = corpus("batch", "mixed-ops-with-faults.response.json")
    assert_same_shape(
        {"BatchItemResponse": answers["BatchItemResponse"][:1] + faults, "time": answers["time"]},
        {"BatchItemResponse": expected["BatchItemResponse"][:3], "time": expected["time"]},
    )


FAULT_CALLS = {
    "400-4001-invalid-query-context.json": ("GET", "query", {"query": "SELECT * FROM Custmoer"}),
    "400-4000-query-parser-error.json": ("GET", "query", {"query": "SELECT * FROM NULL"}),
    "400-610-object-not-found.json": ("GET", "item/999999", {}),
    "400-2030-invalid-id.json": ("GET", "invoice/1.5", {}),
    "400-500-unsupported-operation.json": ("GET", "customer/1/5", {}),
}


@pytest.mark.parametrize("name", list(FAULT_CALLS))
def test_validation_faults_have_the_corpus_shape(usd, name):
    method, path, params = FAULT_CALLS[name]
    response = usd.api(method, path, params=params)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/json"
    expected = corpus("faults", name)
    assert_same_shape(response.json(), expected)
    assert response.json()["Fault"]["Error"][0]["code"] == expected["Fault"]["Error"][0]["code"]


@pytest.mark.parametrize(
    "name, element",
    [("400-6240-duplicate-name.json", None), ("400-2020-required-param-missing-item-name.json", "Name")],
)
def test_create_faults_have_the_corpus_shape(usd, name, element):
    if element:
        response = usd.api("POST", "item", json={"Type": "Service"})
    else:
        response = usd.api("POST", "customer", json={"DisplayName": "Amy's Bird Sanctuary"})
    expected = corpus("faults", name)
    assert response.status_code == 400
    assert_same_shape(response.json(), expected)
    assert response.json()["Fault"]["Error"][0]["code"] == expected["Fault"]["Error"][0]["code"]


def test_expired_and_malformed_tokens_have_the_corpus_shape(sandbox, usd):
    malformed = requests.get(
        f"{sandbox.url}/v3/company/{usd.realm_id}/companyinfo/{usd.realm_id}",
        headers={"Authorization": "Bearer x", "Accept": "application/json"},
        timeout=TIMEOUT,
    )
    assert malformed.status_code == 401
    assert_same_shape(malformed.json(), corpus("faults", "401-3200-malformed-bearer-token.json"))
    assert malformed.json()["fault"]["error"][0]["detail"] == "Malformed bearer token: too short or too long"
    assert_same_shape(malformed.json(), corpus("faults", "401-authentication-token-expired.json"))


def test_forbidden_and_error_faults_have_the_corpus_shape(sandbox, usd):
    other = sandbox.create_realm(name="Contract Other")
    forbidden = requests.get(
        f"{sandbox.url}/v3/company/{other}/companyinfo/{other}",
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {usd.access_token}", "Accept": "application/json"},
    )
    assert forbidden.status_code == 403
    assert forbidden.json() | {"time": 0} == corpus("faults", "403-3100-authorization-failed.json") | {
        "time": 0
    }
    sandbox.inject_fault(usd.realm_id, "error")
    failed = usd.api("GET", f"companyinfo/{usd.realm_id}")
    assert failed.status_code == 500
    assert failed.json() | {"time": 0} == corpus("faults", "500-3100-internal-server-error.json") | {
        "time": 0
    }


def test_throttle_body_is_the_corpus_xml(sandbox, usd):
    sandbox.inject_fault(usd.realm_id, "throttle")
    response = usd.query("SELECT COUNT(*) FROM Customer")
    assert response.status_code == 429 and response.headers["Content-Type"] == "application/xml"
    expected = (CORPUS / "faults" / "429-3001-throttle-exceeded.xml").read_text()
    without_time = re.compile(r'time="[^"]+"')
    assert without_time.sub("", response.text).strip() == without_time.sub("", expected).strip()


def test_not_queryable_property_in_xml_matches_the_corpus_elements(usd):
    response = usd.api(
        "GET",
        "query",
        params={"query": "SELECT * FROM Vendor WHERE PrimaryEmailAddr = 'a@b.c'"},
        headers={"Accept": "application/xml"},
    )
    expected = (CORPUS / "faults" / "400-4001-property-not-queryable.xml").read_text()
    assert response.status_code == 400
    tags = re.compile(r"<(\w+)")
    assert tags.findall(response.text.split("?>")[-1]) == tags.findall(expected)
    assert "QueryValidationError: property 'PrimaryEmailAddr' is not queryable" in response.text


def test_token_bodies_have_the_corpus_shape(sandbox, usd):
    from tests.qbsandbox.conftest import token_request

    app = {"client_id": usd.client_id, "client_secret": usd.client_secret}
    fresh = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=usd.refresh_token)
    expected = corpus("oauth", "token-authorization-code.json")
    assert set(fresh.json()) == set(expected) - {"id_token"}
    assert_same_shape(fresh.json(), {k: v for k, v in expected.items() if k != "id_token"})
    usd.refresh_token, usd.access_token = fresh.json()["refresh_token"], fresh.json()["access_token"]


def test_discovery_document_has_the_corpus_keys(sandbox):
    document = requests.get(f"{sandbox.url}/.well-known/openid_configuration", timeout=TIMEOUT).json()
    expected = corpus("oauth", "openid-sandbox-configuration.json")
    assert list(document) == list(expected)
    assert all(document[k].startswith(sandbox.url) for k in expected if k.endswith(("endpoint", "uri")))


# -- reports and credit memos ------------------------------------------------------------------------
AGING_SAMPLES = [
    ("AgedReceivables", "aged-receivables.intuit-docs.json"),
    ("AgedPayables", "aged-payables.intuit-docs.json"),
]
MONEY_CELL = re.compile(r"^(-?\d+\.\d{2})?$")


@pytest.mark.parametrize("name, sample", AGING_SAMPLES)
def test_aging_reports_have_the_corpus_shape(usd, name, sample):
    expected = corpus("reports", sample)
    params: dict[str, str] = {"minorversion": "75"}
    if "Customer" in expected["Header"]:  # Intuit's sample was asked for one customer
        whole = usd.api("GET", f"reports/{name}").json()
        params["customer"] = whole["Rows"]["Row"][0]["ColData"][0]["id"]
    response = usd.api("GET", f"reports/{name}", params=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert_same_shape(body, expected)
    assert list(body) == ["Header", "Columns", "Rows"]  # the recorded order (docs samples reorder)
    assert set(body["Header"]) == set(expected["Header"])
    assert [o["Name"] for o in body["Header"]["Option"]] == [o["Name"] for o in expected["Header"]["Option"]]
    assert body["Columns"] == expected["Columns"]
    *data, grand = body["Rows"]["Row"]
    *expected_data, expected_grand = expected["Rows"]["Row"]
    assert data and all(set(row) == set(expected_data[0]) for row in data)
    assert all(list(row["ColData"][0]) == ["id", "value"] and len(row["ColData"]) == 7 for row in data)
    assert set(grand) == set(expected_grand) and grand["group"] == "GrandTotal" and grand["type"] == "Section"
    cells = [c["value"] for row in data for c in row["ColData"][1:]]
    cells += [c["value"] for c in grand["Summary"]["ColData"][1:]]
    assert all(isinstance(v, str) and MONEY_CELL.match(v) for v in cells)
    assert "" not in [c["value"] for c in grand["Summary"]["ColData"]]  # totals say 0.00, rows leave blanks


def test_unknown_report_is_the_unsupported_operation_fault(usd):
    response = usd.api("GET", "reports/AgedReceivablez")
    expected = corpus("faults", "400-500-unsupported-operation.json")
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/json"
    assert_same_shape(response.json(), expected)
    error = response.json()["Fault"]["Error"][0]
    assert error["code"] == "500" and "/reports/AgedReceivablez" in error["Detail"]


# Intuit documents CreditMemo as an invoice without due date, online-payment flags and linked
# transactions, plus RemainingCredit; the corpus holds no credit memo body, so the invoice sample
# adapted that way is the contract.
INVOICE_ONLY = {
    "AllowIPNPayment",
    "AllowOnlinePayment",
    "AllowOnlineCreditCardPayment",
    "AllowOnlineACHPayment",
    "DueDate",
    "LinkedTxn",
}


def _credit_memo_sample(invoice_sample: str) -> dict[str, Any]:
    invoice = corpus("entity", invoice_sample)
    memo = {k: v for k, v in invoice["Invoice"].items() if k not in INVOICE_ONLY}
    memo["RemainingCredit"] = 0
    return {"CreditMemo": memo, "time": invoice["time"]}


def test_credit_memo_create_and_read_have_the_invoice_shape_as_documented(usd, inr):
    request = _remap(usd, corpus("entity", "invoice-create.request.json"))
    created = usd.api("POST", "creditmemo", json=request, params={"minorversion": "75"})
    assert created.status_code == 200, created.text
    assert_same_shape(created.json(), _credit_memo_sample("invoice-create.response.json"))
    assert not INVOICE_ONLY & set(created.json()["CreditMemo"])
    memo_id = created.json()["CreditMemo"]["Id"]
    read = usd.api("GET", f"creditmemo/{memo_id}")
    assert_same_shape(read.json(), _credit_memo_sample("invoice-create.response.json"))
    foreign = inr.api("POST", "creditmemo", json=_taxed(_remap(inr, corpus("entity", "invoice-create.request.json"))))
    assert {"ExchangeRate", "HomeTotalAmt", "HomeBalance"} <= set(foreign.json()["CreditMemo"])
    assert_same_shape(foreign.json(), _credit_memo_sample("invoice-create-home-amounts.response.json"))
