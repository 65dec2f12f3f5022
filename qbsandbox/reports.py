"""The Reports API's aging summaries, computed from the realm's own rows:
`GET /v3/company/{realmId}/reports/AgedReceivables|AgedPayables`.

As of `report_date`, a customer's (vendor's) open items are its invoices (bills) dated on or before that
day with what was still unpaid that day, minus its open credit memos and the unapplied part of its
payments (bill payments). Each item ages by the days between its due date (credit memos and payments:
their own date) and `report_date`: `Current` (not yet due), then `num_periods` columns of `aging_period`
days, the last one open-ended (`91 and over` with the defaults). Amounts are in the home currency
(foreign documents at their own `ExchangeRate`), written as report cells are: strings with two decimals.

The JSON follows Intuit's published samples of the aged reports and the Header
rules the other report samples show: without `report_date`, `DateMacro` "today" and `StartPeriod` =
`EndPeriod` = today; with it, neither `DateMacro` nor `StartPeriod`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from qbsandbox.clock import meta_time
from qbsandbox.entities import ZERO, round2
from qbsandbox.exceptions import QboFault
from qbsandbox.responses import loads
from qbsandbox.store import Store


@dataclass(frozen=True)
class Aging:
    """Which documents make one aging report."""

    party: str  # Customer | Vendor: the first column's ColType and the row's entity
    party_ref: str  # CustomerRef | VendorRef
    party_column: str  # customer_ref | vendor_ref (indexed)
    document: str  # Invoice | Bill: positive, aged by DueDate
    payment: str  # Payment | BillPayment: lowers documents; its unapplied part is negative
    credits: tuple[str, ...]  # open credits, negative, aged by TxnDate (CreditMemo)
    filter_param: str  # customer | vendor


AGING = {
    "AgedReceivables": Aging(
        "Customer", "CustomerRef", "customer_ref", "Invoice", "Payment", ("CreditMemo",), "customer"
    ),
    "AgedPayables": Aging("Vendor", "VendorRef", "vendor_ref", "Bill", "BillPayment", (), "vendor"),
}


@dataclass
class Params:
    report_date: date
    explicit_date: bool
    aging_period: int
    num_periods: int
    parties: set[str] | None


def aging_report(store: Store, realm_id: str, name: str, query: dict[str, str]) -> dict[str, Any]:
    """The report body (no envelope: reports have none)."""
    kind = AGING[name]
    params = _params(store, realm_id, kind, query)
    titles = bucket_titles(params.aging_period, params.num_periods)
    amounts = _open_items(store, realm_id, kind, params)
    names = _party_names(store, realm_id, kind.party, set(amounts))
    rows: list[dict[str, Any]] = []
    totals = [ZERO] * (len(titles) + 1)
    for party_id in sorted(amounts, key=lambda pid: (names.get(pid, "").casefold(), int(pid))):
        buckets = amounts[party_id]
        if not any(buckets):
            continue
        cells = [*buckets, sum(buckets, ZERO)]
        totals = [a + b for a, b in zip(totals, cells, strict=True)]
        rows.append(
            {
                "ColData": [
                    {"id": party_id, "value": names.get(party_id, "")},
                    *({"value": _cell(v, blank_zero=True)} for v in cells),
                ]
            }
        )
    summary = [{"value": "TOTAL"}, *({"value": _cell(v) if rows else ""} for v in totals)]
    rows.append({"group": "GrandTotal", "type": "Section", "Summary": {"ColData": summary}})
    columns = [{"ColType": kind.party, "ColTitle": ""}]
    columns += [{"ColType": "Money", "ColTitle": title} for title in [*titles, "Total"]]
    return {
        "Header": _header(store, realm_id, name, kind, params, has_data=len(rows) > 1),
        "Columns": {"Column": columns},
        "Rows": {"Row": rows},
    }


def bucket_titles(aging_period: int, num_periods: int) -> list[str]:
    """`Current`, `1 - 30`, `31 - 60`, `61 - 90`, `91 and over` for 30 days and 4 periods."""
    titles = ["Current"]
    titles += [f"{i * aging_period + 1} - {(i + 1) * aging_period}" for i in range(num_periods - 1)]
    titles.append(f"{(num_periods - 1) * aging_period + 1} and over")
    return titles


def bucket_index(due: str, params: Params) -> int:
    """0 for Current, then 1..num_periods by days past due."""
    days = (params.report_date - date.fromisoformat(due[:10])).days
    if days <= 0:
        return 0
    return 1 + min((days - 1) // params.aging_period, params.num_periods - 1)


def _cell(value: Decimal, blank_zero: bool = False) -> str:
    if value == 0 and blank_zero:
        return ""
    return f"{round2(value):.2f}"


# -- parameters ------------------------------------------------------------------------------------
def _params(store: Store, realm_id: str, kind: Aging, query: dict[str, str]) -> Params:
    raw_date = query.get("report_date", "").strip()
    try:
        report_date = date.fromisoformat(raw_date) if raw_date else date.fromisoformat(store.today(realm_id))
    except ValueError as exc:
        raise _invalid("report_date", raw_date) from exc
    ids = query.get(kind.filter_param, "").strip()
    return Params(
        report_date=report_date,
        explicit_date=bool(raw_date),
        aging_period=_positive(query, "aging_period", 30),
        num_periods=_positive(query, "num_periods", 4),
        parties={part.strip() for part in ids.split(",") if part.strip()} if ids else None,
    )


def _positive(query: dict[str, str], key: str, default: int) -> int:
    raw = query.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _invalid(key, raw)
    return int(raw)


def _invalid(key: str, value: str) -> QboFault:
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:{key} has an invalid value: {value}",
        key,
    )


def _header(store: Store, realm_id: str, name: str, kind: Aging, params: Params, *, has_data: bool) -> dict[str, Any]:
    realm = store.read().execute("SELECT currency FROM realms WHERE id = ?", (realm_id,)).fetchone()
    day = params.report_date.isoformat()
    header: dict[str, Any] = {"Time": meta_time(store.now(realm_id)), "ReportName": name}
    if not params.explicit_date:
        header.update({"DateMacro": "today", "StartPeriod": day})
    header.update({"EndPeriod": day, "Currency": realm["currency"] if realm else "USD"})
    if params.parties is not None:
        header[kind.party] = ",".join(sorted(params.parties, key=lambda v: (len(v), v)))
    header["Option"] = [
        {"Name": "report_date", "Value": day},
        {"Name": "NoReportData", "Value": "false" if has_data else "true"},
    ]
    return header


# -- the realm's open items ------------------------------------------------------------------------
def _bodies(store: Store, realm_id: str, entity: str, where: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = store.read().execute(
        f"SELECT body FROM entities WHERE realm_id = ? AND type = ? AND {where}",  # noqa: S608 - fixed clauses
        [realm_id, entity, *params],
    )
    return [loads(row["body"]) for row in rows]


def _home(amount: Decimal, body: dict[str, Any]) -> Decimal:
    rate = body.get("ExchangeRate")
    return amount if rate is None else round2(amount * Decimal(str(rate)))


def _open_items(store: Store, realm_id: str, kind: Aging, params: Params) -> dict[str, list[Decimal]]:
    """Per party id, the home-currency amount in each bucket (Current first)."""
    day = params.report_date.isoformat()
    amounts: dict[str, list[Decimal]] = {}

    def add(body: dict[str, Any], amount: Decimal, due: str) -> None:
        party_id = str(body[kind.party_ref]["value"])
        if params.parties is not None and party_id not in params.parties:
            return
        buckets = amounts.setdefault(party_id, [ZERO] * (params.num_periods + 1))
        buckets[bucket_index(due, params)] += _home(amount, body)

    # What payments dated after report_date took off a document was still open that day.
    paid_later: dict[str, Decimal] = {}
    for payment in _bodies(store, realm_id, kind.payment, "txn_date > ?", [day]):
        for line in payment.get("Line") or []:
            for linked in line.get("LinkedTxn") or []:
                if linked.get("TxnType") == kind.document:
                    txn_id = str(linked["TxnId"])
                    paid_later[txn_id] = paid_later.get(txn_id, ZERO) + line["Amount"]
    later = sorted(int(txn_id) for txn_id in paid_later if txn_id.isdigit())
    if len(later) > 500:  # a report date far back: read every document of the period
        documents = _bodies(store, realm_id, kind.document, "txn_date <= ?", [day])
    else:
        also = f" OR id IN ({', '.join('?' * len(later))})" if later else ""
        documents = _bodies(store, realm_id, kind.document, f"txn_date <= ? AND (balance != 0{also})", [day, *later])
    for document in documents:
        open_then = document["Balance"] + paid_later.get(document["Id"], ZERO)
        if open_then:
            add(document, open_then, document.get("DueDate") or document["TxnDate"])
    for entity in kind.credits:
        for credit in _bodies(store, realm_id, entity, "txn_date <= ? AND balance != 0", [day]):
            add(credit, -credit["Balance"], credit["TxnDate"])
    for payment in _bodies(store, realm_id, kind.payment, "txn_date <= ?", [day]):
        applied = sum((line["Amount"] for line in payment.get("Line") or []), ZERO)
        unapplied = payment["TotalAmt"] - applied
        if unapplied:
            add(payment, -unapplied, payment["TxnDate"])
    return amounts


def _party_names(store: Store, realm_id: str, entity: str, ids: set[str]) -> dict[str, str]:
    """Current display names (inactive parties included, as QBO's reports show them)."""
    if not ids:
        return {}
    rows = store.read().execute("SELECT id, name FROM entities WHERE realm_id = ? AND type = ?", (realm_id, entity))
    return {str(row["id"]): row["name"] or "" for row in rows if str(row["id"]) in ids}
