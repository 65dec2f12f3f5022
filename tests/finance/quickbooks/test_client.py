"""The Accounting API client: headers, paging, quoting, retries, errors and single objects, against
`responses`."""

# ruff: noqa: F811 - the fake API's fixtures are imported by name, then taken as test arguments

import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from finance.quickbooks.client import page_statement, quote
from finance.quickbooks.errors import (
    AuthError,
    QueryError,
    QuickBooksError,
    ThrottledError,
    UnavailableError,
    ValidationFault,
)
from tests.corpus import corpus_bytes, corpus_index, corpus_json
from tests.finance.quickbooks.fake_api import (  # noqa: F401 - fixtures are found by name
    COMPANY,
    QUERY_URL,
    REALM,
    TOKEN,
    RecordingSession,
    add_query_page,
    client,
    make_client,
    mocked,
    page_of,
    sent_statements,
    waits,
)

pytestmark = pytest.mark.usefixtures("mocked")

# -- every request -----------------------------------------------------------------------------


def test_every_request_carries_auth_accept_user_agent_minorversion_and_timeout(mocked, make_client):
    session = RecordingSession()
    client = make_client(session=session, timeout=7.5)
    mocked.add(responses.GET, f"{COMPANY}/preferences", body=corpus_bytes("entity/preferences-read.json"))

    client.preferences()

    request = mocked.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "OtiumWork/1.0"
    assert parse_qs(urlsplit(request.url).query) == {"minorversion": ["75"]}
    assert session.sent[0]["timeout"] == 7.5


def test_query_posts_the_statement_as_utf8_text(mocked, client):
    add_query_page(mocked, {"QueryResponse": {}, "time": "t"})

    client.query("SELECT * FROM Customer WHERE DisplayName = 'Zürich Ünïcode & Co'")

    request = mocked.calls[0].request
    assert request.headers["Content-Type"].startswith("application/text")
    assert request.body == "SELECT * FROM Customer WHERE DisplayName = 'Zürich Ünïcode & Co'".encode()


def test_money_stays_decimal_with_its_trailing_zeros(mocked, client):
    mocked.add(responses.POST, QUERY_URL, body=corpus_bytes("query/customer-by-displayname.json"))

    customer = client.query("SELECT * FROM Customer")["Customer"][0]

    assert customer["Balance"] == Decimal("739.00") and isinstance(customer["Balance"], Decimal)
    assert str(customer["Balance"]) == "739.00"


def test_a_100_00_amount_is_decimal_100_00(mocked, client):
    mocked.add(
        responses.POST, QUERY_URL, body=b'{"QueryResponse":{"Invoice":[{"Id":"1","TotalAmt":100.00}]}}'
    )

    amount = client.query("SELECT * FROM Invoice")["Invoice"][0]["TotalAmt"]

    assert amount == Decimal("100.00") and str(amount) == "100.00"


def test_empty_result_is_an_empty_query_response(mocked, client):
    mocked.add(responses.POST, QUERY_URL, body=corpus_bytes("query/empty-after-last-page.json"))

    assert client.query("SELECT * FROM Customer STARTPOSITION 7 MAXRESULTS 2") == {}


# -- paging ------------------------------------------------------------------------------------


def serve_rows(mock, entity, total):
    """Answer paged queries from `total` rows the way QBO does (an empty page past the end)."""

    def answer(request):
        statement = request.body.decode()
        start = int(re.search(r"STARTPOSITION (\d+)", statement).group(1))
        size = int(re.search(r"MAXRESULTS (\d+)", statement).group(1))
        count = max(0, min(size, total - start + 1))
        body = page_of(entity, count, start) if count else {"QueryResponse": {}, "time": "t"}
        return 200, {}, json.dumps(body)

    mock.add_callback(responses.POST, QUERY_URL, callback=answer)


def test_query_all_pages_2500_rows_in_3_calls(mocked, client):
    serve_rows(mocked, "Invoice", 2500)

    rows = client.query_all("Invoice", "TxnDate >= '2025-01-01'")

    assert [r["Id"] for r in rows] == [str(i) for i in range(1, 2501)]
    where = "SELECT * FROM Invoice WHERE TxnDate >= '2025-01-01' ORDERBY Id"
    assert sent_statements(mocked) == [
        f"{where} STARTPOSITION 1 MAXRESULTS 1000",
        f"{where} STARTPOSITION 1001 MAXRESULTS 1000",
        f"{where} STARTPOSITION 2001 MAXRESULTS 1000",
    ]
    assert client.calls == 3


def test_query_all_asks_once_more_after_an_exactly_full_last_page(mocked, client):
    serve_rows(mocked, "Bill", 2000)

    rows = client.query_all("Bill")

    assert len(rows) == 2000 and client.calls == 3
    assert sent_statements(mocked)[2] == "SELECT * FROM Bill ORDERBY Id STARTPOSITION 2001 MAXRESULTS 1000"


def test_query_all_of_nothing_is_one_call(mocked, client):
    mocked.add(responses.POST, QUERY_URL, body=corpus_bytes("query/empty-transfer.json"))

    assert client.query_all("Transfer") == [] and client.calls == 1


@pytest.mark.parametrize(("entity", "size"), [("Invoice; DROP", 10), ("Invoice", 0), ("Invoice", 1001)])
def test_page_statement_refuses_bad_entities_and_page_sizes(entity, size):
    with pytest.raises(ValueError):
        page_statement(entity, "", 1, size)


# -- quote -------------------------------------------------------------------------------------


def recorded_query(name):
    path = next(e["path"] for e in corpus_index("query") if e["file"] == name)
    return path.split("?query=", 1)[1]


def test_quote_escapes_an_apostrophe_as_qbo_expects():
    recorded = recorded_query("customer-by-displayname.json")

    assert recorded == "SELECT * FROM Customer WHERE DisplayName = 'Amy\\'s Bird Sanctuary'"
    assert recorded.endswith("DisplayName = " + quote("Amy's Bird Sanctuary"))


def test_quote_leaves_an_ampersand_alone():
    recorded = recorded_query("vendor-by-displayname-ampersand.json")

    assert recorded.endswith("DisplayName = " + quote("Robertson & Associates"))


def test_quote_escapes_backslash_before_apostrophe():
    assert quote("a\\b") == "'a\\\\b'"
    assert quote("O\\'Neil") == "'O\\\\\\'Neil'"
    assert quote("Café “Ünïcode”") == "'Café “Ünïcode”'"


# -- retries -----------------------------------------------------------------------------------


def test_xml_throttle_is_retried_then_succeeds(mocked, client, waits):
    mocked.add(
        responses.POST, QUERY_URL, body=corpus_bytes("faults/429-3001-throttle-exceeded.xml"), status=429
    )
    add_query_page(mocked, page_of("Invoice", 1))

    assert client.query("SELECT * FROM Invoice")["Invoice"] == [{"Id": "1"}]
    assert client.calls == 2
    assert waits == [60.0]  # Intuit: wait 60 seconds after a 429


def test_legacy_403_throttle_is_retried(mocked, make_client, waits):
    client = make_client(throttle_wait=5)
    body = corpus_bytes("faults/403-3001-throttle-exceeded-legacy.xml")
    mocked.add(responses.POST, QUERY_URL, body=body, status=403)
    add_query_page(mocked, page_of("Invoice", 1))

    client.query("SELECT * FROM Invoice")

    assert waits == [5] and client.calls == 2


def test_retry_after_is_honoured(mocked, client, waits):
    mocked.add(responses.POST, QUERY_URL, status=429, headers={"Retry-After": "7"})
    mocked.add(responses.POST, QUERY_URL, status=429, headers={"Retry-After": "3"})
    add_query_page(mocked, page_of("Invoice", 1))

    client.query("SELECT * FROM Invoice")

    assert waits == [7.0, 3.0]


def test_retry_after_longer_than_the_cap_is_not_waited_for(mocked, client, waits):
    mocked.add(responses.POST, QUERY_URL, status=429, headers={"Retry-After": "600"})

    with pytest.raises(ThrottledError) as raised:
        client.query("SELECT * FROM Invoice")

    assert raised.value.retry_after == 600.0 and waits == [] and client.calls == 1


def test_5xx_is_retried_with_backoff_then_raised_after_max_attempts(mocked, client, waits):
    body = corpus_bytes("faults/503-service-temporarily-unavailable.html")
    mocked.add(responses.POST, QUERY_URL, body=body, status=503, content_type="text/html")

    with pytest.raises(UnavailableError) as raised:
        client.query("SELECT * FROM Invoice")

    assert client.calls == 4 and len(mocked.calls) == 4
    assert waits == [1.0, 2.0, 4.0]
    assert raised.value.message == "503 Service Temporarily Unavailable"


def test_500_fault_is_retried_then_succeeds(mocked, client, waits):
    mocked.add(
        responses.GET,
        f"{COMPANY}/invoice/1",
        body=corpus_bytes("faults/500-3100-internal-server-error.json"),
        status=500,
    )
    mocked.add(responses.GET, f"{COMPANY}/invoice/1", body=corpus_bytes("entity/invoice-read.json"))

    invoice = client.read("Invoice", "1")

    assert invoice["Id"] and waits == [1.0] and client.calls == 2


@pytest.mark.parametrize(
    ("name", "status", "cls"),
    [
        ("400-6240-duplicate-name.json", 400, ValidationFault),
        ("400-4001-invalid-query-context.json", 400, QueryError),
        ("401-authentication-token-expired.json", 401, AuthError),
        ("403-3100-authorization-failed.json", 403, AuthError),
    ],
)
def test_4xx_is_never_retried(mocked, client, waits, name, status, cls):
    mocked.add(responses.POST, QUERY_URL, body=corpus_bytes(f"faults/{name}"), status=status)

    with pytest.raises(cls):
        client.query("SELECT * FROM Custmoer")

    assert client.calls == 1 and waits == []


def test_timeout_is_retried(mocked, client, waits):
    mocked.add(responses.POST, QUERY_URL, body=requests.ReadTimeout("read timed out"))
    add_query_page(mocked, page_of("Invoice", 2))

    assert len(client.query("SELECT * FROM Invoice")["Invoice"]) == 2
    assert client.calls == 2 and waits == [1.0]


def test_connection_errors_end_as_unavailable(mocked, make_client, waits):
    client = make_client(max_attempts=2, backoff=0.5)
    mocked.add(responses.POST, QUERY_URL, body=requests.ConnectionError("connection refused"))

    with pytest.raises(UnavailableError, match="could not connect"):
        client.query("SELECT * FROM Invoice")

    assert client.calls == 2 and waits == [0.5]


def test_fault_in_a_200_body_is_raised(mocked, client):
    mocked.add(
        responses.GET,
        re.compile(rf"{re.escape(COMPANY)}/reports/ProfitAndLoss.*"),
        body=corpus_bytes("cdc/fault-invalid-entity.json"),
    )

    with pytest.raises(QuickBooksError, match="Invalid entity supplied"):
        client.report("ProfitAndLoss", {"start_date": "2025-01-01"})


def test_no_exception_ever_shows_the_access_token(mocked, client):
    fault_files = [e["file"] for e in corpus_index("faults") if not e["file"].startswith("200-")]
    echoing = corpus_bytes("faults/401-authentication-token-expired.json").replace(
        b"<TOKEN_PREFIX>", TOKEN.encode()
    )
    bodies = [(corpus_bytes(f"faults/{name}"), int(name[:3])) for name in fault_files if name[0].isdigit()]
    bodies += [(echoing, 401), (b"", 502), (requests.ReadTimeout(f"Bearer {TOKEN[:10]}"), 200)]
    shown = []
    for body, status in bodies:
        mocked.reset()
        mocked.add(responses.POST, QUERY_URL, body=body, status=status)
        with pytest.raises(QuickBooksError) as raised:
            client.query("SELECT * FROM Invoice")
        shown.append(f"{raised.value} {raised.value!r} {raised.value.detail} {raised.value.body}")

    assert len(shown) == len(bodies)
    assert not [text for text in shown if TOKEN in text]


# -- single objects ----------------------------------------------------------------------------


def test_read_unwraps_the_entity(mocked, client):
    mocked.add(responses.GET, f"{COMPANY}/invoice/130", body=corpus_bytes("entity/invoice-read.json"))

    invoice = client.read("Invoice", "130")

    assert invoice == corpus_json("entity/invoice-read.json")["Invoice"]


def test_create_sends_request_id_and_decimal_amounts(mocked, client):
    mocked.add(
        responses.POST, f"{COMPANY}/customer", body=corpus_bytes("entity/customer-create.response.json")
    )

    customer = client.create(
        "Customer", {"DisplayName": "Amy's", "Balance": Decimal("10.50")}, request_id="ow-1"
    )

    request = mocked.calls[0].request
    assert parse_qs(urlsplit(request.url).query) == {"requestid": ["ow-1"], "minorversion": ["75"]}
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body, parse_float=Decimal) == {
        "DisplayName": "Amy's",
        "Balance": Decimal("10.50"),
    }
    assert customer == corpus_json("entity/customer-create.response.json")["Customer"]


def test_create_is_retried_after_a_timeout_with_the_same_request_id(mocked, client):
    url = f"{COMPANY}/invoice"
    mocked.add(responses.POST, url, body=requests.ReadTimeout())
    mocked.add(responses.POST, url, body=corpus_bytes("entity/invoice-create.response.json"))

    client.create("Invoice", {"Line": []}, request_id="OW-Sale-7")

    assert [parse_qs(urlsplit(c.request.url).query)["requestid"] for c in mocked.calls] == [["OW-Sale-7"]] * 2


def test_company_info_and_preferences(mocked, client):
    mocked.add(
        responses.GET, f"{COMPANY}/companyinfo/{REALM}", body=corpus_bytes("entity/companyinfo-read.json")
    )
    mocked.add(responses.GET, f"{COMPANY}/preferences", body=corpus_bytes("entity/preferences-read.json"))

    assert client.company_info()["CompanyName"] == "TestCompany"
    assert "CurrencyPrefs" in client.preferences()
    assert client.calls == 2


def test_report_passes_its_parameters(mocked, client):
    mocked.add(
        responses.GET, f"{COMPANY}/reports/ProfitAndLoss", body=corpus_bytes("reports/balance-sheet.json")
    )

    report = client.report("ProfitAndLoss", {"start_date": "2025-01-01", "end_date": "2025-03-31"})

    query = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert query == {"start_date": ["2025-01-01"], "end_date": ["2025-03-31"], "minorversion": ["75"]}
    assert "Rows" in report


def test_repr_hides_the_token(client):
    assert TOKEN not in repr(client) and REALM in repr(client)

