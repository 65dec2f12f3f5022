"""Change data capture, `GET /v3/company/{realmId}/cdc`, in the shapes of `qbo-corpus/cdc/`: one slot
per requested entity in the requested order, full bodies of changed entities, identity-and-time stubs
of deleted ones, at most 1,000 objects an entity, parameter errors as a SystemFault sent with 200."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.corpus import corpus_json
from tests.qbsandbox.conftest import REDIRECT_URI, connect_app

TODAY = "2026-11-30"


@pytest.fixture
def books(sandbox):
    realm = sandbox.create_realm(name="CDC Co", size=0, today=TODAY)
    conn = connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)
    customer = conn.create("Customer", {"DisplayName": "Amy's Bird Sanctuary"}).json()["Customer"]
    conn.customer = customer
    return conn


def moment(sandbox, realm: str) -> str:
    """The sandbox's now for the realm, as a changedSince value."""
    now = datetime.fromisoformat(sandbox.advance_clock(0, realm)["now"])
    return now.isoformat(timespec="seconds")


def invoice(conn, amount: int = 100) -> dict:
    line = {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    body = {"CustomerRef": {"value": conn.customer["Id"]}, "Line": [line]}
    answer = conn.create("Invoice", body)
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoice"]


def cdc(conn, entities: str | None, since: str | None):
    params = {"minorversion": "75"}
    if entities is not None:
        params["entities"] = entities
    if since is not None:
        params["changedSince"] = since
    return conn.api("GET", "cdc", params=params)


def test_nothing_changed_is_one_empty_slot_per_entity(sandbox, books):
    """qbo-corpus/cdc/no-changes.intuit-docs.json: `{"CDCResponse":[{"QueryResponse":[{}]}]}`."""
    sandbox.advance_clock(5, books.realm_id)
    answer = cdc(books, "Invoice,Payment", moment(sandbox, books.realm_id))
    assert answer.status_code == 200
    body = answer.json()
    expected = corpus_json("cdc/no-changes.intuit-docs.json")
    assert set(body) == set(expected)
    assert body["CDCResponse"] == [{"QueryResponse": [{}, {}]}]


def test_changed_and_deleted_invoices_come_back_in_their_slot_oldest_first(sandbox, books):
    """Live entities as full bodies, deleted ones as `{"domain","status":"Deleted","Id","MetaData"}`
    (qbo-corpus/cdc/invoice-deleted-only.xml and the JSON of Intuit's CDC page), counted in maxResults."""
    since = moment(sandbox, books.realm_id)
    sandbox.advance_clock(2, books.realm_id)
    kept, gone = invoice(books), invoice(books, 40)
    sandbox.advance_clock(2, books.realm_id)
    updated = books.create("Invoice", {"Id": kept["Id"], "SyncToken": kept["SyncToken"], "sparse": True,
                                       "PrivateNote": "changed"}).json()["Invoice"]  # fmt: skip
    sandbox.advance_clock(2, books.realm_id)
    assert books.create("Invoice", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete").status_code == 200

    answer = cdc(books, "payment,Invoice", since)  # entity names in any case; slots in the order asked

    assert answer.status_code == 200
    payments, invoices = answer.json()["CDCResponse"][0]["QueryResponse"]
    assert payments == {}
    assert invoices["startPosition"] == 1 and invoices["maxResults"] == 2
    first, second = invoices["Invoice"]
    assert first["Id"] == kept["Id"] and first["SyncToken"] == "1" and first["PrivateNote"] == "changed"
    assert first == updated
    assert second == {"domain": "QBO", "status": "Deleted", "Id": gone["Id"],
                      "MetaData": {"LastUpdatedTime": second["MetaData"]["LastUpdatedTime"]}}  # fmt: skip
    assert second["MetaData"]["LastUpdatedTime"] > first["MetaData"]["LastUpdatedTime"]


def test_changes_before_changed_since_are_left_out(sandbox, books):
    invoice(books)
    sandbox.advance_clock(3, books.realm_id)
    since = moment(sandbox, books.realm_id)
    sandbox.advance_clock(3, books.realm_id)
    later = invoice(books, 7)
    [slot] = cdc(books, "Invoice", since).json()["CDCResponse"][0]["QueryResponse"]
    assert [row["Id"] for row in slot["Invoice"]] == [later["Id"]]


@pytest.mark.parametrize(
    ("entities", "detail", "corpus_file"),
    [
        (None, "entities is required", "cdc/fault-entities-missing.json"),
        ("Invoices", "Invalid entity supplied : entity=Invoices", "cdc/fault-invalid-entity.json"),
    ],
)
def test_a_missing_or_unknown_entity_is_a_system_fault_sent_with_200(books, entities, detail, corpus_file):
    answer = cdc(books, entities, "2026-11-01T00:00:00-08:00")
    assert answer.status_code == 200
    error = answer.json()["Fault"]["Error"][0]
    expected = corpus_json(corpus_file)["Fault"]
    assert answer.json()["Fault"]["type"] == expected["type"] == "SystemFault"
    assert set(error) == set(expected["Error"][0])
    assert (error["code"], error["element"]) == ("10000", "SystemFailureError")
    assert error["Detail"] == f"System Failure Error: java.lang.IllegalArgumentException: {detail}"


def test_a_missing_changed_since_is_a_system_fault(books):
    answer = cdc(books, "Invoice", None)
    assert answer.status_code == 200 and answer.json()["Fault"]["Error"][0]["code"] == "10000"


def test_at_most_1000_objects_of_an_entity_come_back(sandbox):
    realm = sandbox.create_realm(name="Big CDC Co", size=4000, seed=5, today=TODAY)
    conn = connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)
    [slot] = cdc(conn, "Invoice", "2020-01-01T00:00:00-08:00").json()["CDCResponse"][0]["QueryResponse"]
    assert slot["maxResults"] == len(slot["Invoice"]) == 1000
    times = [row["MetaData"]["LastUpdatedTime"] for row in slot["Invoice"]]
    assert times == sorted(times)
