"""The Accounting API client's batch calls and the queries paged through them (side by side, counted
first), against `responses`."""

# ruff: noqa: F811 - the fake API's fixtures are imported by name, then taken as test arguments

import json
import re
import threading
from decimal import Decimal

import pytest
import responses

from finance.quickbooks.client import page_statement
from finance.quickbooks.errors import (
    QueryError,
    UnavailableError,
    ValidationFault,
)
from tests.corpus import corpus_bytes, corpus_json
from tests.finance.quickbooks.fake_api import (  # noqa: F401 - fixtures are found by name
    BATCH_URL,
    QUERY_URL,
    client,
    make_client,
    mocked,
    page_of,
    waits,
)

pytestmark = pytest.mark.usefixtures("mocked")

# -- batch -------------------------------------------------------------------------------------


def echo_batch(mock, bodies):
    """Answer batch calls with one QueryResponse per item, in reverse order (clients must match bIds)."""

    def answer(request):
        items = json.loads(request.body)["BatchItemRequest"]
        bodies.append(items)
        replies = [{"QueryResponse": {}, "bId": item["bId"]} for item in reversed(items)]
        return 200, {}, json.dumps({"BatchItemResponse": replies, "time": "t"})

    mock.add_callback(responses.POST, BATCH_URL, callback=answer)


def test_batch_splits_65_items_into_3_calls_and_keeps_request_order(mocked, client):
    sent = []
    echo_batch(mocked, sent)
    items = [{"bId": f"item{i}", "Query": page_statement("Item", "", i + 1, 1)} for i in range(65)]

    results = client.batch(items)

    assert [len(call) for call in sent] == [30, 30, 5]
    assert [r["bId"] for r in results] == [f"item{i}" for i in range(65)]
    assert client.calls == 3


def test_batch_returns_item_faults_in_place(mocked, client):
    mocked.add(responses.POST, BATCH_URL, body=corpus_bytes("batch/mixed-ops-with-faults.response.json"))
    items = corpus_json("batch/mixed-ops-with-faults.request.json")["BatchItemRequest"]

    vendor, not_found, stale, query = client.batch(items)

    assert vendor["Vendor"]["Id"] == "71"
    assert (type(not_found), not_found.code) == (ValidationFault, "610")
    assert (type(stale), stale.code) == (ValidationFault, "5010")
    assert query["QueryResponse"]["SalesReceipt"][0]["TotalAmt"] == Decimal("337.50")
    assert json.loads(mocked.calls[0].request.body) == {"BatchItemRequest": items}


def test_batch_raises_item_faults_when_asked(mocked, client):
    mocked.add(responses.POST, BATCH_URL, body=corpus_bytes("batch/intuit-docs-sample.response.json"))
    items = corpus_json("batch/intuit-docs-sample.request.json")["BatchItemRequest"]

    with pytest.raises(ValidationFault) as raised:
        client.batch(items, raise_faults=True)

    assert raised.value.code == "6240"


def test_batch_with_writes_is_not_resent_after_an_ambiguous_failure(mocked, client):
    mocked.add(responses.POST, BATCH_URL, status=504)
    items = [{"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Boraski Family Store"}}]

    with pytest.raises(UnavailableError):
        client.batch(items)

    assert client.calls == 1


def test_batch_with_writes_is_resent_after_a_throttle(mocked, client, waits):
    mocked.add(
        responses.POST, BATCH_URL, status=429, body=corpus_bytes("faults/429-3001-throttle-exceeded.xml")
    )
    mocked.add(responses.POST, BATCH_URL, body=corpus_bytes("batch/mixed-ops-with-faults.response.json"))
    items = corpus_json("batch/mixed-ops-with-faults.request.json")["BatchItemRequest"]

    assert len(client.batch(items)) == 4 and client.calls == 2 and waits == [60.0]


def test_query_many_answers_by_name_in_one_call(mocked, client):
    sent = []
    echo_batch(mocked, sent)

    answers = client.query_many({"invoices": "SELECT * FROM Invoice", "bills": "SELECT * FROM Bill"})

    assert answers == {"invoices": {}, "bills": {}}
    assert [i["Query"] for i in sent[0]] == ["SELECT * FROM Invoice", "SELECT * FROM Bill"]
    assert client.calls == 1


def test_query_many_raises_a_query_fault(mocked, client):
    fault = corpus_json("faults/400-4001-invalid-query-context.json")["Fault"]
    body = {"BatchItemResponse": [{"bId": "q0", "Fault": fault}], "time": "t"}
    mocked.add(responses.POST, BATCH_URL, json=body)

    with pytest.raises(QueryError):
        client.query_many({"oops": "SELECT * FROM Custmoer"})


def test_query_all_many_pages_side_by_side_and_keeps_going_only_on_full_pages(mocked, client):
    totals = {"Invoice": 5, "Bill": 1, "Payment": 4}
    sent = []

    def answer(request):
        items = json.loads(request.body)["BatchItemRequest"]
        sent.append([i["Query"] for i in items])
        replies = []
        for item in items:
            entity = item["Query"].split()[3]
            start = int(re.search(r"STARTPOSITION (\d+)", item["Query"]).group(1))
            count = max(0, min(2, totals[entity] - start + 1))
            replies.append({"bId": item["bId"], **page_of(entity, count, start)})
        return 200, {}, json.dumps({"BatchItemResponse": replies})

    mocked.add_callback(responses.POST, BATCH_URL, callback=answer)
    selects = {"invoices": ("Invoice", "Balance > '0'"), "bills": ("Bill", ""), "payments": ("Payment", "")}

    rows = client.query_all_many(selects, page_size=2)

    assert {name: len(found) for name, found in rows.items()} == {"invoices": 5, "bills": 1, "payments": 4}
    assert [len(call) for call in sent] == [
        3,
        2,
        2,
    ]  # bills done after page 1; payments after an empty page 3
    assert sent[2] == [
        "SELECT * FROM Invoice WHERE Balance > '0' ORDERBY Id STARTPOSITION 5 MAXRESULTS 2",
        "SELECT * FROM Payment ORDERBY Id STARTPOSITION 5 MAXRESULTS 2",
    ]
    assert client.calls == 3


def paged_batch(totals, sent, before_reply=None):
    """A batch endpoint over invoices and bills numbered 1..total: COUNT(*) and page queries."""

    def answer(request):
        items = json.loads(request.body)["BatchItemRequest"]
        queries = [item["Query"] for item in items]
        sent.append(queries)
        if before_reply:
            before_reply(queries)
        replies = []
        for item in items:
            entity = item["Query"].split()[3]
            if "COUNT(*)" in item["Query"]:
                replies.append({"bId": item["bId"], "QueryResponse": {"totalCount": totals[entity]}})
                continue
            start = int(re.search(r"STARTPOSITION (\d+)", item["Query"]).group(1))
            size = int(re.search(r"MAXRESULTS (\d+)", item["Query"]).group(1))
            count = max(0, min(size, totals[entity] - start + 1))
            replies.append({"bId": item["bId"], **page_of(entity, count, start)})
        return 200, {}, json.dumps({"BatchItemResponse": replies})

    return answer


def test_query_all_counted_sends_counts_and_first_pages_then_every_further_page_at_once(mocked, client):
    sent = []
    mocked.add_callback(responses.POST, BATCH_URL, callback=paged_batch({"Invoice": 7, "Bill": 2}, sent))
    selects = {"invoices": ("Invoice", "Balance > '0'"), "bills": ("Bill", "")}

    rows = client.query_all_counted(selects, page_size=3)

    assert [r["Id"] for r in rows["invoices"]] == [str(i) for i in range(1, 8)]  # in order, none twice
    assert [r["Id"] for r in rows["bills"]] == ["1", "2"]
    assert client.calls == 3
    # The counts and the first pages go out at once, so the three calls can arrive in any order.
    assert sorted(sent) == sorted([
        ["SELECT COUNT(*) FROM Invoice WHERE Balance > '0'", "SELECT COUNT(*) FROM Bill"],
        ["SELECT * FROM Invoice WHERE Balance > '0' ORDERBY Id STARTPOSITION 1 MAXRESULTS 3",
         "SELECT * FROM Bill ORDERBY Id STARTPOSITION 1 MAXRESULTS 3"],
        ["SELECT * FROM Invoice WHERE Balance > '0' ORDERBY Id STARTPOSITION 4 MAXRESULTS 3",
         "SELECT * FROM Invoice WHERE Balance > '0' ORDERBY Id STARTPOSITION 7 MAXRESULTS 3"],
    ])  # fmt: skip
    counted = next(i for i, call in enumerate(sent) if "COUNT(*)" in call[0])
    further = next(i for i, call in enumerate(sent) if "STARTPOSITION 4" in call[0])
    assert counted < further  # the further pages are known from the counts


def test_query_all_counted_asks_for_further_pages_while_the_first_ones_are_still_coming(mocked, client):
    further_sent, waited = threading.Event(), []

    def hold_first_pages(queries):
        if any("STARTPOSITION 1 " in q for q in queries):
            # Not answered before the further pages are asked for (False after 5 s if they never are).
            waited.append(further_sent.wait(timeout=5))
        elif any("STARTPOSITION 4 " in q for q in queries):
            further_sent.set()

    sent = []
    mocked.add_callback(responses.POST, BATCH_URL, callback=paged_batch({"Invoice": 5}, sent, hold_first_pages))

    rows = client.query_all_counted({"invoices": ("Invoice", "")}, page_size=3)

    assert waited == [True]
    assert [r["Id"] for r in rows["invoices"]] == ["1", "2", "3", "4", "5"]


def test_query_all_counted_goes_on_past_a_stale_count(mocked, client):
    sent = []
    totals = {"Invoice": 7}

    def rows_added_after_counting(queries):
        if any("COUNT(*)" in q for q in queries):
            totals["Invoice"] = 4  # counted 4 ...
        else:
            totals["Invoice"] = 7  # ... but 7 by the time the pages are read

    mocked.add_callback(responses.POST, BATCH_URL, callback=paged_batch(totals, sent, rows_added_after_counting))
    mocked.add_callback(responses.POST, QUERY_URL, callback=lambda request: (
        200, {}, json.dumps(page_of("Invoice", 1, 7)) if "STARTPOSITION 7" in request.body.decode() else "{}"
    ))  # fmt: skip

    rows = client.query_all_counted({"invoices": ("Invoice", "")}, page_size=3)

    assert [r["Id"] for r in rows["invoices"]] == [str(i) for i in range(1, 8)]


def test_a_failed_first_page_call_fails_the_whole_query(mocked, client):
    def answer(request):
        if "COUNT(*)" in request.body.decode():
            return 200, {}, json.dumps({"BatchItemResponse": [{"bId": "q0", "QueryResponse": {"totalCount": 1}}]})
        return 400, {}, corpus_bytes("faults/400-4001-invalid-query-context.json")

    mocked.add_callback(responses.POST, BATCH_URL, callback=answer)

    with pytest.raises(QueryError):
        client.query_all_counted({"invoices": ("Invoice", "")})


