"""A threaded stdlib WSGI server for the sandbox (one thread per request, so a `hang` fault never
blocks other requests), and the guard that keeps it out of production."""

from __future__ import annotations

import os
import socketserver
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """No access log, and no traceback when a client gave up (timeouts in tests)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class LoggingHandler(WSGIRequestHandler):
    pass


def production_mode() -> bool:
    """True when the environment says production: the sandbox must never run then."""
    debug = os.environ.get("DJANGO_DEBUG")
    return (debug is not None and debug.strip().lower() in ("0", "false", "no", "off")) or bool(
        os.environ.get("OTIUMWORK_PRODUCTION")
    )


def build_server(app: Any, host: str, port: int, quiet: bool = True) -> ThreadingWSGIServer:
    handler = QuietHandler if quiet else LoggingHandler
    server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=handler)
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    return server  # type: ignore[return-value]
