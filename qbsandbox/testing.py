"""Test helper: run the sandbox on a free local port in a daemon thread, and call its control API.

    sandbox = start_sandbox(tmp_path / "qbo.sqlite3")      # starts in well under a second
    app = sandbox.register_app(redirect_uris=["http://testserver/finance/qb/callback"])
    realm = sandbox.create_realm(name="Test Co", currency="USD", size=50)
    sandbox.inject_fault(realm, "throttle", count=2)
    sandbox.stop()

The module-level functions do the same against any running sandbox given its base URL.
"""

from __future__ import annotations

import http.client
import json
import secrets
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from qbsandbox.app import SandboxApp, make_app
from qbsandbox.server import ThreadingWSGIServer, build_server


def control(
    base_url: str, method: str, path: str, body: dict[str, Any] | None = None, *, decimals: bool = False
) -> Any:
    """One JSON call to the sandbox's control API (`/_sandbox/...`); `decimals`: amounts as Decimal."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            f"{parts.path.rstrip('/')}/_sandbox/{path.lstrip('/')}",
            body=payload,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        response = conn.getresponse()
        data = json.loads(response.read() or b"null", parse_float=Decimal if decimals else float)
    finally:
        conn.close()
    if response.status >= 400:
        raise RuntimeError(f"sandbox control {method} {path}: {response.status} {data}")
    return data


def register_app(
    base_url: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uris: list[str] | None = None,
    rotate_refresh_tokens: bool = False,
) -> dict[str, Any]:
    """Register an app (random credentials unless given); returns client_id, client_secret, redirect_uris.

    `rotate_refresh_tokens`: a new refresh token on every refresh, the old one failing at once
    (default: Intuit's behaviour, the same value for 24 hours)."""
    body = {
        "client_id": client_id or f"test-client-{secrets.token_hex(6)}",
        "client_secret": client_secret or secrets.token_hex(16),
        "redirect_uris": redirect_uris or [],
        "rotate_refresh_tokens": rotate_refresh_tokens,
    }
    return control(base_url, "POST", "apps", body)


def create_realm(
    base_url: str,
    *,
    name: str = "Test Company",
    currency: str = "USD",
    multicurrency: bool = False,
    seed: int = 0,
    size: int = 0,
    today: str | None = None,
) -> str:
    body = {"name": name, "currency": currency, "multicurrency": multicurrency, "seed": seed, "size": size}
    if today:
        body["today"] = today
    return str(control(base_url, "POST", "realms", body)["realm_id"])


def advance_clock(base_url: str, seconds: float, realm_id: str | None = None) -> dict[str, Any]:
    """Move the sandbox clock forward (for one realm only when `realm_id` is given)."""
    body: dict[str, Any] = {"advance_seconds": seconds}
    if realm_id:
        body["realm_id"] = realm_id
    return control(base_url, "POST", "clock", body)


def inject_fault(
    base_url: str,
    realm_id: str,
    kind: str,
    *,
    count: int = 1,
    after: int = 0,
    seconds: float | None = None,
    retry_after: int | None = None,
) -> None:
    body: dict[str, Any] = {"kind": kind, "count": count, "after": after}
    if seconds is not None:
        body["seconds"] = seconds
    if retry_after is not None:
        body["retry_after"] = retry_after
    control(base_url, "POST", f"realms/{realm_id}/faults", body)


def calls(base_url: str, realm_id: str) -> dict[str, int]:
    return control(base_url, "GET", f"realms/{realm_id}/calls")


def insert_entity(base_url: str, realm_id: str, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    return control(base_url, "POST", f"realms/{realm_id}/entities/{entity}", body)[entity]


def query_entities(base_url: str, realm_id: str, text: str) -> dict[str, Any]:
    """The `QueryResponse` object of a query in the realm, without a token. Amounts are Decimal, as the
    sandbox stores them (a float would not compare equal to one)."""
    return control(base_url, "GET", f"realms/{realm_id}/query?query={quote(text)}", decimals=True)


def read_entity(base_url: str, realm_id: str, entity: str, entity_id: str) -> dict[str, Any]:
    path = f"realms/{realm_id}/entities/{entity}/{quote(str(entity_id))}"
    return control(base_url, "GET", path, decimals=True)[entity]


def seed_demo_realms(base_url: str, today: str | None = None) -> list[dict[str, Any]]:
    """The demo companies and app (idempotent); returns the demo realms."""
    return control(base_url, "POST", "demo", {"today": today} if today else {})["realms"]


def change_entity(
    base_url: str, realm_id: str, entity: str, entity_id: str, operation: str, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Update (the given fields), delete or void a stored entity, as a person would in QuickBooks."""
    path = f"realms/{realm_id}/entities/{entity}/{entity_id}/{operation}"
    return control(base_url, "POST", path, fields or {})[entity]


def subscribe_webhooks(base_url: str, url: str, verifier_token: str, body_format: str = "classic") -> dict[str, Any]:
    """Send the sandbox's change notifications to `url`, signed with `verifier_token`."""
    return control(base_url, "POST", "webhooks", {"url": url, "verifier_token": verifier_token, "format": body_format})


def webhook_deliveries(base_url: str) -> list[dict[str, Any]]:
    return control(base_url, "GET", "webhooks")["deliveries"]


@dataclass
class RunningSandbox:
    url: str
    app: SandboxApp
    server: ThreadingWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def register_app(self, **kwargs: Any) -> dict[str, Any]:
        return register_app(self.url, **kwargs)

    def create_realm(self, **kwargs: Any) -> str:
        return create_realm(self.url, **kwargs)

    def advance_clock(self, seconds: float, realm_id: str | None = None) -> dict[str, Any]:
        return advance_clock(self.url, seconds, realm_id)

    def inject_fault(self, realm_id: str, kind: str, **kwargs: Any) -> None:
        inject_fault(self.url, realm_id, kind, **kwargs)

    def calls(self, realm_id: str) -> dict[str, int]:
        return calls(self.url, realm_id)

    def insert_entity(self, realm_id: str, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return insert_entity(self.url, realm_id, entity, body)

    def change_entity(
        self, realm_id: str, entity: str, entity_id: str, operation: str, fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return change_entity(self.url, realm_id, entity, entity_id, operation, fields)

    def subscribe_webhooks(self, url: str, verifier_token: str, body_format: str = "classic") -> dict[str, Any]:
        return subscribe_webhooks(self.url, url, verifier_token, body_format)

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return webhook_deliveries(self.url)

    def query_entities(self, realm_id: str, text: str) -> dict[str, Any]:
        return query_entities(self.url, realm_id, text)

    def read_entity(self, realm_id: str, entity: str, entity_id: str) -> dict[str, Any]:
        return read_entity(self.url, realm_id, entity, entity_id)

    def seed_demo_realms(self, today: str | None = None) -> list[dict[str, Any]]:
        return seed_demo_realms(self.url, today)


def start_sandbox(db_path: str | Path, host: str = "127.0.0.1") -> RunningSandbox:
    """Serve a sandbox backed by `db_path` on a free port until `.stop()`."""
    app = make_app(str(db_path))
    server = build_server(app, host, 0, quiet=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="qbsandbox"
    )
    thread.start()
    return RunningSandbox(f"http://{host}:{server.server_port}", app, server, thread)
