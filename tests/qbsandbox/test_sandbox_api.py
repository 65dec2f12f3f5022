"""Accounting API behaviour: queries, creates, QBO's validation faults, idempotency, batch, and
python-quickbooks driving the sandbox over HTTP."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from intuitlib.client import AuthClient

from qbsandbox.responses import loads
from tests.qbsandbox.conftest import REDIRECT_URI, connect_app


def _service_item(conn) -> str:
    rows = loads(conn.query("SELECT * FROM Item WHERE Name = 'Services'").content)["QueryResponse"]["Item"]
    return rows[0]["Id"]


def _customer(conn, name: str, **extra) -> dict:
    response = conn.create("Customer", {"DisplayName": name, **extra})
    assert response.status_code == 200, response.text
    return loads(response.content)["Customer"]


def _invoice_body(customer_id: str, item_id: str, amount: str = "100.00", tax_code: str = "", **extra) -> dict:
    detail = {"ItemRef": {"value": item_id}, **({"TaxCodeRef": {"value": tax_code}} if tax_code else {})}
    line = {"Amount": Decimal(amount), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    return {"CustomerRef": {"value": customer_id}, "Line": [line], **extra}


def _post_json(conn, entity: str, body: dict, **params):
    text = json.dumps(body, default=str)
    return conn.api(
        "POST",
        entity.lower(),
        data=text,
        params={"minorversion": "75", **params},
        headers={"Content-Type": "application/json"},
    )


def test_python_quickbooks_reads_queries_and_creates(sandbox, app, realm, insecure_transport):
    from quickbooks import QuickBooks
    from quickbooks.objects.base import Ref
    from quickbooks.objects.company_info import CompanyInfo
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice

    conn = connect_app(sandbox.url, app, realm)
    auth = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        sandbox.url + "/.well-known/openid_configuration",
        access_token=conn.access_token,
    )
    qb = QuickBooks(auth_client=auth, refresh_token=conn.refresh_token, company_id=realm, minorversion=75)
    qb.api_url_v3 = sandbox.url + "/v3"

    assert CompanyInfo.get(realm, qb=qb).CompanyName == "Test Company"
    customer = Customer()
    customer.DisplayName = "Zoë's Café"
    customer.save(qb=qb)
    assert [c.Id for c in Customer.filter(DisplayName="Zoë's Café", qb=qb)] == [customer.Id]

    line = SalesItemLine()
    line.Amount = 250.5
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = _service_item(conn)
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    invoice.save(qb=qb)
    stored = Invoice.get(invoice.Id, qb=qb)
    assert stored.DocNumber and stored.Balance == 250.5
    assert stored.CustomerRef.name == "Zoë's Café"


def test_created_invoice_is_computed_like_qbo(conn):
    customer = _customer(conn, "Computed Co")
    response = _post_json(conn, "Invoice", _invoice_body(customer["Id"], _service_item(conn), "100.00"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert b'"TotalAmt":100.00' in response.content and b'"Balance":100.00' in response.content
    invoice = loads(response.content)["Invoice"]
    assert invoice["SyncToken"] == "0" and invoice["DocNumber"] == "1001"
    assert invoice["CustomerRef"] == {"value": customer["Id"], "name": "Computed Co"}
    assert invoice["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert "HomeTotalAmt" not in invoice  # single-currency company
    customer_after = loads(conn.api("GET", f"customer/{customer['Id']}").content)["Customer"]
    assert customer_after["Balance"] == Decimal("100.00")


def test_foreign_currency_invoice_carries_rate_and_home_amounts(sandbox, app):
    realm = sandbox.create_realm(name="Rupee Co", currency="INR", multicurrency=True)
    conn = connect_app(sandbox.url, app, realm)
    customer = _customer(conn, "Dollar Client", CurrencyRef={"value": "USD"})
    body = _invoice_body(customer["Id"], _service_item(conn), "1000.00", tax_code="3", ExchangeRate=Decimal("83.5"))
    invoice = loads(_post_json(conn, "Invoice", body).content)["Invoice"]
    assert invoice["CurrencyRef"]["value"] == "USD"
    assert (invoice["ExchangeRate"], invoice["HomeTotalAmt"], invoice["HomeBalance"]) == (
        Decimal("83.5"),
        Decimal("83500.00"),
        Decimal("83500.00"),
    )
    prefs = loads(conn.api("GET", "preferences").content)["Preferences"]["CurrencyPrefs"]
    assert prefs == {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "INR"}}


def test_foreign_currency_is_refused_without_multicurrency(conn):
    response = conn.create("Customer", {"DisplayName": "Euro Client", "CurrencyRef": {"value": "EUR"}})
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "6000"


def test_payment_lowers_invoice_balance_and_links_both_ways(conn):
    customer = _customer(conn, "Paying Co")
    item = _service_item(conn)
    first = loads(_post_json(conn, "Invoice", _invoice_body(customer["Id"], item, "300.00")).content)[
        "Invoice"
    ]
    second = loads(_post_json(conn, "Invoice", _invoice_body(customer["Id"], item, "200.00")).content)[
        "Invoice"
    ]
    lines = [
        {"Amount": "100.00", "LinkedTxn": [{"TxnId": first["Id"], "TxnType": "Invoice"}]},
        {"Amount": "200.00", "LinkedTxn": [{"TxnId": second["Id"], "TxnType": "Invoice"}]},
    ]
    payment = loads(
        _post_json(
            conn,
            "Payment",
            {
                "CustomerRef": {"value": customer["Id"]},
                "TotalAmt": "350.00",
                "TxnDate": "2025-03-01",
                "Line": lines,
            },
        ).content
    )["Payment"]
    assert payment["UnappliedAmt"] == Decimal("50.00")
    first_after = loads(conn.api("GET", f"invoice/{first['Id']}").content)["Invoice"]
    second_after = loads(conn.api("GET", f"invoice/{second['Id']}").content)["Invoice"]
    assert (first_after["Balance"], second_after["Balance"]) == (Decimal("200.00"), 0)
    assert first_after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert first_after["SyncToken"] == "1"
    open_ids = [
        r["Id"]
        for r in loads(
            conn.query(
                f"SELECT * FROM Invoice WHERE CustomerRef = '{customer['Id']}' AND Balance > '0'"  # noqa: S608 - QBO query text, not SQL
            ).content
        )["QueryResponse"]["Invoice"]
    ]
    assert open_ids == [first["Id"]]


def test_bill_payment_lowers_bill_balance(conn):
    vendor = loads(conn.create("Vendor", {"DisplayName": "Office Supplier"}).content)["Vendor"]
    bill = loads(
        _post_json(
            conn,
            "Bill",
            {
                "VendorRef": {"value": vendor["Id"]},
                "Line": [
                    {
                        "Amount": "80.00",
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "58"}},
                    }
                ],
            },
        ).content
    )["Bill"]
    paid = _post_json(
        conn,
        "BillPayment",
        {
            "VendorRef": {"value": vendor["Id"]},
            "TotalAmt": "80.00",
            "Line": [{"Amount": "80.00", "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert paid.status_code == 200, paid.text
    bill_after = loads(conn.api("GET", f"bill/{bill['Id']}").content)["Bill"]
    assert bill_after["Balance"] == 0
    assert bill_after["LinkedTxn"][0]["TxnType"] == "BillPaymentCheck"


@pytest.mark.parametrize(
    "first, second", [("Customer", "Vendor"), ("Vendor", "Customer"), ("Employee", "Customer")]
)
def test_display_name_is_unique_across_customers_vendors_and_employees(conn, first, second):
    created = conn.create(first, {"DisplayName": f"Shared Name {first}"})
    assert created.status_code == 200
    clash = conn.create(second, {"DisplayName": f"Shared Name {first}"})
    assert clash.status_code == 400
    assert clash.headers["Content-Type"] == "application/json"
    error = clash.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("6240", "Duplicate Name Exists Error")
    assert (
        f"Id={created.json()[first]['Id']}" in error["Detail"] and f"Shared Name {first}" in error["Detail"]
    )


def test_inactive_customer_is_found_only_with_active_in_true_false(conn):
    _customer(conn, "Sleeping Co", Active=False)
    plain = loads(conn.query("SELECT * FROM Customer WHERE DisplayName = 'Sleeping Co'").content)
    assert plain["QueryResponse"] == {}
    both = loads(
        conn.query(
            "SELECT * FROM Customer WHERE DisplayName = 'Sleeping Co' AND Active IN (true, false)"
        ).content
    )
    assert [c["Active"] for c in both["QueryResponse"]["Customer"]] == [False]


@pytest.mark.parametrize(
    "name",
    [
        "O'Brien & Sons",
        'The "Quoted" Ltd',
        "Back\\slash GmbH",
        "Zürich Präzision AG",
        'Müller\'s "Best" & Co \\ Ltd',
        "Łódź Café ☕",
    ],
)
def test_names_with_awkward_characters_are_found_by_exact_query(conn, name):
    created = _customer(conn, name)
    literal = name.replace("\\", "\\\\").replace("'", "\\'")
    found = loads(conn.query(f"SELECT * FROM Customer WHERE DisplayName = '{literal}'").content)  # noqa: S608 - QBO query text, not SQL
    assert [c["Id"] for c in found["QueryResponse"]["Customer"]] == [created["Id"]]


def test_private_note_in_where_is_fault_4001(conn):
    response = conn.query("SELECT * FROM Invoice WHERE PrivateNote = 'OW-Sale-1'")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("4001", "Invalid query")
    assert "PrivateNote" in error["Detail"]


def test_private_note_fault_comes_as_xml_when_xml_is_asked(conn):
    response = conn.api(
        "GET",
        "query",
        params={"query": "SELECT * FROM Invoice WHERE PrivateNote = 'x'"},
        headers={"Accept": "application/xml"},
    )
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/xml"
    assert '<Error code="4001"' in response.text


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM",
        "SELECT * FROM Invoice WHERE",
        "SELEC * FROM Invoice",
        "SELECT * FROM Invoice WHERE TxnDate = 'unterminated",
    ],
)
def test_query_syntax_errors_are_fault_4000(conn, text):
    response = conn.query(text)
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "4000"


def test_unknown_entity_in_query_is_fault_4001(conn):
    error = conn.query("SELECT * FROM Custmoer").json()["Fault"]["Error"][0]
    assert (
        error["code"] == "4001"
        and error["Detail"] == "QueryValidationError: invalid context declaration: Custmoer"
    )


def test_paging_by_id_covers_every_row_exactly_once(sandbox, app):
    realm = sandbox.create_realm(name="Paging Co", size=300, seed=7)
    conn = connect_app(sandbox.url, app, realm)
    total = conn.query("SELECT COUNT(*) FROM Invoice").json()["QueryResponse"]["totalCount"]
    seen, start = [], 1
    while True:
        page = conn.query(f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 7").json()  # noqa: S608 - QBO query text, not SQL
        rows = page["QueryResponse"].get("Invoice", [])
        if not rows:
            assert page["QueryResponse"] == {}
            break
        assert page["QueryResponse"]["startPosition"] == start
        assert page["QueryResponse"]["maxResults"] == len(rows)
        seen.extend(r["Id"] for r in rows)
        start += 7
    assert total == 120 and len(seen) == total and len(set(seen)) == total
    assert seen == sorted(seen, key=int)


def test_maxresults_above_1000_is_capped(sandbox, app):
    realm = sandbox.create_realm(name="Big Page Co", size=2600, seed=3)
    conn = connect_app(sandbox.url, app, realm)
    page = conn.query("SELECT * FROM Invoice MAXRESULTS 5000").json()["QueryResponse"]
    assert page["maxResults"] == 1000 and len(page["Invoice"]) == 1000


def test_default_page_is_100_rows_and_count_ignores_paging(sandbox, app):
    realm = sandbox.create_realm(name="Default Page Co", size=400, seed=4)
    conn = connect_app(sandbox.url, app, realm)
    assert len(conn.query("SELECT * FROM Invoice").json()["QueryResponse"]["Invoice"]) == 100
    assert conn.query("SELECT COUNT(*) FROM Invoice MAXRESULTS 5").json()["QueryResponse"] == {
        "totalCount": 160
    }


def test_query_sent_as_application_text_post(conn):
    _customer(conn, "Posted Query Co")
    response = conn.api(
        "POST",
        "query",
        data="SELECT * FROM Customer WHERE DisplayName = 'Posted Query Co'",
        headers={"Content-Type": "application/text"},
        params={"minorversion": "75"},
    )
    assert response.status_code == 200
    assert response.json()["QueryResponse"]["Customer"][0]["DisplayName"] == "Posted Query Co"


def test_same_requestid_returns_the_first_result(conn):
    customer = _customer(conn, "Idempotent Co")
    body = _invoice_body(customer["Id"], _service_item(conn), "42.00", PrivateNote="OW-Sale-7")
    first = _post_json(conn, "Invoice", body, requestid="push-sale-7")
    second = _post_json(conn, "Invoice", body, requestid="push-sale-7")
    assert first.status_code == second.status_code == 200
    assert first.json()["Invoice"]["Id"] == second.json()["Invoice"]["Id"]
    count = conn.query(f"SELECT COUNT(*) FROM Invoice WHERE CustomerRef = '{customer['Id']}'").json()  # noqa: S608 - QBO query text, not SQL
    assert count["QueryResponse"]["totalCount"] == 1


def test_sales_line_without_item_ref_is_fault_2020(conn):
    customer = _customer(conn, "No Item Co")
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [{"Amount": "10.00", "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}],
    }
    error = _post_json(conn, "Invoice", body).json()["Fault"]["Error"][0]
    assert (error["code"], error["element"]) == ("2020", "Line.SalesItemLineDetail.ItemRef")


@pytest.mark.parametrize("field", ["item", "customer"])
def test_unknown_references_are_fault_2500(conn, field):
    customer = _customer(conn, f"Reference Co {field}")
    body = _invoice_body(
        "999999" if field == "customer" else customer["Id"],
        "999999" if field == "item" else _service_item(conn),
    )
    response = _post_json(conn, "Invoice", body)
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    assert error["code"] == "2500" and error["Message"] == "Invalid Reference Id"


def test_missing_entity_is_fault_610(conn):
    response = conn.api("GET", "invoice/987654")
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "610"


def test_batch_answers_each_item_in_order_with_faults_inline(conn):
    _customer(conn, "Batch Taken")
    items = [
        {"bId": "b1", "operation": "create", "Vendor": {"DisplayName": "Batch Vendor"}},
        {"bId": "b2", "operation": "create", "Customer": {"DisplayName": "Batch Taken"}},
        {"bId": "b3", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Batch Taken'"},
        {"bId": "b4", "Query": "SELECT * FROM Invoice WHERE PrivateNote = 'x'"},
    ]
    response = conn.api("POST", "batch", json={"BatchItemRequest": items})
    assert response.status_code == 200
    answers = response.json()["BatchItemResponse"]
    assert [a["bId"] for a in answers] == ["b1", "b2", "b3", "b4"]
    assert answers[0]["Vendor"]["DisplayName"] == "Batch Vendor"
    assert answers[1]["Fault"]["Error"][0]["code"] == "6240"
    assert answers[2]["QueryResponse"]["Customer"][0]["DisplayName"] == "Batch Taken"
    assert answers[3]["Fault"]["Error"][0]["code"] == "4001"


def test_batch_of_more_than_30_items_is_refused(conn):
    items = [{"bId": str(i), "Query": "SELECT COUNT(*) FROM Customer"} for i in range(31)]
    response = conn.api("POST", "batch", json={"BatchItemRequest": items})
    assert response.status_code == 400 and "Fault" in response.json()


def test_void_keeps_the_invoice_with_zero_amounts(conn):
    customer = _customer(conn, "Void Co")
    invoice = loads(_post_json(conn, "Invoice", _invoice_body(customer["Id"], _service_item(conn))).content)[
        "Invoice"
    ]
    voided = _post_json(conn, "Invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    body = loads(voided.content)["Invoice"]
    assert (body["TotalAmt"], body["Balance"], body["PrivateNote"], body["SyncToken"]) == (
        0,
        0,
        "Voided",
        "1",
    )
    assert all(line["Amount"] == 0 for line in body["Line"])


def test_back_dated_payment_inserted_through_the_control_api(sandbox, conn):
    customer = _customer(conn, "Back Dated Co")
    invoice = loads(
        _post_json(
            conn, "Invoice", _invoice_body(customer["Id"], _service_item(conn), "90.00", TxnDate="2025-01-10")
        ).content
    )["Invoice"]
    sandbox.insert_entity(
        conn.realm_id,
        "Payment",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": 90,
            "TxnDate": "2025-01-20",
            "Line": [{"Amount": 90, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    assert loads(conn.api("GET", f"invoice/{invoice['Id']}").content)["Invoice"]["Balance"] == 0
    payments = conn.query(
        "SELECT * FROM Payment WHERE TxnDate >= '2025-01-01' AND TxnDate < '2025-02-01'"
    ).json()
    assert [p["TxnDate"] for p in payments["QueryResponse"]["Payment"]] == ["2025-01-20"]


def test_transaction_page_shows_the_invoice(sandbox, conn):
    customer = _customer(conn, "Page Co")
    invoice = loads(_post_json(conn, "Invoice", _invoice_body(customer["Id"], _service_item(conn))).content)[
        "Invoice"
    ]
    import requests

    page = requests.get(
        f"{sandbox.url}/app/invoice", params={"txnId": invoice["Id"], "realmId": conn.realm_id}, timeout=10
    )
    assert page.status_code == 200 and "Page Co" in page.text and invoice["DocNumber"] in page.text
