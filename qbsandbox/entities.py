"""Pure builders of QBO-shaped entity bodies (no database): the API's create and the demo generator
both use them, so generated data and created data have the same shape.

Amounts are `Decimal`; `ExchangeRate` is home-currency units per foreign unit; `Home...` amounts exist
only in multicurrency companies (with ExchangeRate 1 for home-currency transactions, as QBO does).
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qbsandbox.clock import meta_time

ZERO = Decimal("0")
CENT = Decimal("0.01")
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "INR": "Indian Rupee",
    "CHF": "Swiss Franc",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
}
# Units of each currency per US dollar: the sandbox's fixed rate table.
PER_USD = {
    "USD": Decimal("1"),
    "INR": Decimal("83.25"),
    "CHF": Decimal("0.885"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CAD": Decimal("1.36"),
    "AUD": Decimal("1.52"),
}
ACCOUNTS = {
    "1": "Services",
    "4": "Undeposited Funds",
    "7": "Advertising",
    "12": "Legal & Professional Fees",
    "24": "Software",
    "33": "Accounts Payable (A/P)",
    "35": "Checking",
    "41": "Mastercard",
    "58": "Office Expenses",
    "60": "Rent or Lease",
    "69": "Legal & Professional Fees:Accounting",
    "79": "Sales of Product Income",
    "80": "Cost of Goods Sold",
    "81": "Inventory Asset",
    "84": "Accounts Receivable (A/R)",
}


# Optional fields QBO stores as sent and echoes back on every read, by entity. References to accounts
# get the account's name, as QBO fills it in.
KEPT = {
    "Customer": ("ResaleNum", "Fax", "AlternatePhone"),
    "Vendor": ("AcctNum", "TaxIdentifier", "Fax", "AlternatePhone", "BillRate", "CostRate"),
    "Employee": ("PrimaryAddr", "HiredDate", "ReleasedDate", "BirthDate", "EmployeeNumber", "Gender", "SSN"),
    "Item": (
        "Sku", "TrackQtyOnHand", "QtyOnHand", "InvStartDate", "ExpenseAccountRef", "AssetAccountRef",
        "PurchaseDesc", "Taxable",
    ),
    "Invoice": (
        "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment", "AllowOnlinePayment", "AllowIPNPayment",
        "CustomerMemo", "BillAddr", "ShipAddr", "BillEmail", "SalesTermRef",
    ),
    "CreditMemo": ("CustomerMemo", "BillAddr", "BillEmail"),
    "Bill": ("VendorAddr", "SalesTermRef", "APAccountRef"),
    "Payment": ("PaymentMethodRef", "PaymentRefNum", "DepositToAccountRef"),
    "BillPayment": ("PayType", "CheckPayment", "CreditCardPayment", "APAccountRef"),
}
_ACCOUNT_REFS = {"ExpenseAccountRef", "AssetAccountRef", "APAccountRef", "DepositToAccountRef"}


def keep_fields(entity: str, body: dict[str, Any], req: dict[str, Any]) -> None:
    for key in KEPT.get(entity, ()):
        if req.get(key) is None:
            continue
        value = req[key]
        if key in _ACCOUNT_REFS and isinstance(value, dict) and value.get("value"):
            value = account_ref(str(value["value"]))
        elif key.startswith("Allow") or key in ("TrackQtyOnHand", "Taxable"):
            value = bool(value)
        elif key in ("CheckPayment", "CreditCardPayment") and isinstance(value, dict):
            value = _payment_account(value)
        body[key] = value
    if entity == "BillPayment":  # one of the two payment blocks, the one PayType names
        drop = "CheckPayment" if body.get("PayType") == "CreditCard" else "CreditCardPayment"
        body.pop(drop, None)


def _payment_account(block: dict[str, Any]) -> dict[str, Any]:
    out = dict(block)
    for key in ("BankAccountRef", "CCAccountRef"):
        if isinstance(out.get(key), dict) and out[key].get("value"):
            out[key] = account_ref(str(out[key]["value"]))
    return out


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def exchange_rate(foreign: str, home: str) -> Decimal:
    """Home units per foreign unit from the fixed table (1 when both are the same)."""
    if foreign == home:
        return Decimal("1")
    return (PER_USD[home] / PER_USD[foreign]).quantize(Decimal("0.000001"))


def rate_value(rate: Decimal) -> Decimal | int:
    """QBO writes a rate of exactly one as `1`, other rates with their own precision."""
    return 1 if rate == 1 else rate


def account_ref(account_id: str) -> dict[str, str]:
    return {"value": account_id, "name": ACCOUNTS.get(account_id, f"Account {account_id}")}


def base(entity_id: int, now: float) -> dict[str, Any]:
    stamp = meta_time(now)
    return {
        "domain": "QBO",
        "sparse": False,
        "Id": str(entity_id),
        "SyncToken": "0",
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }


def touch(body: dict[str, Any], now: float) -> None:
    """One more revision: SyncToken + 1 and a new LastUpdatedTime."""
    body["SyncToken"] = str(int(body["SyncToken"]) + 1)
    body["MetaData"]["LastUpdatedTime"] = meta_time(now)


_PERSON_FIELDS = (
    "Title",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Suffix",
    "CompanyName",
    "PrimaryPhone",
    "Mobile",
    "PrimaryEmailAddr",
    "WebAddr",
    "BillAddr",
    "ShipAddr",
    "Notes",
)


def display_name(req: dict[str, Any]) -> str | None:
    if req.get("DisplayName"):
        return str(req["DisplayName"])
    parts = [req.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
    composed = " ".join(str(p) for p in parts if p)
    return composed or req.get("CompanyName") or None


def _person(req: dict[str, Any], entity_id: int, now: float, name: str) -> dict[str, Any]:
    body = base(entity_id, now)
    body.update({k: req[k] for k in _PERSON_FIELDS if k in req})
    body.update(
        {
            "DisplayName": name,
            "PrintOnCheckName": req.get("PrintOnCheckName") or req.get("CompanyName") or name,
            "Active": bool(req.get("Active", True)),
        }
    )
    return body


def build_customer(
    req: dict[str, Any], *, entity_id: int, now: float, name: str, currency: str
) -> dict[str, Any]:
    head = {
        "Taxable": bool(req.get("Taxable", False)),
        "Job": False,
        "BillWithParent": False,
        "Balance": ZERO,
        "BalanceWithJobs": ZERO,
        "CurrencyRef": currency_ref(currency),
        "PreferredDeliveryMethod": "Print",
        "IsProject": False,
    }
    body = {**head, **_person(req, entity_id, now, name)}
    body["FullyQualifiedName"] = name
    return body


def build_vendor(
    req: dict[str, Any], *, entity_id: int, now: float, name: str, currency: str
) -> dict[str, Any]:
    head = {
        "Balance": ZERO,
        "Vendor1099": bool(req.get("Vendor1099", False)),
        "CurrencyRef": currency_ref(currency),
    }
    return {**head, **_person(req, entity_id, now, name)}


def build_employee(req: dict[str, Any], *, entity_id: int, now: float, name: str) -> dict[str, Any]:
    return {"BillableTime": False, **_person(req, entity_id, now, name)}


def build_item(req: dict[str, Any], *, entity_id: int, now: float) -> dict[str, Any]:
    name = str(req["Name"])
    body = {
        "Name": name,
        "Active": bool(req.get("Active", True)),
        "FullyQualifiedName": name,
        "Taxable": False,
        "UnitPrice": Decimal(str(req.get("UnitPrice", 0))),
        "Type": req.get("Type", "Service"),
        "IncomeAccountRef": account_ref(str((req.get("IncomeAccountRef") or {}).get("value", "1"))),
        "PurchaseCost": Decimal(str(req.get("PurchaseCost", 0))),
        "TrackQtyOnHand": False,
    }
    if req.get("Description"):
        body["Description"] = req["Description"]
    return {**body, **base(entity_id, now)}


def sales_line(number: int, line: dict[str, Any]) -> dict[str, Any]:
    """One invoice line: `line` has amount, item {value,name} and optional description/qty/unit_price."""
    detail: dict[str, Any] = {"ItemRef": line["item"]}
    if line.get("qty") is not None:
        detail.update({"UnitPrice": line["unit_price"], "Qty": line["qty"]})
    detail["TaxCodeRef"] = {"value": line.get("tax_code") or "NON"}
    if line.get("tax_inclusive") is not None:
        detail["TaxInclusiveAmt"] = line["tax_inclusive"]
    out: dict[str, Any] = {"Id": str(number), "LineNum": number}
    if line.get("description"):
        out["Description"] = line["description"]
    out.update({"Amount": line["amount"], "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
    return out


def _money_tail(body: dict[str, Any], total: Decimal, rate: Decimal | None) -> None:
    """ExchangeRate and Home amounts for multicurrency companies (rate None otherwise)."""
    body["TotalAmt"] = total
    if rate is not None:
        body["HomeTotalAmt"] = round2(total * rate)


def build_invoice(
    *,
    entity_id: int,
    now: float,
    doc_number: str,
    txn_date: str,
    due_date: str,
    customer: dict[str, str],
    lines: list[dict[str, Any]],
    currency: str,
    rate: Decimal | None,
    private_note: str | None = None,
    tax: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`tax`: a non-US company's {"calculation", "detail"} (TxnTaxDetail); lines then carry `tax_code`."""
    subtotal = sum((line["amount"] for line in lines), ZERO)
    total_tax = tax["detail"]["TotalTax"] if tax else ZERO
    total = subtotal + total_tax  # what the customer owes: the lines plus their tax
    body: dict[str, Any] = {
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        **_document_head(entity_id, now, doc_number, txn_date, currency, rate, private_note),
    }
    body["LinkedTxn"] = []
    body["Line"] = _sales_lines(lines, subtotal)
    if tax:
        body["GlobalTaxCalculation"] = tax["calculation"]
    body.update({"TxnTaxDetail": tax["detail"] if tax else {"TotalTax": ZERO}, "CustomerRef": customer})
    body["DueDate"] = due_date
    _sales_tail(body, total, rate)
    return body


def _document_head(
    entity_id: int, now: float, doc_number: str, txn_date: str, currency: str, rate: Decimal | None, note: str | None
) -> dict[str, Any]:
    """The fields an invoice and a credit memo open with, in QBO's order."""
    head: dict[str, Any] = {
        **base(entity_id, now),
        "CustomField": [],
        "DocNumber": doc_number,
        "TxnDate": txn_date,
        "CurrencyRef": currency_ref(currency),
    }
    if rate is not None:
        head["ExchangeRate"] = rate_value(rate)
    if note is not None:
        head["PrivateNote"] = note
    return head


def _sales_lines(lines: list[dict[str, Any]], total: Decimal) -> list[dict[str, Any]]:
    numbered = [sales_line(i, line) for i, line in enumerate(lines, 1)]
    return [*numbered, {"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}]


def _sales_tail(body: dict[str, Any], total: Decimal, rate: Decimal | None) -> None:
    _money_tail(body, total, rate)
    body.update({"ApplyTaxAfterDiscount": False, "PrintStatus": "NeedToPrint", "EmailStatus": "NotSet"})
    set_balance(body, total)


def build_credit_memo(
    *,
    entity_id: int,
    now: float,
    doc_number: str,
    txn_date: str,
    customer: dict[str, str],
    lines: list[dict[str, Any]],
    currency: str,
    rate: Decimal | None,
    private_note: str | None = None,
) -> dict[str, Any]:
    """A credit memo as Intuit documents it: the invoice's sales lines and money fields, no due date,
    no online-payment flags; `Balance` and `RemainingCredit` both start at `TotalAmt` (open credit)."""
    total = sum((line["amount"] for line in lines), ZERO)
    body = _document_head(entity_id, now, doc_number, txn_date, currency, rate, private_note)
    body["Line"] = _sales_lines(lines, total)
    body.update({"TxnTaxDetail": {"TotalTax": ZERO}, "CustomerRef": customer})
    _sales_tail(body, total, rate)
    body["RemainingCredit"] = total
    return body


def set_balance(body: dict[str, Any], balance: Decimal) -> None:
    body["Balance"] = balance
    if "ExchangeRate" in body:
        body["HomeBalance"] = round2(balance * body["ExchangeRate"])


def expense_line(number: int, line: dict[str, Any]) -> dict[str, Any]:
    detail = {"AccountRef": line["account"], "BillableStatus": "NotBillable", "TaxCodeRef": {"value": "NON"}}
    out: dict[str, Any] = {"Id": str(number), "LineNum": number}
    if line.get("description"):
        out["Description"] = line["description"]
    out.update(
        {
            "Amount": line["amount"],
            "LinkedTxn": [],
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": detail,
        }
    )
    return out


def build_bill(
    *,
    entity_id: int,
    now: float,
    txn_date: str,
    due_date: str,
    vendor: dict[str, str],
    lines: list[dict[str, Any]],
    currency: str,
    rate: Decimal | None,
    doc_number: str | None = None,
    private_note: str | None = None,
) -> dict[str, Any]:
    total = sum((line["amount"] for line in lines), ZERO)
    body: dict[str, Any] = {"DueDate": due_date, **base(entity_id, now)}
    if doc_number:
        body["DocNumber"] = doc_number
    body.update({"TxnDate": txn_date, "CurrencyRef": currency_ref(currency)})
    if rate is not None:
        body["ExchangeRate"] = rate_value(rate)
    if private_note is not None:
        body["PrivateNote"] = private_note
    body["Line"] = [expense_line(i, line) for i, line in enumerate(lines, 1)]
    body.update({"VendorRef": vendor, "APAccountRef": account_ref("33")})
    _money_tail(body, total, rate)
    set_balance(body, total)
    return body


def _payment_lines(links: list[tuple[str, Decimal]], txn_type: str) -> list[dict[str, Any]]:
    return [
        {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]} for txn_id, amount in links
    ]


def build_payment(
    *,
    entity_id: int,
    now: float,
    txn_date: str,
    customer: dict[str, str],
    total: Decimal,
    links: list[tuple[str, Decimal]],
    currency: str,
    rate: Decimal | None,
    private_note: str | None = None,
) -> dict[str, Any]:
    applied = sum((amount for _, amount in links), ZERO)
    body: dict[str, Any] = {
        "CustomerRef": customer,
        "DepositToAccountRef": {"value": "4"},
        "TotalAmt": total,
        "UnappliedAmt": total - applied,
        "ProcessPayment": False,
        **base(entity_id, now),
        "TxnDate": txn_date,
        "CurrencyRef": currency_ref(currency),
    }
    if rate is not None:
        body["ExchangeRate"] = rate_value(rate)
    if private_note is not None:
        body["PrivateNote"] = private_note
    body["Line"] = _payment_lines(links, "Invoice")
    return body


def build_bill_payment(
    *,
    entity_id: int,
    now: float,
    txn_date: str,
    vendor: dict[str, str],
    total: Decimal,
    links: list[tuple[str, Decimal]],
    currency: str,
    rate: Decimal | None,
    doc_number: str | None = None,
    private_note: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "VendorRef": vendor,
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": account_ref("35"), "PrintStatus": "NeedToPrint"},
        "TotalAmt": total,
        **base(entity_id, now),
    }
    if doc_number:
        body["DocNumber"] = doc_number
    body.update({"TxnDate": txn_date, "CurrencyRef": currency_ref(currency)})
    if rate is not None:
        body["ExchangeRate"] = rate_value(rate)
    if private_note is not None:
        body["PrivateNote"] = private_note
    body["Line"] = _payment_lines(links, "Bill")
    return body


def apply_to(target: dict[str, Any], *, txn_id: str, txn_type: str, amount: Decimal, now: float) -> None:
    """A payment (`txn_type` Payment or BillPaymentCheck) lowers the invoice's or bill's Balance."""
    set_balance(target, target["Balance"] - amount)
    target.setdefault("LinkedTxn", []).append({"TxnId": txn_id, "TxnType": txn_type})
    touch(target, now)


def void_invoice(body: dict[str, Any], now: float) -> None:
    """QBO's void: the row stays, every amount becomes 0 and PrivateNote says so."""
    for line in body["Line"]:
        line["Amount"] = ZERO
    body["TotalAmt"] = ZERO
    if "HomeTotalAmt" in body:
        body["HomeTotalAmt"] = ZERO
    set_balance(body, ZERO)
    body["PrivateNote"] = "Voided"
    touch(body, now)


def with_invoice_link(body: dict[str, Any], realm_id: str) -> dict[str, Any]:
    """`include=invoiceLink`: the customer's sharable link, which QBO gives only to an invoice that
    accepts online payment and has a `BillEmail`. Intuit's sandbox companies answer it in this form
    (`https://developer.intuit.com/comingSoonview/scs-v1-...`, as in Intuit's sample answer to a
    sparse invoice update)."""
    online = body.get("AllowOnlineCreditCardPayment") or body.get("AllowOnlineACHPayment")
    if not online or not (body.get("BillEmail") or {}).get("Address"):
        return body
    digest = hashlib.sha256(f"{realm_id}:{body['Id']}".encode()).hexdigest()
    link = f"https://developer.intuit.com/comingSoonview/scs-v1-{digest}?locale=en_US&cta=v3invoicelink"
    keys = list(body)
    at = keys.index("AllowOnlineACHPayment") + 1 if "AllowOnlineACHPayment" in keys else 0
    return dict([*body.items()][:at] + [("InvoiceLink", link)] + [*body.items()][at:])
