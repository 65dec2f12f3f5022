"""Queries over the standard lists (Account, PaymentMethod, TaxCode, TaxRate, TaxAgency, CompanyCurrency,
ExchangeRate): WHERE, ORDERBY and paging evaluated on the bodies in Python.

These lists are tens of rows, so any of their fields may be filtered on without an indexed column;
the big entities keep the SQL path of `catalog`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from qbsandbox.catalog import REFERENCE
from qbsandbox.exceptions import query_invalid
from qbsandbox.query import Condition, Query

_COMMON = {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}
# QuickBooks answers a TaxCode query with every row from STARTPOSITION on, whatever MAXRESULTS says:
# a known QuickBooks bug ("setting MAXRESULTS on TaxCode query returns incorrect number of records",
# quoted in python-quickbooks' own integration suite, tests/integration/test_taxcode.py).
IGNORES_MAXRESULTS = {"TaxCode"}


def _field(entity: str, name: str) -> str:
    for known in REFERENCE[entity] | _COMMON:
        if known.lower() == name.lower():
            return known
    raise query_invalid(f"property '{name}' is not queryable")


def _value(body: dict[str, Any], field: str) -> Any:
    value: Any = body
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _comparable(value: Any) -> Any:
    """Numbers compare as numbers, booleans as booleans, everything else as text."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def _matches(body: dict[str, Any], field: str, cond: Condition) -> bool:
    actual = _comparable(_value(body, field))
    if cond.op == "LIKE":
        pattern = "".join(".*" if ch == "%" else re.escape(ch) for ch in str(cond.values[0]))
        return re.fullmatch(pattern, str(_value(body, field) or ""), re.I | re.S) is not None
    wanted = [_comparable(v) for v in cond.values]
    if cond.op == "IN":
        return actual in wanted
    if cond.op in ("=", "!="):
        return (actual == wanted[0]) == (cond.op == "=")
    if actual is None or type(actual) is not type(wanted[0]):
        return False
    return {"<": actual < wanted[0], ">": actual > wanted[0], "<=": actual <= wanted[0], ">=": actual >= wanted[0]}[
        cond.op
    ]


def filter_rows(entity: str, rows: list[dict[str, Any]], where: list[Condition]) -> list[dict[str, Any]]:
    """The rows matching every condition; lists with `Active` show only active rows unless it is named."""
    checks = [(_field(entity, cond.field), cond) for cond in where]
    if "Active" in REFERENCE[entity] and not any(field == "Active" for field, _ in checks):
        rows = [row for row in rows if row.get("Active", True)]
    return [row for row in rows if all(_matches(row, field, cond) for field, cond in checks)]


def page_rows(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for name, descending in reversed(query.order):
        field = _field(query.entity, name)
        rows = sorted(rows, key=lambda row: str(_comparable(_value(row, field))), reverse=descending)
    start = query.start - 1
    if query.entity in IGNORES_MAXRESULTS:
        return rows[start:]
    return rows[start : start + query.max_results]
