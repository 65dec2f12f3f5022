"""Intuit's webhook bodies -> the events they name. Pure: no I/O, no Django.

Two formats (docs/webhooks.md): the classic object `{"eventNotifications": [{"realmId",
"dataChangeEvent": {"entities": [{"name", "id", "operation", "lastUpdated"}]}}]}` and the
CloudEvents JSON array of `{"specversion", "id", "type": "qbo.<entity>.<verb>.v1",
"intuitaccountid", "intuitentityid", "time", ...}`. Each event gets a key that names it across
deliveries (replay protection): the CloudEvents `id`, or, for the classic format, realm, entity, id,
operation and lastUpdated.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

# A realm id as it stands in either body, found without parsing it (to pick the verifier token).
REALM_IN_BODY = re.compile(rb'"(?:realmId|intuitaccountid)"\s*:\s*"(\d{1,40})"')
CLOUD_VERBS = {"created": "Create", "updated": "Update", "deleted": "Delete", "voided": "Void", "merged": "Merge",
               "emailed": "Emailed"}  # fmt: skip
_FRACTION = re.compile(r"\.(\d+)")


class Malformed(ValueError):
    """The body is not one of Intuit's two formats; the message says what is wrong, without the body."""


class Event(NamedTuple):
    key: str  # names the event across deliveries
    realm_id: str
    entity: str  # QuickBooks' entity name: Invoice, Payment, ...
    entity_id: str
    operation: str  # Create, Update, Delete, Void, Merge, Emailed
    occurred_at: datetime  # UTC


def realms_named(raw: bytes) -> set[str]:
    """The realm ids a raw body names, found by pattern (the body is not parsed yet)."""
    return {match.decode() for match in REALM_IN_BODY.findall(raw)}


def events_in(raw: bytes) -> list[Event]:
    """Every event of a delivery; raises Malformed when the body is neither format."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise Malformed("the body is not JSON") from None
    if isinstance(body, list):
        return [cloud_event(item) for item in body]
    if isinstance(body, dict) and isinstance(body.get("eventNotifications"), list):
        return [event for notification in body["eventNotifications"] for event in classic_events(notification)]
    raise Malformed("the body is neither an eventNotifications object nor a CloudEvents array")


def classic_events(notification: Any) -> list[Event]:
    if not isinstance(notification, dict):
        raise Malformed("an eventNotifications item is not an object")
    realm = _text(notification.get("realmId"), "realmId")
    entities = (notification.get("dataChangeEvent") or {}).get("entities")
    if not isinstance(entities, list):
        raise Malformed("dataChangeEvent.entities is missing")
    events = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise Malformed("an entity is not an object")
        name, entity_id = _text(entity.get("name"), "name"), _text(entity.get("id"), "id")
        operation = _text(entity.get("operation"), "operation")
        updated = _text(entity.get("lastUpdated"), "lastUpdated")
        seed = "|".join(("classic", realm, name, entity_id, operation, updated))
        key = hashlib.sha256(seed.encode("utf-8")).hexdigest()
        events.append(Event(key, realm, name, entity_id, operation, moment(updated)))
    return events


def cloud_event(item: Any) -> Event:
    if not isinstance(item, dict) or "specversion" not in item:
        raise Malformed("a CloudEvents item lacks specversion")
    kind = _text(item.get("type"), "type").split(".")
    if len(kind) != 4 or kind[0] != "qbo":
        raise Malformed("a CloudEvents type is not qbo.<entity>.<verb>.v1")
    event_id = _text(item.get("id"), "id")
    key = hashlib.sha256(f"cloudevents|{event_id}".encode()).hexdigest()
    return Event(
        key,
        _text(item.get("intuitaccountid"), "intuitaccountid"),
        kind[1][:1].upper() + kind[1][1:],
        _text(item.get("intuitentityid"), "intuitentityid"),
        CLOUD_VERBS.get(kind[2], kind[2].capitalize()),
        moment(_text(item.get("time"), "time")),
    )


def moment(text: str) -> datetime:
    """A time as Intuit writes it in either format, in UTC: `2015-10-05T14:42:19-0700`,
    `2016-10-05T03:09:04.000Z`, `2025-09-10T21:31:25.179851517Z` (nanoseconds)."""
    cleaned = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text.strip()).replace("Z", "+00:00")
    cleaned = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", cleaned)
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise Malformed(f"a time is not ISO 8601: {text[:40]!r}") from None
    if parsed.tzinfo is None:
        raise Malformed(f"a time has no offset: {text[:40]!r}")
    return parsed.astimezone(UTC)


def _text(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise Malformed(f"{name} is missing")
    return value.strip()[:100]
