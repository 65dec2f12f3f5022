"""Reports API (AgedReceivables, AgedPayables), the CreditMemo entity, the demo credit memo, and the
transaction pages at QuickBooks' web-app paths.

The value tests build a small company through the control API with known dates and amounts and check
each aging bucket by hand (report_date 2025-06-30, aging_period 30, num_periods 4 unless said).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from qbsandbox import models, reports
from qbsandbox.demo import DEMO_CREDIT_MEMO, seed_demo_realms
from qbsandbox.responses import loads
from qbsandbox.store import Store
from tests.qbsandbox.conftest import TIMEOUT, connect_app

REPORT_DATE = "2025-06-30"
TITLES = ["Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]


# -- helpers ---------------------------------------------------------------------------------------
def _insert(sandbox, realm: str, entity: str, body: dict) -> dict:
    return sandbox.insert_entity(realm, entity, json.loads(json.dumps(body, default=str)))


def _sales(amount: str, description: str = "Services", tax_code: str = "") -> list[dict]:
    detail = {"ItemRef": {"value": "1"}, **({"TaxCodeRef": {"value": tax_code}} if tax_code else {})}
    line = {"Amount": amount, "Description": description, "DetailType": "SalesItemLineDetail"}
    return [{**line, "SalesItemLineDetail": detail}]


def _expense(amount: str) -> list[dict]:
    return [
        {
            "Amount": amount,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "58"}},
        }
    ]


def _invoice(sandbox, realm, customer, amount, txn_date, due_date, **extra) -> dict:
    body = {
        "CustomerRef": {"value": customer},
        "TxnDate": txn_date,
        "DueDate": due_date,
        "Line": _sales(amount),
        **extra,
    }
    return _insert(sandbox, realm, "Invoice", body)


def _pay(sandbox, realm, customer, total, txn_date, links=()) -> dict:
    lines = [{"Amount": amount, "LinkedTxn": [{"TxnId": txn, "TxnType": "Invoice"}]} for txn, amount in links]
    body = {"CustomerRef": {"value": customer}, "TotalAmt": total, "TxnDate": txn_date, "Line": lines}
    return _insert(sandbox, realm, "Payment", body)


def _report(conn, name: str, **params) -> dict:
    response = conn.api("GET", f"reports/{name}", params={"minorversion": "75", **params})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    return response.json()


def _rows(report: dict) -> dict[str, list[str]]:
    """Data rows by party name: the bucket cells then Total, as the strings QBO sends."""
    return {
        row["ColData"][0]["value"]: [cell["value"] for cell in row["ColData"][1:]]
        for row in report["Rows"]["Row"]
        if "ColData" in row
    }


def _grand_total(report: dict) -> list[str]:
    last = report["Rows"]["Row"][-1]
    assert (last["group"], last["type"]) == ("GrandTotal", "Section")
    assert last["Summary"]["ColData"][0] == {"value": "TOTAL"}
    return [cell["value"] for cell in last["Summary"]["ColData"][1:]]


@pytest.fixture(scope="module")
def aging(sandbox):
    """A USD company: two customers with invoices, payments (one dated after the report date), a
    credit memo and an unapplied payment; one vendor with bills and bill payments."""
    from tests.qbsandbox.conftest import REDIRECT_URI

    realm = sandbox.create_realm(name="Aging Co", currency="USD")
    conn = connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)
    a = _insert(sandbox, realm, "Customer", {"DisplayName": "Alpha Pumps"})["Id"]
    b = _insert(sandbox, realm, "Customer", {"DisplayName": "beta & Sons"})["Id"]
    _insert(sandbox, realm, "Customer", {"DisplayName": "Zero Co"})  # nothing open: no row
    ids = {"a": a, "b": b}
    # Alpha: 100 current, 200 due 15 days ago (paid only on 07-05), 300 due 61 days ago less 50 paid.
    _invoice(sandbox, realm, a, "100.00", "2025-06-20", "2025-07-20")
    inv2 = _invoice(sandbox, realm, a, "200.00", "2025-05-01", "2025-06-15")
    inv3 = _invoice(sandbox, realm, a, "300.00", "2025-03-01", "2025-04-30")
    _pay(sandbox, realm, a, "50.00", "2025-06-25", [(inv3["Id"], "50.00")])
    _pay(sandbox, realm, a, "200.00", "2025-07-05", [(inv2["Id"], "200.00")])
    # beta: 400 due 166 days ago, 10 due today, 20 due 30 days ago, a 999 invoice after the date,
    # a 75 credit memo of 20 days ago, a 60 unapplied payment of 36 days ago, a voided invoice.
    _invoice(sandbox, realm, b, "400.00", "2024-12-16", "2025-01-15")
    _invoice(sandbox, realm, b, "10.00", "2025-05-31", "2025-06-30")
    _invoice(sandbox, realm, b, "20.00", "2025-05-01", "2025-05-31")
    _invoice(sandbox, realm, b, "999.00", "2025-07-02", "2025-08-01")
    voided = _invoice(sandbox, realm, b, "55.00", "2025-06-01", "2025-07-01")
    assert conn.create("Invoice", voided, operation="void").status_code == 200
    ids["memo"] = _insert(
        sandbox,
        realm,
        "CreditMemo",
        {"CustomerRef": {"value": b}, "TxnDate": "2025-06-10", "Line": _sales("75.00", "Refund")},
    )["Id"]
    _pay(sandbox, realm, b, "60.00", "2025-05-25")
    # Vendor: 500 due today, 300 due 107 days ago with 100 paid, a 40 unapplied bill payment.
    v = _insert(sandbox, realm, "Vendor", {"DisplayName": "Office Depot"})["Id"]
    ids["v"] = v
    vendor = {"value": v}
    _insert(
        sandbox,
        realm,
        "Bill",
        {"VendorRef": vendor, "TxnDate": "2025-06-01", "DueDate": "2025-06-30", "Line": _expense("500.00")},
    )
    old_bill = _insert(
        sandbox,
        realm,
        "Bill",
        {"VendorRef": vendor, "TxnDate": "2025-02-13", "DueDate": "2025-03-15", "Line": _expense("300.00")},
    )
    _insert(
        sandbox,
        realm,
        "BillPayment",
        {
            "VendorRef": vendor,
            "TotalAmt": "100.00",
            "TxnDate": "2025-06-01",
            "Line": [{"Amount": "100.00", "LinkedTxn": [{"TxnId": old_bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    _insert(
        sandbox, realm, "BillPayment", {"VendorRef": vendor, "TotalAmt": "40.00", "TxnDate": "2025-06-20", "Line": []}
    )
    return conn, ids


# -- AgedReceivables / AgedPayables values ---------------------------------------------------------
def test_aged_receivables_buckets_by_days_past_due(aging):
    conn, _ = aging
    report = _report(conn, "AgedReceivables", report_date=REPORT_DATE)
    assert [c["ColTitle"] for c in report["Columns"]["Column"]] == ["", *TITLES]
    assert _rows(report) == {
        "Alpha Pumps": ["100.00", "200.00", "", "250.00", "", "550.00"],
        "beta & Sons": ["10.00", "-55.00", "-60.00", "", "400.00", "295.00"],
    }
    assert _grand_total(report) == ["110.00", "145.00", "-60.00", "250.00", "400.00", "845.00"]


def test_aged_receivables_total_is_open_invoices_less_credit_memos_and_unapplied_payments(aging):
    conn, _ = aging
    report = _report(conn, "AgedReceivables", report_date=REPORT_DATE)
    open_invoices = Decimal("100") + 200 + 250 + 400 + 10 + 20  # as of 2025-06-30
    assert Decimal(_grand_total(report)[-1]) == open_invoices - Decimal("75.00") - Decimal("60.00")


def test_aged_receivables_as_of_a_later_date_sees_the_later_payment_and_invoice(aging):
    conn, _ = aging
    report = _report(conn, "AgedReceivables", report_date="2025-07-31")
    # Alpha: 100 now 11 days late, inv2 paid on 07-05, 250 now 92 days late.
    assert _rows(report)["Alpha Pumps"] == ["", "100.00", "", "", "250.00", "350.00"]
    # beta gains the 999 invoice (current); 10 (31 days) and the 75 credit (51 days) in 31 - 60;
    # 20 (61 days) and the 60 unapplied payment (67 days) in 61 - 90.
    assert _rows(report)["beta & Sons"] == ["999.00", "", "-65.00", "-40.00", "400.00", "1294.00"]


def test_aged_payables_counts_bills_less_payments_and_unapplied_bill_payments(aging):
    conn, ids = aging
    report = _report(conn, "AgedPayables", report_date=REPORT_DATE)
    assert report["Columns"]["Column"][0] == {"ColType": "Vendor", "ColTitle": ""}
    assert report["Rows"]["Row"][0]["ColData"][0] == {"id": ids["v"], "value": "Office Depot"}
    assert _rows(report) == {"Office Depot": ["500.00", "-40.00", "", "", "200.00", "660.00"]}
    assert _grand_total(report) == ["500.00", "-40.00", "0.00", "0.00", "200.00", "660.00"]


def test_aging_period_and_num_periods_shape_the_columns(aging):
    conn, _ = aging
    report = _report(conn, "AgedReceivables", report_date=REPORT_DATE, aging_period="15", num_periods="2")
    assert [c["ColTitle"] for c in report["Columns"]["Column"]] == ["", "Current", "1 - 15", "16 and over", "Total"]
    assert _rows(report)["Alpha Pumps"] == ["100.00", "200.00", "250.00", "550.00"]
    assert reports.bucket_titles(30, 6)[-2:] == ["121 - 150", "151 and over"]


def test_customer_parameter_keeps_one_customer_and_is_echoed_in_the_header(aging):
    conn, ids = aging
    report = _report(conn, "AgedReceivables", report_date=REPORT_DATE, customer=ids["a"])
    assert report["Header"]["Customer"] == ids["a"]
    assert list(_rows(report)) == ["Alpha Pumps"]
    assert _grand_total(report)[-1] == "550.00"


def test_header_without_report_date_is_today_with_the_date_macro(aging):
    conn, _ = aging
    report = _report(conn, "AgedReceivables")
    header = report["Header"]
    today = header["EndPeriod"]
    assert list(header) == ["Time", "ReportName", "DateMacro", "StartPeriod", "EndPeriod", "Currency", "Option"]
    assert (header["DateMacro"], header["StartPeriod"], header["Currency"]) == ("today", today, "USD")
    assert header["Option"] == [
        {"Name": "report_date", "Value": today},
        {"Name": "NoReportData", "Value": "false"},
    ]
    explicit = _report(conn, "AgedReceivables", report_date=REPORT_DATE)["Header"]
    assert "DateMacro" not in explicit and "StartPeriod" not in explicit
    assert explicit["EndPeriod"] == REPORT_DATE


def test_empty_report_says_no_report_data(sandbox, conn):
    report = _report(conn, "AgedPayables", report_date=REPORT_DATE)
    assert report["Header"]["Option"][1] == {"Name": "NoReportData", "Value": "true"}
    assert report["Rows"]["Row"] == [
        {"group": "GrandTotal", "type": "Section", "Summary": {"ColData": [{"value": "TOTAL"}] + [{"value": ""}] * 6}}
    ]


def test_foreign_currency_documents_count_at_their_own_rate(sandbox, app):
    realm = sandbox.create_realm(name="Rupee Aging", currency="INR", multicurrency=True)
    conn = connect_app(sandbox.url, app, realm)
    customer = _insert(sandbox, realm, "Customer", {"DisplayName": "Dollar Buyer", "CurrencyRef": {"value": "USD"}})
    _invoice(sandbox, realm, customer["Id"], "100.00", "2025-06-01", "2025-07-01", ExchangeRate="83.5")
    _insert(
        sandbox,
        realm,
        "CreditMemo",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TxnDate": "2025-06-29",
            "ExchangeRate": "84",
            "Line": _sales("10.00"),
        },
    )
    report = _report(conn, "AgedReceivables", report_date=REPORT_DATE)
    assert report["Header"]["Currency"] == "INR"
    assert _rows(report) == {"Dollar Buyer": ["8350.00", "-840.00", "", "", "", "7510.00"]}


@pytest.mark.parametrize("param, value", [("aging_period", "0"), ("num_periods", "x"), ("report_date", "2025-13-01")])
def test_invalid_parameters_are_fault_2010(aging, param, value):
    conn, _ = aging
    response = conn.api("GET", "reports/AgedReceivables", params={param: value})
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    assert (error["code"], error["element"]) == ("2010", param)


def test_reports_are_counted_as_report_calls(sandbox, aging):
    conn, _ = aging
    before = sandbox.calls(conn.realm_id).get("report", 0)
    _report(conn, "AgedPayables")
    assert sandbox.calls(conn.realm_id)["report"] == before + 1


# -- CreditMemo ------------------------------------------------------------------------------------
def test_credit_memo_create_read_and_query(sandbox, conn):
    customer = loads(conn.create("Customer", {"DisplayName": "Credit Co"}).content)["Customer"]
    invoice = loads(
        conn.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": _sales("300.00")}).content
    )["Invoice"]
    response = conn.create(
        "CreditMemo", {"CustomerRef": {"value": customer["Id"]}, "TxnDate": "2025-06-10", "Line": _sales("120.00")}
    )
    assert response.status_code == 200, response.text
    memo = loads(response.content)["CreditMemo"]
    assert (memo["TotalAmt"], memo["Balance"], memo["RemainingCredit"]) == (Decimal("120.00"),) * 3
    assert memo["CustomerRef"] == {"value": customer["Id"], "name": "Credit Co"}
    assert memo["Line"][-1] == {
        "Amount": Decimal("120.00"),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    assert int(memo["DocNumber"]) == int(invoice["DocNumber"]) + 1  # one sales-form sequence
    assert "DueDate" not in memo and "ExchangeRate" not in memo
    read = loads(conn.api("GET", f"creditmemo/{memo['Id']}").content)["CreditMemo"]
    assert read == memo
    # Unapplied: the invoice keeps its balance; the customer's balance nets the credit.
    assert loads(conn.api("GET", f"invoice/{invoice['Id']}").content)["Invoice"]["Balance"] == Decimal("300.00")
    assert loads(conn.api("GET", f"customer/{customer['Id']}").content)["Customer"]["Balance"] == Decimal("180.00")
    found = conn.query(
        f"SELECT * FROM CreditMemo WHERE CustomerRef = '{customer['Id']}' AND Balance > '0' "  # noqa: S608 - QBO query
        "AND TxnDate >= '2025-06-01' AND TxnDate <= '2025-06-30'"
    ).json()["QueryResponse"]
    assert [m["Id"] for m in found["CreditMemo"]] == [memo["Id"]]
    by_id = conn.query(f"SELECT * FROM CreditMemo WHERE Id = '{memo['Id']}'").json()["QueryResponse"]  # noqa: S608
    assert by_id["maxResults"] == 1
    assert conn.query("SELECT COUNT(*) FROM CreditMemo WHERE Balance = '0'").json()["QueryResponse"] == {
        "totalCount": 0
    }


def test_credit_memo_in_a_foreign_currency_carries_rate_and_home_amounts(sandbox, app):
    realm = sandbox.create_realm(name="Franc Credit", currency="CHF", multicurrency=True)
    conn = connect_app(sandbox.url, app, realm)
    customer = loads(conn.create("Customer", {"DisplayName": "Euro Buyer", "CurrencyRef": {"value": "EUR"}}).content)
    lines = _sales("200.00", tax_code="2")  # Switzerland's 0% export code
    body = {"CustomerRef": {"value": customer["Customer"]["Id"]}, "ExchangeRate": 0.95, "Line": lines}
    memo = loads(conn.create("CreditMemo", body).content)["CreditMemo"]
    assert memo["CurrencyRef"]["value"] == "EUR"
    assert (memo["ExchangeRate"], memo["HomeTotalAmt"], memo["HomeBalance"]) == (
        Decimal("0.95"),
        Decimal("190.00"),
        Decimal("190.00"),
    )


def test_credit_memo_without_lines_or_customer_is_fault_2020(conn):
    response = conn.create("CreditMemo", {"Line": _sales("10.00")})
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "2020"


# -- the demo credit memo --------------------------------------------------------------------------
def test_demo_has_one_open_credit_memo_that_the_receivables_total_nets(tmp_path):
    store = Store(tmp_path / "demo.sqlite3")
    seed_demo_realms(store, today="2025-06-30")
    seed_demo_realms(store, today="2025-06-30")  # idempotent: still one credit memo
    realm = DEMO_CREDIT_MEMO["realm_id"]
    memos = models.query_entities(store, realm, "SELECT * FROM CreditMemo")["CreditMemo"]
    assert len(memos) == 1
    memo = memos[0]
    assert memo["CustomerRef"]["name"] == "Acme Turbines"
    assert memo["Balance"] == memo["TotalAmt"] == Decimal("1250.00")
    assert memo["TxnDate"] == "2025-06-18"
    for other in ("9341450000000101", "9341450000000102"):
        assert models.query_entities(store, other, "SELECT COUNT(*) FROM CreditMemo") == {"totalCount": 0}
    invoices = models.query_entities(store, realm, "SELECT * FROM Invoice WHERE Balance > '0' MAXRESULTS 1000")
    open_total = sum((inv["Balance"] for inv in invoices["Invoice"]), Decimal(0))
    report = reports.aging_report(store, realm, "AgedReceivables", {"report_date": "2025-06-30"})
    assert Decimal(_grand_total(report)[-1]) == open_total - Decimal("1250.00")
    # No unapplied customer payments in this realm: the credit memo is the whole difference.
    payments = models.query_entities(store, realm, "SELECT * FROM Payment MAXRESULTS 1000")["Payment"]
    assert all(p["UnappliedAmt"] == 0 for p in payments)


# -- transaction pages at QuickBooks' web-app paths ------------------------------------------------
@pytest.mark.parametrize(
    "path, entity, label",
    [
        ("invoice", "Invoice", "Invoice"),
        ("recvpayment", "Payment", "Payment"),
        ("bill", "Bill", "Bill"),
        ("billpayment", "BillPayment", "Bill Payment"),
        ("creditmemo", "CreditMemo", "Credit Memo"),
    ],
)
def test_transaction_page_at_the_quickbooks_path(sandbox, aging, path, entity, label):
    conn, _ = aging
    row = conn.query(f"SELECT * FROM {entity} MAXRESULTS 1").json()["QueryResponse"][entity][0]  # noqa: S608
    page = requests.get(
        f"{sandbox.url}/app/{path}", params={"txnId": row["Id"], "realmId": conn.realm_id}, timeout=TIMEOUT
    )
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{label} {row.get('DocNumber', row['Id'])}</h1>" in page.text
    party = (row.get("CustomerRef") or row.get("VendorRef"))["name"]
    assert party.replace("&", "&amp;") in page.text
    missing = requests.get(
        f"{sandbox.url}/app/{path}", params={"txnId": "999999", "realmId": conn.realm_id}, timeout=TIMEOUT
    )
    assert missing.status_code == 404 and f"{label} not found" in missing.text


def test_payment_page_names_the_invoices_it_pays(sandbox, aging):
    conn, _ = aging
    payment = conn.query("SELECT * FROM Payment WHERE TotalAmt = '50.00'").json()["QueryResponse"]["Payment"][0]
    page = requests.get(
        f"{sandbox.url}/app/recvpayment", params={"txnId": payment["Id"], "realmId": conn.realm_id}, timeout=TIMEOUT
    )
    invoice_id = payment["Line"][0]["LinkedTxn"][0]["TxnId"]
    assert page.status_code == 200 and f"Invoice {invoice_id}" in page.text
