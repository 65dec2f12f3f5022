"""Sales tax as QBO applies it by country: a non-US company refuses a sales line without one of its
tax codes (6000), and a taxed invoice carries TxnTaxDetail and a TotalAmt that includes the tax."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbsandbox.responses import loads
from tests.qbsandbox.conftest import connect_app


def _invoice(conn, amount: str, tax_code: str = "", **extra):
    customer = loads(conn.create("Customer", {"DisplayName": f"Taxed {amount} {tax_code}"}).content)["Customer"]
    detail = {"ItemRef": {"value": "1"}, **({"TaxCodeRef": {"value": tax_code}} if tax_code else {})}
    if "TaxInclusiveAmt" in extra:
        detail["TaxInclusiveAmt"] = extra.pop("TaxInclusiveAmt")
    line = {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    return conn.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line], **extra})


@pytest.fixture
def swiss(sandbox, app):
    return connect_app(sandbox.url, app, sandbox.create_realm(name="Tax AG", currency="CHF"))


@pytest.fixture
def indian(sandbox, app):
    return connect_app(sandbox.url, app, sandbox.create_realm(name="Tax Pvt Ltd", currency="INR"))


@pytest.mark.parametrize("tax_code", ["", "NON", "99"], ids=["none", "US code", "unknown"])
def test_a_swiss_sales_line_without_one_of_the_companys_tax_codes_is_refused_with_6000(swiss, tax_code):
    response = _invoice(swiss, "100.00", tax_code)
    assert response.status_code == 400
    [error] = response.json()["Fault"]["Error"]
    assert error["code"] == "6000"
    assert error["Detail"] == (
        "Business Validation Error: Make sure all your transactions have a VAT rate before you save."
    )


def test_an_indian_sales_line_without_a_tax_code_names_gst(indian):
    response = _invoice(indian, "100.00")
    assert response.json()["Fault"]["Error"][0]["Detail"].endswith("have a GST rate before you save.")


def test_a_us_line_takes_tax_or_non_and_no_tax_code_is_needed(conn):
    assert _invoice(conn, "100.00").status_code == 200
    taxed = loads(_invoice(conn, "100.00", "TAX").content)["Invoice"]
    assert taxed["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}


def test_tax_excluded_invoice_adds_the_codes_rates_to_the_total(indian):
    invoice = loads(_invoice(indian, "1000.00", "1", GlobalTaxCalculation="TaxExcluded").content)["Invoice"]
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("180.00")
    assert sorted(line["Amount"] for line in invoice["TxnTaxDetail"]["TaxLine"]) == [Decimal("90.00")] * 2
    assert (invoice["TotalAmt"], invoice["Balance"]) == (Decimal("1180.00"), Decimal("1180.00"))
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "1"}
    subtotal = invoice["Line"][-1]
    assert (subtotal["DetailType"], subtotal["Amount"]) == ("SubTotalLineDetail", Decimal("1000.00"))


def test_tax_inclusive_invoice_totals_the_gross_amount_sent(swiss):
    response = _invoice(swiss, "1000.00", "1", GlobalTaxCalculation="TaxInclusive", TaxInclusiveAmt="1081.00")
    invoice = loads(response.content)["Invoice"]
    assert invoice["GlobalTaxCalculation"] == "TaxInclusive"
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"]) == (Decimal("81.00"), Decimal("1081.00"))


def test_the_control_api_gives_an_untaxed_non_us_line_the_exempt_code(sandbox):
    realm = sandbox.create_realm(name="Seeded AG", currency="CHF")
    customer = sandbox.insert_entity(realm, "Customer", {"DisplayName": "Seeded Client"})
    line = {"Amount": "50.00", "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoice = sandbox.insert_entity(realm, "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "3"}
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("50.00")
