"""Whole-call deadlines against a real server on 127.0.0.1 that can trickle its answer.

requests' `timeout` bounds each socket read, so a server sending one byte every 0.25 s never trips
it. These tests check that an attempt, a whole retry sequence and an OAuth refresh give up at their
deadline instead, and that a normal answer (large, gzip, chunked) still comes through whole.
Timings are only asserted as "well before the trickle would have ended", never as exact speeds.
"""

import gzip
import json
import socketserver
import threading
import time
from decimal import Decimal

import pytest
import requests

from finance.quickbooks import oauth
from finance.quickbooks.client import QuickBooksClient
from finance.quickbooks.environments import urls_for
from finance.quickbooks.errors import ThrottledError, UnavailableError
from tests.corpus import corpus_bytes

REALM = "4620816365212676460"
TOKEN = "access-token-for-the-deadline-tests"
TRICKLE_GAP = 0.25  # seconds between two bytes of a trickled body
EMPTY_PAGE = json.dumps({"QueryResponse": {}, "time": "2024-05-01T10:00:00.000-07:00"}).encode()
TRICKLE_SECONDS = len(EMPTY_PAGE) * TRICKLE_GAP  # about 16 s: what "waiting it out" would cost
BOUND = 2.5  # a 1 s call must be over well before this, even on a busy 2-core machine


def big_page(rows: int) -> bytes:
    invoices = [{"Id": str(i), "TotalAmt": 100.10, "Balance": 0.00, "DocNumber": f"INV-{i}"} for i in range(rows)]
    return json.dumps({"QueryResponse": {"Invoice": invoices}, "time": "t"}).encode()


class _Handler(socketserver.StreamRequestHandler):
    """HTTP/1.1 with keep-alive; what it answers depends on the first path segment (the mode)."""

    def handle(self):
        while not self.server.stop.is_set():
            request = self._read_request()
            if request is None:
                return
            path, body = request
            self.server.hits.append(path)
            mode = path.strip("/").split("/", 1)[0]
            try:
                getattr(self, f"_{mode}")(body)
            except OSError:  # the client gave up and closed the connection
                return

    def _read_request(self):
        line = self.rfile.readline()
        if not line:
            return None
        headers = {}
        while (header := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.rfile.read(int(headers.get("content-length", 0)))
        return line.split()[1].decode(), body

    def _head(self, status, length, extra=""):
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
        self.wfile.write(head.encode())

    def _trickle(self, _body):
        self._head("200 OK", len(EMPTY_PAGE))
        for byte in EMPTY_PAGE:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if self.server.stop.wait(TRICKLE_GAP):
                return

    def _big(self, _body):
        payload = self.server.big
        self._head("200 OK", len(payload))
        self.wfile.write(payload)

    def _gzipchunked(self, _body):
        # Sent in small chunks so the reader sees several chunk boundaries and partial gzip data.
        packed = gzip.compress(self.server.big)
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for start in range(0, len(packed), 7000):
            piece = packed[start : start + 7000]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _throttled(self, _body):
        fault = b'{"Fault":{"Error":[{"Message":"message=ThrottleExceeded","code":"3001"}],"type":"SERVICE"}}'
        self._head("429 Too Many Requests", len(fault))
        self.wfile.write(fault)

    def _token(self, _body):
        self._head("200 OK", len(corpus_bytes("oauth/token-authorization-code.json")))
        self.wfile.write(corpus_bytes("oauth/token-authorization-code.json"))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def server():
    with _Server(("127.0.0.1", 0), _Handler) as srv:
        srv.stop, srv.hits, srv.big = threading.Event(), [], big_page(20_000)
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
        try:
            yield srv
        finally:
            srv.stop.set()  # ends every trickle at its next byte
            srv.shutdown()
            thread.join(timeout=5)


def client_for(server, mode, **options):
    return QuickBooksClient(api_base=f"{server.url}/{mode}", realm_id=REALM, access_token=TOKEN, **options)


def timed(action):
    started = time.monotonic()
    try:
        action()
    except Exception as error:  # noqa: BLE001 - handed back for the test to check
        return error, time.monotonic() - started
    raise AssertionError("the call was expected to fail")


# -- one attempt -------------------------------------------------------------------------------


def test_a_trickling_answer_is_given_up_at_the_timeout(server):
    client = client_for(server, "trickle", timeout=1, max_attempts=1)

    error, elapsed = timed(lambda: client.query("SELECT * FROM Invoice"))

    assert isinstance(error, UnavailableError) and error.transient
    assert "did not answer within 1 s" in error.detail
    assert elapsed < BOUND < TRICKLE_SECONDS
    assert client.calls == client.counter.total == 1


def test_a_trickled_attempt_is_retried_like_a_timeout(server):
    client = client_for(server, "trickle", timeout=0.4, max_attempts=2, backoff=0.05)

    error, elapsed = timed(lambda: client.query("SELECT * FROM Invoice"))

    assert isinstance(error, UnavailableError)
    assert client.calls == len(server.hits) == 2
    assert elapsed < BOUND


# -- the retry sequence ------------------------------------------------------------------------


def test_retries_stop_at_the_total_budget_and_the_last_attempt_gets_only_what_is_left(server):
    sent = []

    def recording_sleep(seconds):
        sent.append(seconds)
        time.sleep(seconds)

    seen = []
    session = requests.Session()
    real_request = session.request
    session.request = lambda *args, **kwargs: seen.append(kwargs["timeout"]) or real_request(*args, **kwargs)
    client = client_for(server, "trickle", timeout=1, max_attempts=10, backoff=0.1, total_timeout=1.5,
                        session=session, sleep=recording_sleep)  # fmt: skip

    error, elapsed = timed(lambda: client.query("SELECT * FROM Invoice"))

    assert isinstance(error, UnavailableError)
    # 1 s, a 0.1 s wait, then what was left of the 1.5 s; the 0.2 s wait after it would overrun.
    assert client.calls == 2 and sent == [0.1]
    assert seen[0] == 1 and seen[1] < 1
    assert elapsed < 1.5 + 1.0


def test_a_wait_that_would_outlast_the_budget_is_not_started(server):
    waits = []
    client = client_for(server, "throttled", timeout=1, throttle_wait=5, total_timeout=3, sleep=waits.append)

    with pytest.raises(ThrottledError):
        client.query("SELECT * FROM Invoice")

    assert waits == [] and client.calls == 1


def test_the_default_budget_covers_every_attempt_and_one_throttle_pause():
    client = QuickBooksClient(api_base="http://127.0.0.1:9", realm_id=REALM, access_token=TOKEN)
    assert client.total_timeout == 4 * 20 + 60

    slow_backoff = QuickBooksClient(
        api_base="http://127.0.0.1:9", realm_id=REALM, access_token=TOKEN, timeout=5, backoff=10
    )
    assert slow_backoff.total_timeout == 4 * 5 + 10 + 20 + 40


# -- normal answers through the streaming path ---------------------------------------------------


def test_a_large_answer_comes_through_whole_with_decimals_on_a_reused_connection(server):
    client = client_for(server, "big", timeout=5)

    first = client.query("SELECT * FROM Invoice")["Invoice"]
    second = client.query("SELECT * FROM Invoice")["Invoice"]

    assert len(first) == len(second) == 20_000
    last = {"Id": "19999", "TotalAmt": Decimal("100.1"), "Balance": Decimal("0.0"), "DocNumber": "INV-19999"}
    assert first[-1] == last
    assert client.calls == 2


def test_a_gzip_chunked_answer_is_decoded(server):
    client = client_for(server, "gzipchunked", timeout=5)

    rows = client.query("SELECT * FROM Invoice")["Invoice"]

    assert len(rows) == 20_000 and rows[0]["Id"] == "0"


def test_concurrent_calls_each_keep_their_own_deadline(server):
    trickling = client_for(server, "trickle", timeout=0.5, max_attempts=1)
    fast = client_for(server, "big", timeout=2, max_attempts=1)
    outcome = {}

    def run(name, client):
        try:
            outcome[name] = len(client.query("SELECT * FROM Invoice")["Invoice"])
        except UnavailableError as error:
            outcome[name] = error

    threads = [threading.Thread(target=run, args=pair) for pair in (("slow", trickling), ("fast", fast))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BOUND + 1)

    assert outcome["fast"] == 20_000
    assert isinstance(outcome["slow"], UnavailableError)


# -- OAuth -------------------------------------------------------------------------------------


def auth_client(server, mode, timeout):
    return oauth.AppAuthClient(
        urls=urls_for("local", local_base_url=f"{server.url}/{mode}"),
        environment="local",
        client_id="client-id",
        client_secret="client-secret-value-1234",
        redirect_uri="https://otium.example/finance/qb/callback",
        timeout=timeout,
    )


def test_a_refresh_against_a_trickling_token_endpoint_is_bounded(server):
    client = auth_client(server, "trickle", timeout=1)

    error, elapsed = timed(lambda: oauth.refresh(client, refresh_token="old-refresh"))

    assert isinstance(error, UnavailableError)
    assert "timed out" in str(error)
    assert elapsed < BOUND < TRICKLE_SECONDS


def test_a_refresh_against_a_prompt_token_endpoint_still_works(server):
    client = auth_client(server, "token", timeout=2)

    tokens = oauth.refresh(client, refresh_token="old-refresh")

    assert (tokens.access_token, tokens.refresh_token) == ("sample_access_token", "sample_refresh_token")
