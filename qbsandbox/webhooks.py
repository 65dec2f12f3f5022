"""Webhook notifications, as Intuit sends them to an app's endpoint after a change in a company.

The sandbox keeps one subscription (set through its control API: the endpoint URL, the verifier
token, the format) and, after each create, update, delete or void, POSTs a notification there from
a thread of its own, as Intuit does after the change is saved: never inside the API call that made
the change. Both of Intuit's bodies (the shapes of Intuit's published samples):

- classic: `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name", "id",
  "operation", "lastUpdated"}]}}]}`, operation `Create`, `Update`, `Delete` or `Void`;
- CloudEvents: a JSON array of `{"specversion": "1.0", "id", "source", "type":
  "qbo.<entity>.<created|updated|deleted|voided>.v1", "datacontenttype", "time", "intuitentityid",
  "intuitaccountid", "data": {}}`.

Each carries the header `intuit-signature`: base64(HMAC-SHA256(key = verifier token, message = the
body's bytes)). Every attempt is recorded (endpoint's status or the error) for the control API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from qbsandbox.clock import parse_moment
from qbsandbox.store import Store

FORMATS = ("classic", "cloudevents")
VERBS = {"create": ("Create", "created"), "update": ("Update", "updated"), "delete": ("Delete", "deleted"),
         "void": ("Void", "voided")}  # fmt: skip
TIMEOUT = 5.0  # seconds an endpoint gets to answer; Intuit expects an answer within a few seconds
_SUBSCRIPTION = "webhook_subscription"


def subscribe(store: Store, *, url: str, verifier_token: str, body_format: str = "classic") -> dict[str, Any]:
    """Where notifications go from now on (an empty URL stops them)."""
    if body_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if url and not url.startswith(("http://", "https://")):
        raise ValueError("url must be an http:// or https:// URL")
    store.set_meta(_SUBSCRIPTION, json.dumps({"url": url, "verifier_token": verifier_token, "format": body_format}))
    return subscription(store)


def subscription(store: Store) -> dict[str, Any]:
    saved = json.loads(store.meta(_SUBSCRIPTION, "{}") or "{}")
    return {"url": saved.get("url", ""), "format": saved.get("format", "classic"),
            "verifier_token_set": bool(saved.get("verifier_token"))}  # fmt: skip


def sign(body: bytes, verifier_token: str) -> str:
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def notify(store: Store, realm_id: str, entity: str, body: dict[str, Any], operation: str) -> None:
    """Send the notification of one change, if anyone subscribed; returns at once."""
    saved = json.loads(store.meta(_SUBSCRIPTION, "{}") or "{}")
    if not saved.get("url") or operation not in VERBS:
        return
    updated = (body.get("MetaData") or {}).get("LastUpdatedTime")
    moment = datetime.fromtimestamp(parse_moment(updated) if updated else store.now(realm_id), UTC)
    event = {"realm_id": realm_id, "entity": entity, "id": str(body.get("Id", "")), "operation": operation,
             "moment": moment}  # fmt: skip
    payload = (cloud_events if saved["format"] == "cloudevents" else classic)([event])
    thread = threading.Thread(
        target=deliver, args=(store, saved["url"], saved["verifier_token"], payload), daemon=True, name="webhook"
    )
    thread.start()


def utc_millis(moment: datetime) -> str:
    """`2016-10-05T03:09:04.000Z`, as in the .NET SDK's sample notification."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def classic(events: list[dict[str, Any]]) -> bytes:
    by_realm: dict[str, list[dict[str, str]]] = {}
    for event in events:
        by_realm.setdefault(event["realm_id"], []).append(
            {"name": event["entity"], "id": event["id"], "operation": VERBS[event["operation"]][0],
             "lastUpdated": utc_millis(event["moment"])}
        )  # fmt: skip
    notifications = [{"realmId": realm, "dataChangeEvent": {"entities": found}} for realm, found in by_realm.items()]
    return json.dumps({"eventNotifications": notifications}, separators=(",", ":")).encode("utf-8")


def cloud_events(events: list[dict[str, Any]]) -> bytes:
    body = [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "intuit.qbsandbox",
            "type": f"qbo.{event['entity'].lower()}.{VERBS[event['operation']][1]}.v1",
            "datacontenttype": "application/json",
            "time": event["moment"].isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "intuitentityid": event["id"],
            "intuitaccountid": event["realm_id"],
            "data": {},
        }
        for event in events
    ]
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def deliver(store: Store, url: str, verifier_token: str, payload: bytes) -> None:
    """POST one notification and record the outcome (never raises: a failing endpoint is its own
    problem, as with Intuit)."""
    request = urllib.request.Request(  # noqa: S310 - the URL was checked to be http(s) when subscribed
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "intuit-signature": sign(payload, verifier_token)},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            outcome = str(answer.status)
    except urllib.error.HTTPError as error:
        outcome = str(error.code)
    except (OSError, ValueError) as error:
        outcome = f"error: {type(error).__name__}"
    with store.write() as db:
        db.execute(
            "INSERT INTO webhook_deliveries (sent_at, url, outcome, body) VALUES (?, ?, ?, ?)",
            (store.now(), url, outcome, payload.decode("utf-8")),
        )
    store.close()  # this thread's connection


def deliveries(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    rows = store.read().execute(
        "SELECT sent_at, url, outcome, body FROM webhook_deliveries ORDER BY seq DESC LIMIT ?", (limit,)
    ).fetchall()
    return [{"sent_at": row["sent_at"], "url": row["url"], "outcome": row["outcome"], "body": json.loads(row["body"])}
            for row in rows]  # fmt: skip
