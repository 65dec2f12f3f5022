"""Change data capture: `GET /v3/company/{realmId}/cdc?entities=Invoice,Payment&changedSince=...`.

What QBO answers (shapes of Intuit's CDC samples): one `CDCResponse` element whose `QueryResponse`
is an array with one slot per requested entity, in the requested order; a slot is `{}` when nothing
of that entity changed, else `{"<Entity>": [...], "startPosition": 1, "maxResults": n}`. A changed
entity comes as its full body, oldest change first; a deleted one as
`{"domain": "QBO", "status": "Deleted", "Id": ..., "MetaData": {"LastUpdatedTime": ...}}`. At
most 1,000 objects of each entity come back; a missing or unknown entity name, or a missing or
unreadable `changedSince`, is a SystemFault 10000 sent with HTTP 200, as QBO sends it.
"""

from __future__ import annotations

from typing import Any

from qbsandbox.catalog import BY_LOWER
from qbsandbox.clock import meta_time, parse_moment
from qbsandbox.exceptions import QboFault
from qbsandbox.models import loads, stored_types
from qbsandbox.store import Store

MAX_OBJECTS = 1000


def system_failure(detail: str) -> QboFault:
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        f"System Failure Error: java.lang.IllegalArgumentException: {detail}",
        "SystemFailureError",
        fault_type="SystemFault",
        status=200,
    )


def requested_entities(raw: str | None) -> list[str]:
    """The `entities` parameter as QBO names, in the order given (case does not matter)."""
    if not raw or not raw.strip():
        raise system_failure("entities is required")
    names = []
    for part in raw.split(","):
        name = BY_LOWER.get(part.strip().lower())
        if name is None:
            raise system_failure(f"Invalid entity supplied : entity={part.strip()}")
        names.append(name)
    return names


def changed_since(raw: str | None) -> float:
    if not raw or not raw.strip():
        raise system_failure("changedSince is required")
    try:
        return parse_moment(raw)
    except ValueError:
        raise system_failure(f"Invalid changedSince : {raw.strip()[:60]}") from None


def changes(store: Store, realm_id: str, query: dict[str, str]) -> dict[str, Any]:
    """The `CDCResponse` array element of one call."""
    names, since = requested_entities(query.get("entities")), changed_since(query.get("changedSince"))
    db = store.read()
    return {"QueryResponse": [_slot(db, realm_id, name, since) for name in names]}


def _slot(db: Any, realm_id: str, entity: str, since: float) -> dict[str, Any]:
    if entity not in stored_types():
        return {}
    live = db.execute(
        "SELECT body, updated_time AS at FROM entities WHERE realm_id = ? AND type = ? AND updated_time >= ?"
        " ORDER BY updated_time, id LIMIT ?",
        (realm_id, entity, since, MAX_OBJECTS),
    ).fetchall()
    gone = db.execute(
        "SELECT id, deleted_time AS at FROM deletions WHERE realm_id = ? AND type = ? AND deleted_time >= ?"
        " ORDER BY deleted_time, id LIMIT ?",
        (realm_id, entity, since, MAX_OBJECTS),
    ).fetchall()
    found = [(row["at"], loads(row["body"])) for row in live] + [(row["at"], _deleted(row)) for row in gone]
    if not found:
        return {}
    found.sort(key=lambda pair: pair[0])
    objects = [body for _, body in found[:MAX_OBJECTS]]
    return {entity: objects, "startPosition": 1, "maxResults": len(objects)}


def _deleted(row: Any) -> dict[str, Any]:
    return {
        "domain": "QBO",
        "status": "Deleted",
        "Id": str(row["id"]),
        "MetaData": {"LastUpdatedTime": meta_time(row["at"])},
    }
