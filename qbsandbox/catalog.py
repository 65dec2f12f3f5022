"""Which entities the sandbox knows, which of their fields a query may filter on, and how those
fields map to indexed SQL columns; plus the WHERE/ORDER BY translation of a parsed `Query`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from qbsandbox.clock import parse_moment
from qbsandbox.exceptions import query_invalid
from qbsandbox.query import Condition, Query

# Entities QBO answers queries for; the ones the sandbox does not store simply have no rows.
KNOWN = {
    "Account",
    "Attachable",
    "Bill",
    "BillPayment",
    "Budget",
    "Class",
    "CompanyCurrency",
    "CompanyInfo",
    "CreditMemo",
    "Customer",
    "CustomerType",
    "Department",
    "Deposit",
    "Employee",
    "Estimate",
    "ExchangeRate",
    "Invoice",
    "Item",
    "JournalEntry",
    "Payment",
    "PaymentMethod",
    "Preferences",
    "Purchase",
    "PurchaseOrder",
    "RefundReceipt",
    "SalesReceipt",
    "TaxAgency",
    "TaxCode",
    "TaxRate",
    "Term",
    "TimeActivity",
    "Transfer",
    "Vendor",
    "VendorCredit",
}
BY_LOWER = {name.lower(): name for name in KNOWN}
CREATABLE = {
    "Customer",
    "Vendor",
    "Employee",
    "Item",
    "Invoice",
    "CreditMemo",
    "Payment",
    "Bill",
    "BillPayment",
}
# Standard lists every company holds (a few dozen rows each): filtered in Python on these fields
# (plus Id and MetaData times) instead of through indexed columns. ExchangeRate rows are computed.
REFERENCE: dict[str, set[str]] = {
    "Account": {
        "Name", "FullyQualifiedName", "AccountType", "AccountSubType", "Classification", "Active", "AcctNum",
        "SubAccount", "CurrentBalance",
    },
    "PaymentMethod": {"Name", "Type", "Active"},
    "TaxCode": {"Name", "Active", "Taxable", "TaxGroup"},
    "TaxRate": {"Name", "Active", "RateValue"},
    "TaxAgency": {"DisplayName"},
    "CompanyCurrency": {"Code", "Name", "Active"},
    "ExchangeRate": {"SourceCurrencyCode", "TargetCurrencyCode", "AsOfDate"},
}
NAME_LISTS = {"Customer", "Vendor", "Employee", "Item"}  # queries see only Active rows by default
PEOPLE = {"Customer", "Vendor", "Employee"}  # DisplayName is unique across these

_COMMON = {
    "Id": ("id", "id"),
    "MetaData.CreateTime": ("create_time", "time"),
    "MetaData.LastUpdatedTime": ("updated_time", "time"),
}
_PERSON = {
    "DisplayName": ("name", "text"),
    "FullyQualifiedName": ("name", "text"),
    "Active": ("active", "bool"),
}
_TXN = {"TxnDate": ("txn_date", "date"), "TotalAmt": ("total", "money"), "DocNumber": ("doc_number", "text")}
FILTERABLE: dict[str, dict[str, tuple[str, str]]] = {
    "Customer": {**_PERSON, "Balance": ("balance", "money")},
    "Vendor": {**_PERSON, "Balance": ("balance", "money")},
    "Employee": dict(_PERSON),
    "Item": {"Name": ("name", "text"), "FullyQualifiedName": ("name", "text"), "Active": ("active", "bool")},
    "Invoice": {
        **_TXN,
        "DueDate": ("due_date", "date"),
        "Balance": ("balance", "money"),
        "CustomerRef": ("customer_ref", "id"),
    },
    "CreditMemo": {**_TXN, "Balance": ("balance", "money"), "CustomerRef": ("customer_ref", "id")},
    "Payment": {**_TXN, "CustomerRef": ("customer_ref", "id")},
    "Bill": {
        **_TXN,
        "DueDate": ("due_date", "date"),
        "Balance": ("balance", "money"),
        "VendorRef": ("vendor_ref", "id"),
    },
    "BillPayment": {**_TXN, "VendorRef": ("vendor_ref", "id")},
}
COLUMNS = (
    "txn_date",
    "due_date",
    "balance",
    "total",
    "doc_number",
    "name",
    "active",
    "customer_ref",
    "vendor_ref",
    "create_time",
    "updated_time",
)


def entity_name(raw: str) -> str:
    name = BY_LOWER.get(raw.lower())
    if name is None:
        raise query_invalid(f"invalid context declaration: {raw}")
    return name


def field_column(entity: str, name: str) -> tuple[str, str]:
    fields = {**_COMMON, **FILTERABLE.get(entity, {})}
    for key, column in fields.items():
        if key.lower() == name.lower():
            return column
    raise query_invalid(f"property '{name}' is not queryable")


def cents(value: Any) -> int | None:
    if value is None:
        return None
    return int((Decimal(str(value)) * 100).to_integral_value())


def index_columns(entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of one stored entity, taken from its QBO body."""
    meta = body.get("MetaData", {})
    name = body.get("DisplayName") if entity in PEOPLE else body.get("Name")
    return {
        "txn_date": body.get("TxnDate"),
        "due_date": body.get("DueDate"),
        "balance": cents(body.get("Balance")),
        "total": cents(body.get("TotalAmt")),
        "doc_number": body.get("DocNumber"),
        "name": name,
        "active": None if "Active" not in body else int(bool(body["Active"])),
        "customer_ref": _ref(body, "CustomerRef"),
        "vendor_ref": _ref(body, "VendorRef"),
        "create_time": _moment(meta.get("CreateTime")),
        "updated_time": _moment(meta.get("LastUpdatedTime")),
    }


def _ref(body: dict[str, Any], key: str) -> int | None:
    value = (body.get(key) or {}).get("value")
    return int(value) if value is not None and str(value).isdigit() else None


def _moment(text: str | None) -> float | None:
    return parse_moment(text) if text else None


def _convert(kind: str, value: Any) -> Any:
    try:
        if kind == "id":
            return int(str(value)) if str(value).lstrip("-").isdigit() else -1
        if kind == "money":
            return cents(value)
        if kind == "bool":
            return int(value if isinstance(value, bool) else str(value).lower() == "true")
        if kind == "time":
            return parse_moment(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise query_invalid(f"invalid value {value!r}") from exc
    return str(value)


def where_sql(entity: str, conditions: list[Condition]) -> tuple[list[str], list[Any]]:
    """SQL predicates (on whitelisted columns only) and their bound parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for cond in conditions:
        column, kind = field_column(entity, cond.field)
        values = [_convert(kind, v) for v in cond.values]
        if cond.op == "IN":
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        elif cond.op == "LIKE":
            clauses.append(f"{column} LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(str(cond.values[0])))
        else:
            clauses.append(f"{column} {cond.op} ?")
            params.append(values[0])
    if entity in NAME_LISTS and not any(c.field.lower() == "active" for c in conditions):
        clauses.append("active = 1")
    return clauses, params


def _like_pattern(text: str) -> str:
    return text.replace("\\", "\\\\").replace("_", "\\_")


def order_sql(query: Query) -> str:
    parts = [
        f"{field_column(query.entity, name)[0]} {'DESC' if desc else 'ASC'}" for name, desc in query.order
    ]
    return ", ".join([*parts, "id ASC"])
