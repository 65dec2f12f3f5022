"""A realm's CompanyInfo and Preferences bodies, shaped like QBO's (reduced to the blocks clients read).

Preferences are a new company's defaults as Intuit's sample company shows them: tax year from
January, billable expenses tracked, work week from Monday, the four e-mail messages, `OtherPrefs`
opening with the default customer message.
"""

from __future__ import annotations

from typing import Any

from qbsandbox.entities import base

_CITY = {"US": ("Mountain View", "CA"), "IN": ("Bengaluru", "KA"), "CH": ("Zürich", "ZH")}


def company_info(realm: dict[str, Any], *, now: float) -> dict[str, Any]:
    country = realm.get("country", "US")
    city, region = _CITY.get(country, ("Capital", ""))
    address = {"Id": "1", "City": city, "Country": country, "CountrySubDivisionCode": region}
    name = realm.get("name", "Sandbox Company")
    body = {
        "CompanyName": name,
        "LegalName": name,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {},
        "CompanyStartDate": "2015-01-01",
        "FiscalYearStartMonth": "January",
        "Country": country,
        "Email": {"Address": "owner@example.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Advanced"},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
        ],
    }
    return {**body, **base(1, now)}


DEFAULT_CUSTOMER_MESSAGE = "Thank you for your business and have a great day!"
_MESSAGES = {
    "InvoiceMessage": ("Invoice", "Your invoice is attached.  Please remit payment at your earliest convenience."),
    "EstimateMessage": (
        "Estimate",
        "Please review the estimate below.  Feel free to contact us if you have any questions.",
    ),
    "SalesReceiptMessage": ("Sales Receipt", "Your sales receipt is attached."),
    "StatementMessage": (
        "Statement",
        "Your statement is attached.  Please remit payment at your earliest convenience.",
    ),
}


def _email_messages(company: str) -> dict[str, Any]:
    return {
        key: {"Subject": f"{kind} from {company}", "Message": f"{text}\nThank you for your business.\n\n{company}"}
        for key, (kind, text) in _MESSAGES.items()
    }


def preferences(realm: dict[str, Any], *, now: float) -> dict[str, Any]:
    body = {
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "CustomerTerminology": "Customers",
            "TaxYearMonth": "January",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": False,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "AllowDeposit": False,
            "AllowDiscount": False,
            "AllowEstimates": True,
            "AllowServiceDate": False,
            "AllowShipping": False,
            "DefaultTerms": {"value": "3"},
            "UsingPriceLevels": False,
            "DefaultCustomerMessage": DEFAULT_CUSTOMER_MESSAGE,
        },
        "EmailMessagesPrefs": _email_messages(str(realm.get("name", "Sandbox Company"))),
        "VendorAndPurchasesPrefs": {"TrackingByCustomer": False, "BillableExpenseTracking": True},
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": False,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": False,
        },
        "TaxPrefs": {"UsingSalesTax": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": bool(realm.get("multicurrency")),
            "HomeCurrency": {"value": realm.get("currency", "USD")},
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": DEFAULT_CUSTOMER_MESSAGE},
                {"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"},
            ]
        },
    }
    return {**body, **base(1, now)}
