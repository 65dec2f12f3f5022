"""`make_app(db_path)`: the sandbox as one WSGI callable (routing, fault rendering, common headers)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from qbsandbox import urls
from qbsandbox.exceptions import LowercaseFault, OAuthError, QboFault
from qbsandbox.responses import HTML, Request, Response, new_tid, text_response
from qbsandbox.store import Store

log = logging.getLogger("qbsandbox")
_REASONS = {
    200: "OK",
    201: "Created",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
_NOT_FOUND = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
    "</head><body>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on this server.</p>\n</body></html>\n"
)


class SandboxApp:
    """The WSGI application; `store` is public so in-process tests can call `models` functions on it."""

    def __init__(self, db_path: str, latency: float = 0.0) -> None:
        self.store = Store(db_path)
        # Seconds added before each Accounting API answer: a stand-in for the network and Intuit's
        # own processing, for benchmarks that should count round trips as a real deployment does.
        self.latency = latency

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request.from_environ(environ)
        response = self.respond(req)
        headers = [("intuit_tid", new_tid()), *response.headers]
        if response.content_type:
            headers.append(("Content-Type", response.content_type))
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", headers)
        return [response.body]

    def respond(self, req: Request) -> Response:
        found = urls.resolve(req.method, req.path)
        if not found:
            return text_response(_NOT_FOUND, 405 if found is False else 404, HTML)
        handler, params = found  # type: ignore[misc]
        if self.latency and req.path.startswith("/v3/"):
            time.sleep(self.latency)
        try:
            return handler(req, self.store, **params)
        except (QboFault, LowercaseFault) as fault:
            return fault.render(self.store.now(params.get("realm_id")), req.wants_xml())
        except OAuthError as error:
            return error.render()
        except Exception:
            log.exception("sandbox error on %s %s", req.method, req.path)
            raise


def make_app(db_path: str, latency: float = 0.0) -> SandboxApp:
    return SandboxApp(str(db_path), latency)
