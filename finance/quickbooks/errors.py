"""QuickBooks errors, grouped by what the caller must do, and the one mapping from the wire to them.

    QuickBooksError            anything else (HTML 404/413, unknown OAuth errors): a bug or a setup problem
    ├── AuthError              reconnect the entity (401, 403/3100, invalid_grant, invalid_client)
    ├── ThrottledError         retry later (429, code 3001 in JSON or XML, even with HTTP 403)
    ├── UnavailableError       transient (5xx, HTML error pages from the load balancer, timeouts)
    ├── ValidationFault        fix the data (400 ValidationFault: 6240, 2020, 2500, 610, 5010...)
    └── QueryError             a bug in our query (codes 4000, 4001, 4002)

Every error keeps QBO's code, Message, Detail, element, intuit_tid, HTTP status and raw body, so
callers can word their own message ("code 6240" + detail) while the raw text stays available.
`str()` is meant for a finance admin; it never carries the raw body, and token-like strings in
QBO's text (a 401 detail quotes the expired token) are redacted.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses QuickBooks' own responses
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from time import time

import requests

_QUERY_CODES = {"4000", "4001", "4002"}
_OAUTH_AUTH_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client"}
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{32,}(?:\.[A-Za-z0-9_\-]*)*")
_REDACTED = "[redacted]"


class QuickBooksError(Exception):
    headline = "QuickBooks returned an unexpected error"
    transient = False

    def __init__(
        self,
        message: str = "",
        *,
        code: str = "",
        detail: str = "",
        element: str = "",
        fault_type: str = "",
        status: int | None = None,
        intuit_tid: str = "",
        body: str = "",
        errors: tuple[dict, ...] = (),
        retry_after: float | None = None,
        summary: str = "",
    ) -> None:
        self.message, self.code, self.detail, self.element = message, code, detail, element
        self.fault_type, self.status, self.intuit_tid, self.body = fault_type, status, intuit_tid, body
        self.errors, self.retry_after = errors, retry_after
        self.summary = summary or self.headline
        super().__init__(str(self))

    def __str__(self) -> str:
        said = " - ".join(part for part in (self.message, self.detail) if part)
        facts = [f"code {self.code}" if self.code else "", f"HTTP {self.status}" if self.status else ""]
        facts.append(f"intuit_tid {self.intuit_tid}" if self.intuit_tid else "")
        text = self.summary + (f". QuickBooks said: {said}" if said else "")
        tail = ", ".join(f for f in facts if f)
        return _TOKENISH.sub(_REDACTED, text) + (f" ({tail})" if tail else "")

    def __reduce__(self):
        # Keep every attribute when the error crosses a process boundary (Celery results).
        return (_rebuild, (type(self), self.__dict__.copy()))

    def scrub(self, *secrets: str) -> QuickBooksError:
        """Remove the given secrets (tokens) from every text this error carries."""
        for secret in filter(None, secrets):
            for name in ("message", "detail", "body"):
                setattr(self, name, getattr(self, name).replace(secret, _REDACTED))
        self.args = (str(self),)
        return self


class AuthError(QuickBooksError):
    headline = "QuickBooks refused this connection's credentials; reconnect the entity to QuickBooks"


class ThrottledError(QuickBooksError):
    headline = "QuickBooks is limiting how fast we can call it; try again in a minute"
    transient = True


class UnavailableError(QuickBooksError):
    headline = "QuickBooks is not reachable right now; try again later"
    transient = True


class RunTooLongError(UnavailableError):
    headline = "The sync took longer than it may and stopped before its next QuickBooks call; it will be tried again"


class ValidationFault(QuickBooksError):
    headline = "QuickBooks rejected the data"


class QueryError(QuickBooksError):
    headline = "QuickBooks rejected a query sent by OtiumWork (a bug to report)"


def _rebuild(cls: type[QuickBooksError], state: dict) -> QuickBooksError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.args = (str(error),)
    return error


@dataclass(frozen=True)
class _Fault:
    """What a response body says, whatever its format."""

    errors: tuple[dict, ...] = ()
    fault_type: str = ""
    oauth_error: str = ""
    title: str = ""
    codes: set[str] = field(default_factory=set)


def _error_entry(raw: dict) -> dict:
    # Upper-case keys in `Fault`, lower-case in the 401/403 `fault` envelope; values may be null.
    def pick(*keys: str) -> str:
        return next((str(raw[k]) for k in keys if raw.get(k) is not None), "")

    return {
        "code": pick("code"),
        "message": pick("Message", "message"),
        "detail": pick("Detail", "detail"),
        "element": pick("element"),
    }


def _fault(errors: list[dict], fault_type: str = "", **extra: str) -> _Fault:
    entries = tuple(_error_entry(e) for e in errors if isinstance(e, dict))
    return _Fault(entries, fault_type or "", codes={e["code"] for e in entries}, **extra)


def _fault_from_json(payload: object) -> _Fault | None:
    if not isinstance(payload, dict):
        return None
    for key, errors_key in (("Fault", "Error"), ("fault", "error")):
        envelope = payload.get(key)
        if isinstance(envelope, dict):
            return _fault(envelope.get(errors_key) or [], envelope.get("type") or "")
    if isinstance(payload.get("error"), str):  # OAuth token endpoint
        entry = {
            "code": payload["error"],
            "message": payload["error"],
            "detail": payload.get("error_description"),
        }
        return _fault([entry], oauth_error=payload["error"])
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _fault_from_xml(text: str) -> _Fault | None:
    try:
        root = ET.fromstring(text)  # noqa: S314 - QuickBooks' own responses
    except ET.ParseError:
        return None
    fault = next((el for el in root.iter() if _local(el.tag) == "Fault"), None)
    if fault is None:
        return None
    errors = []
    for el in (child for child in fault if _local(child.tag) == "Error"):
        texts = {_local(c.tag): (c.text or "").strip() for c in el}
        errors.append({**el.attrib, "Message": texts.get("Message"), "Detail": texts.get("Detail")})
    return _fault(errors, fault.get("type", ""))


def _fault_from_html(text: str) -> _Fault:
    match = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return _Fault(title=" ".join(match.group(1).split()) if match else "an HTML page")


def _read_fault(text: str) -> _Fault | None:
    head = text.lstrip()[:200].lower()
    if head.startswith(("{", "[")):
        try:
            return _fault_from_json(json.loads(text))
        except ValueError:
            return None
    if head.startswith("<!doctype html") or "<html" in head:
        return _fault_from_html(text)
    if head.startswith("<"):
        return _fault_from_xml(text)
    return None


def _class_for(status: int | None, fault: _Fault) -> type[QuickBooksError]:
    if fault.oauth_error:
        return AuthError if fault.oauth_error in _OAUTH_AUTH_ERRORS else _class_for_status(status)
    if status == 429 or "3001" in fault.codes:
        return ThrottledError
    if status in (401, 403):
        return AuthError
    if status is not None and status >= 500:
        return UnavailableError
    if fault.codes & _QUERY_CODES:
        return QueryError
    if fault.fault_type.lower() == "validationfault" or status == 400:
        return ValidationFault
    return QuickBooksError


def _class_for_status(status: int | None) -> type[QuickBooksError]:
    return UnavailableError if status is not None and status >= 500 else QuickBooksError


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); QBO has not been seen sending one."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None


def _build(
    fault: _Fault,
    *,
    status: int | None,
    intuit_tid: str = "",
    body: str = "",
    retry_after: float | None = None,
) -> QuickBooksError:
    cls = _class_for(status, fault)
    first = (
        fault.errors[0] if fault.errors else {"code": "", "message": fault.title, "detail": "", "element": ""}
    )
    summary = ""
    if fault.oauth_error == "invalid_client":
        summary = "QuickBooks rejected the app's Client ID or Client Secret; check them in the settings"
    return cls(
        first["message"],
        code=first["code"],
        detail=first["detail"],
        element=first["element"],
        fault_type=fault.fault_type,
        status=status,
        intuit_tid=intuit_tid,
        body=body,
        errors=fault.errors,
        retry_after=retry_after if cls is ThrottledError else None,
        summary=summary,
    )


def error_from_response(response: requests.Response) -> QuickBooksError:
    """The error a non-success QuickBooks or Intuit OAuth response stands for."""
    body = response.content.decode("utf-8", errors="replace")
    fault = _read_fault(body) or _Fault(title=f"HTTP {response.status_code} {response.reason or ''}".strip())
    tid = response.headers.get("intuit_tid") or response.headers.get("Intuit-Tid") or ""
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return _build(fault, status=response.status_code, intuit_tid=tid, body=body, retry_after=retry_after)


def error_from_exception(exc: requests.RequestException) -> UnavailableError:
    """A timeout or connection failure: QuickBooks could not be reached."""
    what = "the request timed out" if isinstance(exc, requests.Timeout) else "could not connect to QuickBooks"
    return UnavailableError(what, detail=f"{type(exc).__name__}: {exc}")


def faults_in_body(payload: object) -> QuickBooksError | None:
    """The fault carried by a body that came with HTTP 200 (a batch item, CDC's SystemFault), if any."""
    fault = _fault_from_json(payload) if isinstance(payload, dict) and "Fault" in payload else None
    if fault is None:
        return None
    return _build(fault, status=None, body=json.dumps(payload, default=str))
