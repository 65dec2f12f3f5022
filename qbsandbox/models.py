"""Per-realm state of the sandbox, as functions named after what QBO (or the sandbox's control API)
does: register_app, create_realm, read_entity, query_entities, create_entity, inject_fault...

These are the in-process equivalent of the `/_sandbox/` control API: tests that run the WSGI app in
their own process may call them directly with the app's `Store`.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from qbsandbox import catalog
from qbsandbox.catalog import COLUMNS, entity_name, index_columns, order_sql, where_sql
from qbsandbox.clock import meta_time
from qbsandbox.entities import exchange_rate
from qbsandbox.exceptions import invalid_id, object_not_found
from qbsandbox.query import Query, parse
from qbsandbox.reference import filter_rows, page_rows
from qbsandbox.responses import RawJSON, dumps, loads
from qbsandbox.store import Store

COUNTRIES = {
    "USD": ("US", "America/Los_Angeles"),
    "INR": ("IN", "Asia/Kolkata"),
    "CHF": ("CH", "Europe/Zurich"),
    "EUR": ("DE", "Europe/Berlin"),
    "GBP": ("GB", "Europe/London"),
    "CAD": ("CA", "America/Toronto"),
}
_INSERT = (
    f"INSERT OR REPLACE INTO entities (realm_id, type, id, {', '.join(COLUMNS)}, body) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 4))})"
)


# -- apps ------------------------------------------------------------------------------------------
def register_app(
    store: Store,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str] | None = None,
    *,
    rotate_refresh_tokens: bool = False,
) -> None:
    """`rotate_refresh_tokens`: every refresh returns a new refresh token and retires the old one at
    once (the harder case for a client), instead of Intuit's same-value-for-a-day."""
    with store.write() as db:
        db.execute(
            "INSERT OR REPLACE INTO apps (client_id, client_secret, redirect_uris, rotate_refresh) "
            "VALUES (?, ?, ?, ?)",
            (client_id, client_secret, json.dumps(list(redirect_uris or [])), int(rotate_refresh_tokens)),
        )


def get_app(store: Store, client_id: str) -> dict[str, Any] | None:
    row = store.read().execute("SELECT * FROM apps WHERE client_id = ?", (client_id,)).fetchone()
    if row is None:
        return None
    return {
        "client_id": row["client_id"],
        "client_secret": row["client_secret"],
        "redirect_uris": json.loads(row["redirect_uris"]),
        "rotate_refresh_tokens": bool(row["rotate_refresh"]),
    }


# -- realms ----------------------------------------------------------------------------------------
def new_realm_id() -> str:
    return "9341" + "".join(secrets.choice("0123456789") for _ in range(12))


def add_realm(store: Store, realm_id: str, *, name: str, currency: str, multicurrency: bool) -> None:
    """The realm row only; `generate.generate_realm` fills it with data."""
    country, zone = COUNTRIES.get(currency, ("US", "America/Los_Angeles"))
    with store.write() as db:
        db.execute(
            "INSERT INTO realms (id, name, currency, multicurrency, country, timezone, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (realm_id, name, currency, int(multicurrency), country, zone, datetime.now().isoformat()),
        )


def get_realm(store: Store, realm_id: str) -> dict[str, Any] | None:
    row = store.read().execute("SELECT * FROM realms WHERE id = ?", (realm_id,)).fetchone()
    return _realm_dict(row) if row else None


def list_realms(store: Store) -> list[dict[str, Any]]:
    rows = store.read().execute("SELECT * FROM realms ORDER BY created_at, id").fetchall()
    return [_realm_dict(row) for row in rows]


def _realm_dict(row: Any) -> dict[str, Any]:
    return {
        "realm_id": row["id"],
        "name": row["name"],
        "currency": row["currency"],
        "multicurrency": bool(row["multicurrency"]),
        "country": row["country"],
        "timezone": row["timezone"],
        "clock_offset_seconds": row["clock_offset"],
    }


# -- clock -----------------------------------------------------------------------------------------
def advance_clock(store: Store, seconds: float, realm_id: str | None = None) -> None:
    set_clock_offset(
        store,
        store.clock_offset(None) + seconds if realm_id is None else _realm_offset(store, realm_id) + seconds,
        realm_id,
    )


def set_clock_offset(store: Store, seconds: float, realm_id: str | None = None) -> None:
    if realm_id is None:
        store.set_meta("clock_offset", str(float(seconds)))
        return
    with store.write() as db:
        db.execute("UPDATE realms SET clock_offset = ? WHERE id = ?", (float(seconds), realm_id))


def _realm_offset(store: Store, realm_id: str) -> float:
    row = store.read().execute("SELECT clock_offset FROM realms WHERE id = ?", (realm_id,)).fetchone()
    return row["clock_offset"] if row else 0.0


def clock(store: Store, realm_id: str | None = None) -> dict[str, Any]:
    return {"offset_seconds": store.clock_offset(realm_id), "now": store.now_dt(realm_id).isoformat()}


# -- call counts ---------------------------------------------------------------------------------
def count_call(store: Store, realm_id: str, kind: str) -> None:
    with store.write() as db:
        db.execute(
            "INSERT INTO calls (realm_id, kind, count) VALUES (?, ?, 1) "
            "ON CONFLICT (realm_id, kind) DO UPDATE SET count = count + 1",
            (realm_id, kind),
        )


def calls(store: Store, realm_id: str) -> dict[str, int]:
    rows = store.read().execute("SELECT kind, count FROM calls WHERE realm_id = ?", (realm_id,)).fetchall()
    counts = {row["kind"]: row["count"] for row in rows}
    return {"total": sum(counts.values()), **counts}


# -- request ids (idempotent writes) ---------------------------------------------------------------
def recall_request(store: Store, realm_id: str, request_id: str) -> tuple[int, str] | None:
    row = (
        store.read()
        .execute(
            "SELECT status, body FROM request_ids WHERE realm_id = ? AND request_id = ?",
            (realm_id, request_id),
        )
        .fetchone()
    )
    return (row["status"], row["body"]) if row else None


def remember_request(store: Store, realm_id: str, request_id: str, status: int, body: str) -> None:
    with store.write() as db:
        db.execute(
            "INSERT OR IGNORE INTO request_ids (realm_id, request_id, status, body) VALUES (?, ?, ?, ?)",
            (realm_id, request_id, status, body),
        )


# -- entities --------------------------------------------------------------------------------------
# QuickBooks' US sales-tax pseudo-codes have words for Ids; the table's key is an integer, so they are
# stored under negative numbers (ordered TAX, NON before the numbered codes, as QBO lists them).
PSEUDO_IDS = {"TAX": -2, "NON": -1}


def storage_id(entity_id: Any) -> int | None:
    """The integer key of an entity Id (None when it cannot be one)."""
    text = str(entity_id)
    if text.isdigit():
        return int(text)
    return PSEUDO_IDS.get(text)


def entity_row(realm_id: str, entity: str, body: dict[str, Any]) -> tuple[Any, ...]:
    columns = index_columns(entity, body)
    return (realm_id, entity, storage_id(body["Id"]), *[columns[c] for c in COLUMNS], dumps(body))


def save_entities(db: Any, realm_id: str, entity: str, bodies: list[dict[str, Any]]) -> None:
    db.executemany(_INSERT, [entity_row(realm_id, entity, body) for body in bodies])


def take_ids(db: Any, realm_id: str, count: int = 1) -> int:
    """Reserve `count` consecutive entity ids in the realm; returns the first."""
    first = db.execute("SELECT next_id FROM realms WHERE id = ?", (realm_id,)).fetchone()["next_id"]
    db.execute("UPDATE realms SET next_id = ? WHERE id = ?", (first + count, realm_id))
    return int(first)


def take_doc_number(db: Any, realm_id: str) -> str:
    number = db.execute("SELECT next_doc FROM realms WHERE id = ?", (realm_id,)).fetchone()["next_doc"]
    db.execute("UPDATE realms SET next_doc = next_doc + 1 WHERE id = ?", (realm_id,))
    return str(number)


def load_entity(db: Any, realm_id: str, entity: str, entity_id: Any) -> dict[str, Any] | None:
    key = storage_id(entity_id)
    if key is None:
        return None
    row = db.execute(
        "SELECT body FROM entities WHERE realm_id = ? AND type = ? AND id = ?",
        (realm_id, entity, key),
    ).fetchone()
    return loads(row["body"]) if row else None


def delete_entity(db: Any, realm_id: str, entity: str, entity_id: Any, *, when: float | None = None) -> None:
    """Remove the row; ``when`` (a delete through the API) also keeps the Id and time for change data
    capture, which reports deleted entities."""
    db.execute(
        "DELETE FROM entities WHERE realm_id = ? AND type = ? AND id = ?",
        (realm_id, entity, storage_id(entity_id)),
    )
    if when is not None:
        db.execute(
            "INSERT OR REPLACE INTO deletions (realm_id, type, id, deleted_time) VALUES (?, ?, ?, ?)",
            (realm_id, entity, storage_id(entity_id), when),
        )


def read_entity(store: Store, realm_id: str, entity: str, entity_id: str) -> dict[str, Any]:
    if storage_id(entity_id) is None:
        raise invalid_id(entity_id)
    body = load_entity(store.read(), realm_id, entity, entity_id)
    if body is None:
        raise object_not_found()
    return body


def query_entities(store: Store, realm_id: str, text: str, *, raw: bool = False) -> dict[str, Any]:
    """The `QueryResponse` object of a query, exactly as QBO shapes it.

    `raw`: rows of a `SELECT *` come back as their stored JSON text (RawJSON), for the wire."""
    query = parse(text)
    query.entity = entity_name(query.entity)
    if query.entity in catalog.REFERENCE:
        return _query_reference(store, realm_id, query)
    if query.entity not in stored_types():  # QBO knows it; the sandbox keeps none of them
        return {"totalCount": 0} if query.count else {}
    clauses, params = where_sql(query.entity, query.where)
    where = " AND ".join(["realm_id = ?", "type = ?", *clauses])
    params = [realm_id, query.entity, *params]
    db = store.read()
    if query.count:
        total = db.execute(f"SELECT COUNT(*) FROM entities WHERE {where}", params).fetchone()[0]  # noqa: S608
        return {"totalCount": total}
    # Column names come from catalog's whitelist; every value is a bound parameter.
    sql = f"SELECT body FROM entities WHERE {where} ORDER BY {order_sql(query)} LIMIT ? OFFSET ?"  # noqa: S608
    rows = db.execute(sql, [*params, query.max_results, query.start - 1]).fetchall()
    if not rows:
        return {}
    if raw and not query.fields:
        bodies: list[Any] = [RawJSON(row["body"]) for row in rows]
    else:
        bodies = [_project(loads(row["body"]), query.fields) for row in rows]
    return {query.entity: bodies, "startPosition": query.start, "maxResults": len(bodies)}


def _query_reference(store: Store, realm_id: str, query: Query) -> dict[str, Any]:
    """A standard list (accounts, tax codes...): a few dozen rows, filtered and sorted in Python, so
    any of their fields may be filtered on without an indexed column."""
    rows = filter_rows(query.entity, _reference_rows(store, realm_id, query.entity), query.where)
    if query.count:
        return {"totalCount": len(rows)}
    page = page_rows(query, rows)
    if not page:
        return {}
    bodies = [_project(body, query.fields) for body in page]
    return {query.entity: bodies, "startPosition": query.start, "maxResults": len(bodies)}


def _reference_rows(store: Store, realm_id: str, entity: str) -> list[dict[str, Any]]:
    if entity == "ExchangeRate":
        return exchange_rates(store, realm_id)
    rows = store.read().execute(
        "SELECT body FROM entities WHERE realm_id = ? AND type = ? ORDER BY id", (realm_id, entity)
    )
    return [loads(row["body"]) for row in rows]


def exchange_rates(store: Store, realm_id: str, as_of: str | None = None) -> list[dict[str, Any]]:
    """One rate per currency of a multicurrency company, into its home currency, from the fixed table."""
    realm = get_realm(store, realm_id)
    if realm is None or not realm["multicurrency"]:
        return []
    day, stamp = as_of or store.today(realm_id), meta_time(store.now(realm_id))
    currencies = _reference_rows(store, realm_id, "CompanyCurrency")
    return [
        {
            "SourceCurrencyCode": row["Code"],
            "TargetCurrencyCode": realm["currency"],
            "Rate": exchange_rate(row["Code"], realm["currency"]),
            "AsOfDate": day,
            "domain": "QBO",
            "sparse": False,
            "SyncToken": "0",
            "MetaData": {"LastUpdatedTime": stamp},
        }
        for row in currencies
        if row.get("Active", True)
    ]


def _project(body: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        return body
    wanted = {f.split(".")[0].lower() for f in fields} | {"id", "synctoken", "domain", "sparse", "metadata"}
    return {key: value for key, value in body.items() if key.lower() in wanted}


def stored_types() -> set[str]:
    return set(catalog.FILTERABLE) | set(catalog.REFERENCE) | {"CompanyInfo", "Preferences"}
