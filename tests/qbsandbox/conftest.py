"""Fixtures for the sandbox's own tests: one running sandbox per session, a fresh realm and app per test.

No Django here: these tests run with or without the Django plugin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from qbsandbox.testing import RunningSandbox, start_sandbox

REDIRECT_URI = "http://client.test/finance/qb/callback"
TIMEOUT = 10


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> RunningSandbox:
    running = start_sandbox(tmp_path_factory.mktemp("qbsandbox") / "sandbox.sqlite3")
    yield running
    running.stop()


@pytest.fixture
def app(sandbox: RunningSandbox) -> dict[str, Any]:
    return sandbox.register_app(redirect_uris=[REDIRECT_URI])


@pytest.fixture
def realm(sandbox: RunningSandbox) -> str:
    return sandbox.create_realm(name="Test Company", currency="USD", size=0)


@dataclass
class Connection:
    """A connected app: tokens for one realm, and a requests session that speaks the Accounting API."""

    base_url: str
    realm_id: str
    client_id: str
    client_secret: str
    access_token: str
    refresh_token: str

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self.access_token}",
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        url = f"{self.base_url}/v3/company/{self.realm_id}/{path.lstrip('/')}"
        return requests.request(
            method, url, headers=headers, timeout=kwargs.pop("timeout", TIMEOUT), **kwargs
        )

    def query(self, text: str, **kwargs: Any) -> requests.Response:
        return self.api("GET", "query", params={"query": text, "minorversion": "75"}, **kwargs)

    def create(self, entity: str, body: dict[str, Any], **params: str) -> requests.Response:
        return self.api("POST", entity.lower(), json=body, params={"minorversion": "75", **params})


def authorize(
    base_url: str,
    app: dict[str, Any],
    realm_id: str,
    scope: str = "com.intuit.quickbooks.accounting",
    decision: str = "approve",
) -> dict[str, str]:
    """Drive the consent form like a browser; returns the query of the redirect back to the app."""
    params = {
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": scope,
        "state": "state-123",
    }
    page = requests.get(f"{base_url}/connect/oauth2", params=params, timeout=TIMEOUT)
    assert page.status_code == 200 and realm_id in page.text
    answer = requests.post(
        f"{base_url}/connect/oauth2",
        data={**params, "realm_id": realm_id, "decision": decision},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token_request(base_url: str, app: dict[str, Any], **form: str) -> requests.Response:
    return requests.post(
        f"{base_url}/oauth2/v1/tokens/bearer",
        data=form,
        timeout=TIMEOUT,
        auth=(app["client_id"], app["client_secret"]),
        headers={"Accept": "application/json"},
    )


def connect_app(base_url: str, app: dict[str, Any], realm_id: str) -> Connection:
    code = authorize(base_url, app, realm_id)["code"]
    tokens = token_request(
        base_url, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return Connection(
        base_url,
        realm_id,
        app["client_id"],
        app["client_secret"],
        body["access_token"],
        body["refresh_token"],
    )


@pytest.fixture
def conn(sandbox: RunningSandbox, app: dict[str, Any], realm: str) -> Connection:
    return connect_app(sandbox.url, app, realm)


@pytest.fixture
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses plain http unless told otherwise (never outside tests and local runs)."""
    monkeypatch.setitem(os.environ, "OAUTHLIB_INSECURE_TRANSPORT", "1")
