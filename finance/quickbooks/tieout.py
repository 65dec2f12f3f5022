"""Tie-out: the current month's open AR and AP set against QuickBooks' own aged reports.

After each successful sync, QuickBooks' AgedReceivables and AgedPayables summaries as of today are
read (two GETs at the same time: QuickBooks' batch carries entity operations and queries, not reports) and their
totals compared with ``ar_balance`` and ``ap_balance``. The reports count what V1's balances do not:
open credit memos and unapplied payments lower a customer's (vendor's) total, and journal entries
posted to the AR / AP accounts change it. The open credit memos and the unapplied part of the
window's payments are known to the sync, so a difference they explain to the cent is named as such.

The comparison functions are pure; ``tie_out`` makes the two calls. Cells of reports are strings.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from finance.money import CENT, ZERO, rounded
from finance.quickbooks.client import QuickBooksClient

REPORTS = {"ar": "AgedReceivables", "ap": "AgedPayables"}
NOT_COUNTED = "credit memos, journal entries and unapplied credits"


def report_total(report: dict) -> Decimal:
    """The grand total of an aging summary: the `Total` column of its `GrandTotal` section."""
    columns = [c.get("ColTitle", "") for c in (report.get("Columns") or {}).get("Column", [])]
    index = columns.index("Total") if "Total" in columns else len(columns) - 1
    for row in (report.get("Rows") or {}).get("Row", []):
        if row.get("group") == "GrandTotal":
            cells = (row.get("Summary") or {}).get("ColData", [])
            return cell_amount(cells[index]["value"]) if index < len(cells) else ZERO
    return ZERO


def cell_amount(value: Any) -> Decimal:
    text = str(value or "").replace(",", "").strip()
    if not text:
        return ZERO
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount in the report: {value!r}") from None


def compare(
    *, quickbooks: Decimal, ours: Decimal, credit_memos: Decimal, unapplied: Decimal, foreign_rows: int
) -> dict[str, Any]:
    """One side of the tie-out, as stored on the run (amounts as strings).

    ``difference`` is QuickBooks' total minus ours. ``explained`` is what the credits V1 does not
    count account for (they lower QuickBooks' total). Foreign-currency documents are rounded one by
    one in QuickBooks' report and summed unrounded in the figure: up to half a cent each.
    """
    credit_memos, unapplied = rounded(credit_memos), rounded(unapplied)
    difference = quickbooks - ours
    explained = -(credit_memos + unapplied)
    tolerance = CENT * foreign_rows / 2
    if difference == 0:
        status = "matches"
    elif abs(difference) <= tolerance:
        status = "rounding"
    elif difference == explained or (explained and abs(difference - explained) <= tolerance):
        status = "explained"
    else:
        status = "differs"
    return {
        "status": status,
        "quickbooks": str(quickbooks),
        "otiumwork": str(ours),
        "difference": str(difference),
        "credit_memos": str(credit_memos),
        "unapplied": str(unapplied),
        "unexplained": str(difference - explained),
    }


def tie_out(
    client: QuickBooksClient,
    *,
    today: date,
    ar_balance: Decimal,
    ap_balance: Decimal,
    credits: dict[str, Decimal],
    unapplied: dict[str, Decimal],
    foreign_rows: dict[str, int],
) -> dict[str, Any]:
    """Read both reports as of ``today``, at the same time, and compare; raises what the client raises."""
    ours = {"ar": ar_balance, "ap": ap_balance}
    result: dict[str, Any] = {"as_of": today.isoformat()}
    # Two calls in flight, not one after the other: half the waiting (Intuit allows ten per realm).
    with ThreadPoolExecutor(max_workers=len(REPORTS), thread_name_prefix="qbo-report") as pool:
        params = {"report_date": today.isoformat()}
        asked = {side: pool.submit(client.report, name, params) for side, name in REPORTS.items()}
        reports = {side: answer.result() for side, answer in asked.items()}
    for side, report in reports.items():
        result[side] = compare(
            quickbooks=report_total(report),
            ours=ours[side],
            credit_memos=credits.get(side, ZERO),
            unapplied=unapplied.get(side, ZERO),
            foreign_rows=foreign_rows.get(side, 0),
        )
    return result
