"""Wire format only: the request as the handlers see it, the response they return, QBO's JSON.

QBO writes money with two decimals (`100.00`) but zero as `0`, so amounts travel as `Decimal` and are
written by `dumps` as their exact text, never through float.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

_MARK = "\x01DEC"
_MARK_RE = re.compile(r'"\\u0001DEC(-?[0-9.]+)"')
_RAW = "\x01RAW"
_RAW_RE = re.compile(r'"\\u0001RAW([0-9]+)"')
_CENT = Decimal("0.01")

JSON_OK = "application/json;charset=utf-8"
JSON_FAULT = "application/json"
TOKEN_JSON = "application/json;charset=UTF-8"  # noqa: S105 - a content type, not a secret
XML = "application/xml"
HTML = "text/html; charset=utf-8"


def money_text(value: Decimal) -> str:
    """`100.00`, `0`, or a rate with its own precision (`83.1234`)."""
    if value == 0:
        return "0"
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        return format(value.normalize(), "f")
    return format(value.quantize(_CENT), "f")


class RawJSON:
    """JSON text already in QBO's wire format (a stored entity body): `dumps` writes it as it is,
    which spares parsing and re-writing every row of a 1000-row query page."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return _MARK + money_text(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(body: Any) -> str:
    """Compact JSON as QBO sends it, with Decimal amounts written exactly."""
    raws: list[str] = []

    def default(value: Any) -> str:
        if isinstance(value, RawJSON):
            raws.append(value.text)
            return f"{_RAW}{len(raws) - 1}"
        return _default(value)

    text = json.dumps(body, default=default, ensure_ascii=False, separators=(",", ":"))
    if _MARK in text or "\\u0001DEC" in text:
        text = _MARK_RE.sub(r"\1", text)
    if raws:  # spliced last, so nothing inside a stored body is ever rewritten
        text = _RAW_RE.sub(lambda match: raws[int(match.group(1))], text)
    return text


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def money(value: Any) -> Decimal:
    """Any JSON number or numeric string as a 2-place Decimal."""
    return Decimal(str(value)).quantize(_CENT)


def new_tid() -> str:
    """An `intuit_tid` in the current format: `1-<8 hex epoch secs>-<24 hex>`."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


@dataclass
class Request:
    """What a handler needs from the WSGI environ."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        raw_path = environ.get("PATH_INFO", "") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", "replace")
        query = {
            k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
        }
        return cls(environ["REQUEST_METHOD"].upper(), path, query, headers, body, _base_url(environ))

    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return loads(self.body or b"{}")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.text(), keep_blank_values=True).items()}

    def wants_xml(self) -> bool:
        accept = self.headers.get("accept", "")
        return "xml" in accept and "json" not in accept


def _base_url(environ: dict[str, Any]) -> str:
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "127.0.0.1")
        port = environ.get("SERVER_PORT", "80")
        if port not in ("80", "443"):
            host = f"{host}:{port}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '').rstrip('/')}"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(body: Any, status: int = 200, content_type: str = JSON_OK) -> Response:
    return Response(status, dumps(body).encode("utf-8"), content_type)


def text_response(text: str, status: int, content_type: str) -> Response:
    return Response(status, text.encode("utf-8"), content_type)


def redirect(location: str) -> Response:
    return Response(302, b"", None, [("Location", location)])
