"""The lists a new QuickBooks company holds before anyone types a thing: chart of accounts, payment
methods, tax codes and rates of its country, and (multicurrency only) its currencies.

Pure builders (no database): `standard_rows(realm, now)` returns `{entity: [bodies]}` for the
generator to write. Shapes follow Intuit's API reference for Account, PaymentMethod, TaxCode, TaxRate
and CompanyCurrency (no sample body of Intuit's shows these); Ids and names of the chart and the
payment methods are those of Intuit's US sample company, whose Ids Intuit's sample invoices and bills
already refer to (`AccountRef` 1, 33, 35, 79...).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbsandbox.entities import CURRENCY_NAMES, base, currency_ref

# Id: (Name, Classification, AccountType, AccountSubType); names are entities.ACCOUNTS' (the refs
# that transactions carry), sub-accounts written as "Parent:Child" there.
CHART = {
    "1": ("Services", "Revenue", "Income", "ServiceFeeIncome"),
    "4": ("Undeposited Funds", "Asset", "Other Current Asset", "UndepositedFunds"),
    "7": ("Advertising", "Expense", "Expense", "AdvertisingPromotional"),
    "12": ("Legal & Professional Fees", "Expense", "Expense", "LegalProfessionalFees"),
    "24": ("Software", "Expense", "Expense", "OtherMiscellaneousServiceCost"),
    "33": ("Accounts Payable (A/P)", "Liability", "Accounts Payable", "AccountsPayable"),
    "35": ("Checking", "Asset", "Bank", "Checking"),
    "41": ("Mastercard", "Liability", "Credit Card", "CreditCard"),
    "58": ("Office Expenses", "Expense", "Expense", "OfficeGeneralAdministrativeExpenses"),
    "60": ("Rent or Lease", "Expense", "Expense", "RentOrLeaseOfBuildings"),
    "69": ("Legal & Professional Fees:Accounting", "Expense", "Expense", "LegalProfessionalFees"),
    "79": ("Sales of Product Income", "Revenue", "Income", "SalesOfProductIncome"),
    "80": ("Cost of Goods Sold", "Expense", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    "81": ("Inventory Asset", "Asset", "Other Current Asset", "Inventory"),
    "84": ("Accounts Receivable (A/R)", "Asset", "Accounts Receivable", "AccountsReceivable"),
}
PAYMENT_METHODS = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Diners Club", "CREDIT_CARD"),
]
# Tax rates and codes by country. Rate: (Id, Name, percent, agency). Code: (Id, Name, Description,
# [rate ids]); an empty list is a zero-rated/exempt code. US companies also hold QuickBooks' two
# pseudo-codes TAX and NON (Ids are those words), which US sales lines carry.
TAX_RATES = {
    "US": [
        ("1", "California", Decimal("7.25"), "California Department of Tax and Fee Administration"),
        ("2", "Santa Clara County", Decimal("1.875"), "California Department of Tax and Fee Administration"),
    ],
    "IN": [
        ("1", "CGST 9%", Decimal("9"), "Central Board of Indirect Taxes and Customs"),
        ("2", "SGST 9%", Decimal("9"), "Karnataka Commercial Taxes Department"),
        ("3", "0% IGST", Decimal("0"), "Central Board of Indirect Taxes and Customs"),
        ("4", "Exempt", Decimal("0"), "Central Board of Indirect Taxes and Customs"),
    ],
    "CH": [
        ("1", "MWST 8.1%", Decimal("8.1"), "Eidgenössische Steuerverwaltung"),
        ("2", "0% export", Decimal("0"), "Eidgenössische Steuerverwaltung"),
        ("3", "exempt", Decimal("0"), "Eidgenössische Steuerverwaltung"),
    ],
}
TAX_CODES = {
    "US": [
        ("TAX", "TAX", "Taxable", None),
        ("NON", "NON", "Non-Taxable", None),
        ("2", "California", "California state sales tax", ["1"]),
        ("3", "Mountain View", "California plus Santa Clara County", ["1", "2"]),
    ],
    "IN": [
        ("1", "18% GST", "GST 18% (CGST 9% + SGST 9%)", ["1", "2"]),
        ("2", "0% IGST", "IGST 0%", ["3"]),
        ("3", "Exempt", "Exempt", ["4"]),
    ],
    "CH": [
        ("1", "MWST 8.1%", "MWST Normalsatz 8.1%", ["1"]),
        ("2", "0% export", "Export, 0%", ["2"]),
        ("3", "exempt", "Von der Steuer ausgenommen", ["3"]),
    ],
}
# Other countries: one exempt code, so every company has a TaxCode to put on a line.
FALLBACK_RATES = [("1", "Exempt", Decimal("0"), "Tax authority")]
FALLBACK_CODES = [("1", "Exempt", "Exempt", ["1"])]
# Currencies a multicurrency demo company has switched on, in the order they were added: Intuit's
# sandbox companies list the Canadian Dollar first (CompanyCurrency 1), which clients' own suites
# rely on; the home currency is never a CompanyCurrency row.
COMPANY_CURRENCIES = ["CAD", "USD", "EUR", "GBP", "CHF", "INR", "AUD"]


def _with_base(body: dict[str, Any], entity_id: str, now: float) -> dict[str, Any]:
    out = {**body, **base(0, now)}
    out["Id"] = entity_id
    return out


def account(entity_id: str, currency: str, now: float) -> dict[str, Any]:
    full_name, classification, account_type, sub_type = CHART[entity_id]
    parent, _, leaf = full_name.rpartition(":")
    body: dict[str, Any] = {"Name": leaf or full_name, "SubAccount": bool(parent)}
    if parent:
        parent_id = next(key for key, row in CHART.items() if row[0] == parent)
        body["ParentRef"] = {"value": parent_id}
    body.update(
        {
            "FullyQualifiedName": full_name,
            "Active": True,
            "Classification": classification,
            "AccountType": account_type,
            "AccountSubType": sub_type,
            "CurrentBalance": 0,
            "CurrentBalanceWithSubAccounts": 0,
            "CurrencyRef": currency_ref(currency),
        }
    )
    return _with_base(body, entity_id, now)


def payment_method(number: int, name: str, kind: str, now: float) -> dict[str, Any]:
    return _with_base({"Name": name, "Active": True, "Type": kind}, str(number), now)


def tax_agency(agency_id: str, name: str, now: float) -> dict[str, Any]:
    body = {"DisplayName": name, "TaxTrackedOnSales": True, "TaxTrackedOnPurchases": False}
    return _with_base(body, agency_id, now)


def tax_rate(row: tuple[str, str, Decimal, str], agency_id: str, now: float) -> dict[str, Any]:
    rate_id, name, percent, _agency = row
    body = {
        "Name": name,
        "Description": name,
        "Active": True,
        "RateValue": percent,
        "AgencyRef": {"value": agency_id},
        "SpecialTaxType": "ZERO_RATE" if percent == 0 else "NONE",
        "DisplayType": "ReadOnly",
    }
    return _with_base(body, rate_id, now)


def tax_code(row: tuple[str, str, str, list[str] | None], rates: dict[str, str], now: float) -> dict[str, Any]:
    code_id, name, description, rate_ids = row
    body: dict[str, Any] = {"Name": name, "Description": description, "Active": True, "Hidden": False}
    if rate_ids is None:  # QuickBooks' US pseudo-codes carry no rate list
        body.update({"Taxable": code_id == "TAX", "TaxGroup": False})
        return _with_base(body, code_id, now)
    details = [
        {"TaxRateRef": {"value": r, "name": rates[r]}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
        for r in rate_ids
    ]
    body.update(
        {
            "Taxable": True,
            "TaxGroup": len(rate_ids) > 1,
            "SalesTaxRateList": {"TaxRateDetail": details},
            "PurchaseTaxRateList": {"TaxRateDetail": []},
        }
    )
    return _with_base(body, code_id, now)


def company_currency(number: int, code: str, now: float) -> dict[str, Any]:
    return _with_base({"Code": code, "Name": CURRENCY_NAMES[code], "Active": True}, str(number), now)


def standard_rows(realm: dict[str, Any], now: float) -> dict[str, list[dict[str, Any]]]:
    """Every standard list row of a new company in `realm`'s country and currency."""
    home, country = str(realm.get("currency", "USD")), str(realm.get("country", "US"))
    rates = TAX_RATES.get(country, FALLBACK_RATES)
    agencies = {name: str(i) for i, name in enumerate(dict.fromkeys(row[3] for row in rates), 1)}
    names = {row[0]: row[1] for row in rates}
    rows: dict[str, list[dict[str, Any]]] = {
        "Account": [account(i, home, now) for i in CHART],
        "PaymentMethod": [payment_method(i, n, k, now) for i, (n, k) in enumerate(PAYMENT_METHODS, 1)],
        "TaxAgency": [tax_agency(i, name, now) for name, i in agencies.items()],
        "TaxRate": [tax_rate(row, agencies[row[3]], now) for row in rates],
        "TaxCode": [tax_code(row, names, now) for row in TAX_CODES.get(country, FALLBACK_CODES)],
    }
    if realm.get("multicurrency"):
        codes = [c for c in COMPANY_CURRENCIES if c != home]
        rows["CompanyCurrency"] = [company_currency(i, c, now) for i, c in enumerate(codes, 1)]
    return rows

