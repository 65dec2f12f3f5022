"""The only code that speaks HTTP to the QuickBooks Online Accounting API.

Every request carries the bearer token, JSON Accept, our User-Agent, `minorversion` and a timeout.
Transient failures (429/3001, 5xx, timeouts, dropped connections) are retried with exponential
backoff; everything else is raised at once as an error from `errors.py`. Bodies are parsed with
`parse_float=Decimal`, so money stays Decimal. Callers get plain dicts.

Time is bounded twice. requests' `timeout` only bounds each socket operation, so a server sending a
byte every few seconds could hold a call for minutes; `send_within` therefore streams the body and
gives up when connect + the whole response has taken `timeout` seconds (oauth.py uses it too). And
one `_request` (every attempt and every wait between them) stops at its `total_timeout` budget.

Queries are POSTed with the statement as an `application/text` body (as python-quickbooks does)
rather than sent as `GET ?query=`: the statement never appears in URLs or access logs, `&` and
quotes need no URL encoding, and a long `Id IN (...)` list cannot hit a URL length limit.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from finance.quickbooks.budget import Budget
from finance.quickbooks.errors import (
    QuickBooksError,
    RunTooLongError,
    ThrottledError,
    error_from_exception,
    error_from_response,
    faults_in_body,
)

USER_AGENT = "OtiumWork/1.0"
BATCH_LIMIT = 30  # Intuit's documented maximum of payloads per batch request
PAGE_LIMIT = 1000  # QBO returns at most 1000 rows per query page
_ENTITY = re.compile(r"^[A-Za-z]+$")
_NETWORK_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
# Large reads keep a 1000-row page to a few dozen reads; one read returns whatever has arrived.
READ_CHUNK = 64 * 1024


def quote(value: str) -> str:
    """A QBO query string literal: backslash and apostrophe escaped with a backslash, in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def page_statement(entity: str, where: str, start: int, size: int) -> str:
    """One page of `SELECT * FROM entity`, in a stable order so paging neither skips nor repeats rows."""
    if not _ENTITY.match(entity):
        raise ValueError(f"not a QuickBooks entity name: {entity!r}")
    if not 1 <= size <= PAGE_LIMIT:
        raise ValueError(f"page_size must be between 1 and {PAGE_LIMIT}")
    condition = f" WHERE {where}" if where else ""
    # entity is checked above; where is built by our own callers, with quote() for literals.
    return f"SELECT * FROM {entity}{condition} ORDERBY Id STARTPOSITION {start} MAXRESULTS {size}"  # noqa: S608


ID_CHUNK = 500  # ids per `Id IN (...)` query: well under a page, and a short statement


def by_id_selects(name: str, entity: str, ids: list[str], page_size: int = PAGE_LIMIT) -> dict[str, tuple[str, str]]:
    """Selects (for `query_all_many`) of the rows of ``entity`` with these Ids, named `{name}_{n}`.
    A chunk smaller than a page always comes back short: one round of batch calls fetches them all."""
    size = max(1, min(ID_CHUNK, page_size - 1))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    return {
        f"{name}_{n}": (entity, "Id IN (" + ", ".join(quote(i) for i in chunk) + ")") for n, chunk in enumerate(chunks)
    }


def count_statement(entity: str, where: str) -> str:
    if not _ENTITY.match(entity):
        raise ValueError(f"not a QuickBooks entity name: {entity!r}")
    condition = f" WHERE {where}" if where else ""
    return f"SELECT COUNT(*) FROM {entity}{condition}"  # noqa: S608 - entity checked, where built by our callers


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _entity_in(payload: dict, entity: str) -> dict:
    """The object QBO wraps under its entity name (`{"Invoice": {...}, "time": ...}`), any key case."""
    return next((v for k, v in payload.items() if k.lower() == entity.lower()), {})


def _to_json(body: Any) -> bytes:
    # Decimal goes out as a JSON number; float() is exact for amounts of up to 15 significant digits.
    def number(value: Any) -> float:
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(f"cannot send {type(value).__name__} to QuickBooks")

    return json.dumps(body, default=number).encode("utf-8")


class DeadlineExceeded(requests.Timeout):
    """A call (connect, headers and the whole body) took longer than it was allowed.

    A `requests.Timeout`, so everything that maps or retries a timeout treats it as one."""


def send_within(
    send: Callable[..., requests.Response], method: str, url: str, *args: Any, limit: float, **kwargs: Any
) -> requests.Response:
    """`send(method, url, ...)` (a Session's `request`) with the whole call bounded by `limit` s.

    The connect and each header read wait at most `limit` (requests' own timeout); the body is then
    read here, each read waiting no longer than what is left, and the call gives up once `limit`
    seconds have passed since it started. The response comes back with its body fully read, so
    `.content`, `.text` and `.json()` make no further network read. A server that trickles its
    *headers* is only bounded per read, by `limit`, and caught once they are in.
    """
    if limit <= 0:
        raise DeadlineExceeded(_overdue(limit))
    deadline = time.monotonic() + limit
    response = send(method, url, *args, stream=True, timeout=limit, **kwargs)
    try:
        body = _read_body(response.raw, deadline, limit)
    except BaseException:
        response.close()  # mid-body: the connection is dropped, never handed to the next call
        raise
    # What requests itself stores once it has read a body (`Response.content`).
    response._content, response._content_consumed = body, True
    return response


def _read_body(raw: Any, deadline: float, limit: float) -> bytes:
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(_overdue(limit))
        _wait_at_most(raw, left)
        try:
            chunk = raw.read1(READ_CHUNK, decode_content=True)
        # The same mapping as requests' `iter_content`, except that a read timeout is the
        # deadline passing (no read was allowed to wait longer than what was left).
        except ReadTimeoutError:
            raise DeadlineExceeded(_overdue(limit)) from None
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _wait_at_most(raw: Any, seconds: float) -> None:
    # The socket is this call's own until the body is read, and urllib3 sets its timeout afresh
    # when the connection is reused; a mocked response has no socket.
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _overdue(limit: float) -> str:
    return f"QuickBooks did not answer within {max(limit, 0):g} s"


# The process's idle HTTP sessions to QuickBooks (see QuickBooksClient.__init__).
_IDLE_SESSIONS: queue.SimpleQueue[requests.Session] = queue.SimpleQueue()


class CallCounter:
    """HTTP calls to QuickBooks, added up across every client handed the same counter (thread-safe),
    and the run's deadline, after which no call starts.

    A run gives one counter to each client it builds, so a retry with a new client after a 401 and a
    call that failed both count; ``seconds`` bounds the run as a whole (each call is bounded too, so
    a run ends at most one call's timeout after its deadline)."""

    def __init__(self, seconds: float | None = None) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.seconds = seconds
        self._deadline = time.monotonic() + seconds if seconds is not None else None

    def add(self) -> None:
        with self._lock:
            self.total += 1

    def check(self) -> None:
        """Raise RunTooLongError once the run's deadline has passed."""
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise RunTooLongError("no QuickBooks call starts after the run's deadline", detail=f"{self.seconds:g} s")


class QuickBooksClient:
    """One realm, one access token. `calls` counts this client's HTTP requests, retries included;
    `counter`, when given, also counts them for whoever built the client.

    `timeout` bounds each attempt whole: connect and the full response. `total_timeout` bounds one
    call with its retries: no attempt and no wait starts once it is spent, no wait would end past
    it, and an attempt gets at most what is left. By default it is `max_attempts * timeout` plus
    the longer of the exponential backoff waits (`backoff * (2**(max_attempts-1) - 1)`) and one
    `throttle_wait`: a call timing out on every attempt still gets all its attempts, and a 429 still
    gets its pause, yet nothing holds a caller longer: 140 s with the settings' defaults (timeout 20,
    4 attempts, backoff 1, throttle_wait 60).
    The budget runs on the monotonic clock; an injected `sleep` that does not sleep does not use it.
    """

    def __init__(
        self,
        *,
        api_base: str,
        realm_id: str,
        access_token: str,
        session: requests.Session | None = None,
        minor_version: int = 75,
        timeout: float = 20.0,
        max_attempts: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        throttle_wait: float = 60.0,
        max_wait: float = 120.0,
        counter: CallCounter | None = None,
        total_timeout: float | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.company_url = f"{api_base.rstrip('/')}/v3/company/{realm_id}"
        self.realm_id = realm_id
        self._token = access_token
        # Idle sessions, one more for each call in flight at once (`query_all_counted` sends two):
        # a session is never shared by two threads, and each keeps its connection for the next call.
        # Shared by every client of the process (the next sync reuses the connections, and their TLS),
        # unless a session of its own is given.
        self._sessions: queue.SimpleQueue[requests.Session] = _IDLE_SESSIONS
        if session is not None:
            self._sessions = queue.SimpleQueue()
            self._sessions.put(session)
        self._lock = threading.Lock()
        self.minor_version, self.timeout = minor_version, timeout
        self.max_attempts, self.backoff, self._sleep = max(1, max_attempts), backoff, sleep
        # Intuit asks to wait 60 s after a 429; a Retry-After longer than max_wait is not waited for.
        self.throttle_wait, self.max_wait = throttle_wait, max_wait
        self.total_timeout = total_timeout if total_timeout is not None else self._default_budget()
        self.calls = 0
        self.counter = counter or CallCounter()
        # QuickBooks' per-company limits shared with every other client (budget.py); None: unlimited.
        self.quickbooks_budget = budget

    def _default_budget(self) -> float:
        backoff_waits = self.backoff * (2 ** (self.max_attempts - 1) - 1)
        return self.max_attempts * self.timeout + max(backoff_waits, self.throttle_wait)

    def __repr__(self) -> str:
        return f"<QuickBooksClient realm={self.realm_id} calls={self.calls}>"

    @property
    def access_token(self) -> str:
        """The bearer token in use (to tell the token store which one QuickBooks refused)."""
        return self._token

    # -- reads -------------------------------------------------------------------------------

    def query(self, statement: str) -> dict:
        """The `QueryResponse` of one statement (`{}` when nothing matched)."""
        payload = self._request(
            "POST", "query", data=statement.encode("utf-8"), content_type="application/text; charset=utf-8"
        )
        return payload.get("QueryResponse") or {}

    def query_all(self, entity: str, where: str = "", *, page_size: int = PAGE_LIMIT) -> list[dict]:
        """Every row of `SELECT * FROM entity WHERE where`, page by page until a page comes back short."""
        rows: list[dict] = []
        start = 1
        while True:
            page = self.query(page_statement(entity, where, start, page_size)).get(entity, [])
            rows.extend(page)
            if len(page) < page_size:
                return rows
            start += page_size

    def query_many(self, statements: dict[str, str]) -> dict[str, dict]:
        """Several statements through batch (30 per HTTP call): name -> its `QueryResponse`.

        A fault in any of them raises (a query fault is a bug in our query, not data to keep).
        """
        names = list(statements)
        items = [{"bId": f"q{i}", "Query": statements[name]} for i, name in enumerate(names)]
        results = self.batch(items, raise_faults=True)
        return {name: result.get("QueryResponse") or {} for name, result in zip(names, results, strict=True)}

    def query_all_many(
        self, selects: dict[str, tuple[str, str]], *, page_size: int = PAGE_LIMIT
    ) -> dict[str, list[dict]]:
        """Several `query_all`s paged side by side through batch: name -> (entity, where) -> rows.

        Each round fetches the next page of every select whose last page was full, so the first
        pages of invoices, bills, payments and bill payments cost one HTTP call together.
        """
        rows: dict[str, list[dict]] = {name: [] for name in selects}
        start, pending = 1, list(selects)
        while pending:
            statements = {n: page_statement(*selects[n], start, page_size) for n in pending}
            pages = {n: r.get(selects[n][0], []) for n, r in self.query_many(statements).items()}
            for name, page in pages.items():
                rows[name].extend(page)
            pending = [n for n in pending if len(pages[n]) == page_size]
            start += page_size
        return rows

    def query_all_counted(
        self, selects: dict[str, tuple[str, str]], *, page_size: int = PAGE_LIMIT
    ) -> dict[str, list[dict]]:
        """What `query_all_many` returns, in fewer calls and less waiting when results span several
        pages. Two calls go out at once: one with every select's COUNT(*) (answered at once), one
        with every select's first page. As soon as the counts are back, every further page is
        known and sent (30 queries per batch call) while QuickBooks is still answering, and this
        process still reading, the first pages. A select still full at its counted end (rows added
        meanwhile) goes on page by page, so nothing is missed."""
        firsts = {name: page_statement(entity, where, 1, page_size) for name, (entity, where) in selects.items()}
        counts = {name: count_statement(entity, where) for name, (entity, where) in selects.items()}
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="qbo") as pool:
            first_pages = pool.submit(self.query_many, firsts)
            totals = self.query_many(counts)
            rest: dict[str, str] = {}
            for name, (entity, where) in selects.items():
                total = int(totals[name].get("totalCount") or 0)
                for start in range(1 + page_size, total + 1, page_size):
                    rest[f"{name}@{start}"] = page_statement(entity, where, start, page_size)
            further = pool.submit(self.query_many, rest) if rest else None
            answers = first_pages.result()
            pages = further.result() if further else {}
        rows = {name: answers[name].get(selects[name][0], []) for name in selects}
        for key, answer in pages.items():  # query_many keeps the order: pages come in ascending
            name = key.rsplit("@", 1)[0]
            if len(rows[name]) % page_size == 0:  # nothing after a short page (rows deleted meanwhile)
                rows[name].extend(answer.get(selects[name][0], []))
        for name, (entity, where) in selects.items():
            start = len(rows[name]) + 1
            while rows[name] and len(rows[name]) % page_size == 0:
                page = self.query(page_statement(entity, where, start, page_size)).get(entity, [])
                rows[name].extend(page)
                if len(page) < page_size:
                    break
                start += page_size
        return rows

    def read(self, entity: str, entity_id: str) -> dict:
        return _entity_in(self._request("GET", f"{entity.lower()}/{entity_id}"), entity)

    def company_info(self) -> dict:
        return self.read("CompanyInfo", self.realm_id)

    def preferences(self) -> dict:
        return _entity_in(self._request("GET", "preferences"), "Preferences")

    def change_data_capture(self, entities: list[str], since: datetime) -> dict[str, list[dict]]:
        """What changed since ``since`` (QuickBooks keeps 30 days): entity -> its changed rows, a
        deleted one as ``{"status": "Deleted", "Id", "MetaData"}``. QuickBooks answers at most 1,000
        rows of an entity; a caller that gets that many must read in full instead."""
        if since.tzinfo is None:
            raise ValueError("changedSince needs a time zone")
        payload = self._request(
            "GET", "cdc", params={"entities": ",".join(entities), "changedSince": since.isoformat(timespec="seconds")}
        )
        changed: dict[str, list[dict]] = {entity: [] for entity in entities}
        for answer in payload.get("CDCResponse") or ():
            for slot in answer.get("QueryResponse") or ():
                for entity in entities:
                    changed[entity].extend(_entity_in(slot, entity) or ())
        return changed

    def report(self, name: str, params: dict[str, str] | None = None) -> dict:
        """A report (`Header`, `Columns`, `Rows`), e.g. `report("ProfitAndLoss", {"start_date": ...})`."""
        return self._request("GET", f"reports/{name}", params=params)

    # -- writes ------------------------------------------------------------------------------

    def create(self, entity: str, body: dict, *, request_id: str) -> dict:
        """Create one object. QBO answers a repeated `request_id` with the first result, so retrying
        after a timeout cannot create a duplicate."""
        payload = self._request(
            "POST",
            entity.lower(),
            params={"requestid": request_id},
            data=_to_json(body),
            content_type="application/json",
        )
        return _entity_in(payload, entity)

    def batch(self, items: list[dict], *, raise_faults: bool = False) -> list[dict | QuickBooksError]:
        """Run batch items (30 per HTTP call) and return their responses in request order.

        An item that failed comes back as a QuickBooksError in its place (the caller decides),
        or is raised when `raise_faults` is set. Items without a `bId` get one.
        """
        items = [item if "bId" in item else {**item, "bId": f"b{i}"} for i, item in enumerate(items)]
        results: list[dict | QuickBooksError] = []
        for chunk in _chunks(items, BATCH_LIMIT):
            results.extend(self._batch_call(chunk))
        if raise_faults:
            for result in results:
                if isinstance(result, QuickBooksError):
                    raise result
        return results

    def _batch_call(self, chunk: list[dict]) -> list[dict | QuickBooksError]:
        # Writes in a batch carry no requestid, so only a throttled (never processed) batch is resent.
        idempotent = all("operation" not in item for item in chunk)
        payload = self._request(
            "POST",
            "batch",
            data=_to_json({"BatchItemRequest": chunk}),
            content_type="application/json",
            idempotent=idempotent,
        )
        by_bid = {item.get("bId"): item for item in payload.get("BatchItemResponse", [])}
        return [self._batch_result(by_bid.get(item["bId"]), item["bId"]) for item in chunk]

    @staticmethod
    def _batch_result(response: dict | None, bid: str) -> dict | QuickBooksError:
        if response is None:
            return QuickBooksError("QuickBooks sent no answer for this batch item", detail=f"bId {bid}")
        return faults_in_body(response) or response

    # -- the wire ----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        data: bytes | None = None,
        content_type: str | None = None,
        idempotent: bool = True,
    ) -> dict:
        params = {**(params or {}), "minorversion": self.minor_version}
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if content_type:
            headers["Content-Type"] = content_type
        url = f"{self.company_url}/{path}"
        # Per call, on this thread's stack: calls running side by side each have their own budget.
        deadline = time.monotonic() + self.total_timeout
        for attempt in range(1, self.max_attempts + 1):
            self.counter.check()  # outside the try: a run past its deadline is never retried here
            try:
                limit = min(self.timeout, deadline - time.monotonic())
                return self._attempt(method, url, limit=limit, params=params, headers=headers, data=data)
            except QuickBooksError as error:
                wait = self._wait_before_retry(error, attempt, idempotent)
                # A wait that would use up the budget is not started: the next attempt could not run.
                if wait is None or time.monotonic() + wait >= deadline:
                    raise
                self._sleep(wait)
                if time.monotonic() >= deadline:  # the wait overran (a busy machine)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, url: str, *, limit: float, **kwargs: Any) -> dict:
        budget = self.quickbooks_budget
        place = budget.slot(self.realm_id, batch=url.endswith("/batch")) if budget else nullcontext()
        with place:  # one of the realm's places in flight, taken once its minute's budget allows
            with self._lock:
                self.calls += 1
            self.counter.add()
            try:
                session = self._sessions.get_nowait()
            except queue.Empty:  # each idle session is in use by a call in flight
                session = requests.Session()
            try:
                # The body is read before the session goes back: its connection is in use until then.
                response = send_within(session.request, method, url, limit=limit, **kwargs)
            except _NETWORK_ERRORS as exc:
                raise error_from_exception(exc) from exc
            finally:
                session.cookies.clear()  # nothing of one company's answers travels to another's calls
                self._sessions.put(session)
        if not response.ok:
            error = error_from_response(response).scrub(self._token)
            if isinstance(error, ThrottledError) and error.retry_after and budget:
                budget.pause(self.realm_id, error.retry_after)  # for every worker, not only this call
            raise error
        try:
            payload = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise error_from_response(response).scrub(self._token) from None  # XML or HTML with a 200
        fault = faults_in_body(payload)  # e.g. CDC's SystemFault, sent with 200
        if fault is not None:
            raise fault.scrub(self._token)
        return payload

    def _wait_before_retry(self, error: QuickBooksError, attempt: int, idempotent: bool) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise."""
        throttled = isinstance(error, ThrottledError)
        if attempt >= self.max_attempts or not error.transient or not (idempotent or throttled):
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        wait = self.backoff * 2 ** (attempt - 1)
        return max(wait, self.throttle_wait) if throttled else wait
