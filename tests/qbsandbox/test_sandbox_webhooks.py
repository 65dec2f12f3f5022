"""Webhook notifications from the sandbox, in the shapes of `qbo-corpus/webhooks/` (classic
`eventNotifications` and CloudEvents), signed with `intuit-signature` as Intuit signs them
(the corpus' signature vectors), sent after each change to the subscribed endpoint."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from qbsandbox.webhooks import sign
from tests.corpus import corpus_bytes, corpus_json
from tests.qbsandbox.conftest import REDIRECT_URI, connect_app

TOKEN = "00faeec4-08d0-4996-bb37-698ae19f0149"


class Receiver(http.server.ThreadingHTTPServer):
    """An app's webhook endpoint on a free local port: keeps each delivery's headers and body."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.arrived = threading.Condition()
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/api/qb/webhooks"

    def wait_for(self, count: int, seconds: float = 5.0) -> list[tuple[dict, bytes]]:
        deadline = time.monotonic() + seconds
        with self.arrived:
            while len(self.received) < count and time.monotonic() < deadline:
                self.arrived.wait(0.1)
        return list(self.received)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.arrived:
            self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.server.arrived.notify_all()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(sandbox):
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sandbox.subscribe_webhooks("", "")  # the session's sandbox stops notifying
    server.shutdown()
    server.server_close()


@pytest.fixture
def books(sandbox):
    realm = sandbox.create_realm(name="Webhook Co", size=0)
    conn = connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)
    conn.customer = conn.create("Customer", {"DisplayName": "Hook Customer"}).json()["Customer"]
    return conn


def new_invoice(conn) -> dict:
    line = {"Amount": 50, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    return conn.create("Invoice", {"CustomerRef": {"value": conn.customer["Id"]}, "Line": [line]}).json()["Invoice"]


def test_signatures_match_intuits_published_vectors():
    for vector in corpus_json("webhooks/signature-examples.json"):
        body = corpus_bytes(f"webhooks/{vector['body_file']}")
        assert sign(body, vector["verifier_token"]) == vector["intuit_signature"]


def test_a_create_update_and_delete_are_notified_signed_in_the_classic_format(sandbox, books, receiver):
    sandbox.subscribe_webhooks(receiver.url, TOKEN, "classic")
    invoice = new_invoice(books)
    books.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"})
    books.create("Invoice", {"Id": invoice["Id"], "SyncToken": "1"}, operation="delete")

    deliveries = receiver.wait_for(3)

    assert len(deliveries) == 3
    seen = []
    for headers, body in deliveries:
        assert headers["intuit-signature"] == sign(body, TOKEN)
        assert headers["content-type"] == "application/json"
        [notification] = json.loads(body)["eventNotifications"]
        assert notification["realmId"] == books.realm_id
        [entity] = notification["dataChangeEvent"]["entities"]
        assert set(entity) == {"name", "id", "operation", "lastUpdated"}
        assert entity["lastUpdated"].endswith("Z")
        seen.append((entity["name"], entity["id"], entity["operation"]))
    assert sorted(seen) == sorted(("Invoice", invoice["Id"], verb) for verb in ("Create", "Update", "Delete"))
    sample = corpus_json("webhooks/notification-customer-create.json")
    assert set(json.loads(deliveries[0][1])) == set(sample)


def test_cloud_events_carry_the_type_realm_and_entity(sandbox, books, receiver):
    sandbox.subscribe_webhooks(receiver.url, TOKEN, "cloudevents")
    invoice = new_invoice(books)

    [(headers, body)] = receiver.wait_for(1)

    assert headers["intuit-signature"] == sign(body, TOKEN)
    [event] = json.loads(body)
    sample = corpus_json("webhooks/cloudevents-account-created.intuit-blog.json")[0]
    assert set(event) == set(sample)
    assert event["type"] == "qbo.invoice.created.v1" and event["specversion"] == "1.0"
    assert (event["intuitaccountid"], event["intuitentityid"]) == (books.realm_id, invoice["Id"])


def test_a_change_made_in_quickbooks_itself_is_notified_and_each_delivery_is_recorded(sandbox, books, receiver):
    """A row inserted through the control API stands for a change made in QuickBooks' own pages."""
    sandbox.subscribe_webhooks(receiver.url, TOKEN)
    vendor = sandbox.insert_entity(books.realm_id, "Vendor", {"DisplayName": "Inserted Vendor"})

    [(_, body)] = receiver.wait_for(1)

    [entity] = json.loads(body)["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert (entity["name"], entity["id"], entity["operation"]) == ("Vendor", vendor["Id"], "Create")
    deadline = time.monotonic() + 5
    while not sandbox.webhook_deliveries() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.webhook_deliveries()[0]["outcome"] == "200"


def test_without_a_subscription_nothing_is_sent(sandbox, books, receiver):
    sandbox.subscribe_webhooks("", "")
    new_invoice(books)
    assert receiver.wait_for(1, seconds=0.5) == []
