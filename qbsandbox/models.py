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
from qbsandbox.exceptions import invalid_id, object_not_found
from qbsandbox.query import parse
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
    store: Store, client_id: str, client_secret: str, redirect_uris: list[str] | None = None
) -> None:
    with store.write() as db:
        db.execute(
            "INSERT OR REPLACE INTO apps (client_id, client_secret, redirect_uris) VALUES (?, ?, ?)",
            (client_id, client_secret, json.dumps(list(redirect_uris or []))),
        )


def get_app(store: Store, client_id: str) -> dict[str, Any] | None:
    row = store.read().execute("SELECT * FROM apps WHERE client_id = ?", (client_id,)).fetchone()
    if row is None:
        return None
    return {
        "client_id": row["client_id"],
        "client_secret": row["client_secret"],
        "redirect_uris": json.loads(row["redirect_uris"]),
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


def create_realm(
    store: Store,
    *,
    name: str,
    currency: str = "USD",
    multicurrency: bool = False,
    seed: int = 0,
    size: int = 0,
    today: str | None = None,
    realm_id: str | None = None,
) -> str:
    """A new company filled with `size` generated transactions; returns its realm id."""
    from qbsandbox.generate import generate_realm  # generate builds on this module

    return generate_realm(
        store,
        name=name,
        currency=currency,
        seed=seed,
        size=size,
        today=today,
        multicurrency=multicurrency,
        realm_id=realm_id or new_realm_id(),
    )


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


# -- faults and call counts ------------------------------------------------------------------------
FAULT_KINDS = ("throttle", "error", "hang", "revoke", "oauth_error", "oauth_hang")
# oauth_* faults hit the token and revoke endpoints (for tokens of the realm); the others hit the
# Accounting API of the realm.
OAUTH_FAULT_PREFIX = "oauth_"


def inject_fault(
    store: Store,
    realm_id: str,
    kind: str,
    *,
    count: int = 1,
    after: int = 0,
    seconds: float = 30,
    retry_after: int | None = None,
) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if kind == "revoke" and after == 0:
        from qbsandbox.tokens import revoke_realm

        revoke_realm(store, realm_id)
        return
    with store.write() as db:
        db.execute(
            "INSERT INTO faults (realm_id, kind, remaining, skip, seconds, retry_after) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (realm_id, kind, count, after, seconds, retry_after),
        )


def take_fault(store: Store, realm_id: str, *, oauth: bool = False) -> dict[str, Any] | None:
    """The fault this call must suffer, if any: every queued fault first lets its `after` calls pass.

    `oauth` picks the faults of the token/revoke endpoints instead of the Accounting API's."""
    kind_filter = "kind LIKE 'oauth\\_%' ESCAPE '\\'" if oauth else "kind NOT LIKE 'oauth\\_%' ESCAPE '\\'"
    with store.write() as db:
        rows = db.execute(
            f"SELECT * FROM faults WHERE realm_id = ? AND remaining > 0 AND {kind_filter} ORDER BY seq",  # noqa: S608
            (realm_id,),
        ).fetchall()
        for row in rows:
            if row["skip"] > 0:
                db.execute("UPDATE faults SET skip = skip - 1 WHERE seq = ?", (row["seq"],))
                continue
            db.execute("UPDATE faults SET remaining = remaining - 1 WHERE seq = ?", (row["seq"],))
            return dict(row)
    return None


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
def entity_row(realm_id: str, entity: str, body: dict[str, Any]) -> tuple[Any, ...]:
    columns = index_columns(entity, body)
    return (realm_id, entity, int(body["Id"]), *[columns[c] for c in COLUMNS], dumps(body))


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
    if not str(entity_id).isdigit():
        return None
    row = db.execute(
        "SELECT body FROM entities WHERE realm_id = ? AND type = ? AND id = ?",
        (realm_id, entity, int(entity_id)),
    ).fetchone()
    return loads(row["body"]) if row else None


def read_entity(store: Store, realm_id: str, entity: str, entity_id: str) -> dict[str, Any]:
    if not entity_id.isdigit():
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


def _project(body: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        return body
    wanted = {f.split(".")[0].lower() for f in fields} | {"id", "synctoken", "domain", "sparse", "metadata"}
    return {key: value for key, value in body.items() if key.lower() in wanted}


def stored_types() -> set[str]:
    return set(catalog.FILTERABLE) | {"CompanyInfo", "Preferences"}
