"""OAuth 2.0 calls to Intuit (authorize URL, code exchange, refresh, revoke) through intuit-oauth.

intuit-oauth's `AuthClient` is a `requests.Session` that sets no timeout and, in its constructor,
fetches the OpenID discovery document of the environment (any environment other than
production/sandbox is taken as the discovery URL). We do not let it do that: `AppAuthClient` builds
itself from our `QuickBooksUrls` instead, for every environment. Reasons:
- the endpoints are already known: Intuit's are fixed (Intuit's sandbox discovery document
  lists exactly these hosts) and the local ones derive from QBO_LOCAL_URL by definition (docs/sync.md, "Environments"),
  so a stand-in server is reached at the same base URL even if it advertises another host name;
- no extra HTTP call per connect/refresh/revoke, and no new way to fail: a refresh no longer
  depends on developer.intuit.com being up, nor hangs on it;
- no process-wide cache to invalidate when an admin switches environments.
The cost is that `AppAuthClient.__init__` mirrors the attributes intuit-oauth 1.2.6 sets (the version
is pinned; a test compares both attribute sets so an upgrade that changes them fails loudly).

Every request the client makes is bounded whole (`request` is overridden): connect and the full
response must take at most `timeout` seconds, as for the Accounting API (`client.send_within`), so an
endpoint trickling its answer cannot hold a refresh for minutes. Every failure becomes an error from
`errors.py`, and tokens are never logged nor put in error messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from finance.quickbooks.client import send_within
from finance.quickbooks.environments import QuickBooksUrls
from finance.quickbooks.errors import QuickBooksError, error_from_exception, error_from_response

DEFAULT_TIMEOUT = 20.0
_T = TypeVar("_T")


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives (about 3600)
    refresh_expires_in: int  # seconds the refresh token lives (Intuit's x_refresh_token_expires_in)

    def __repr__(self) -> str:  # never show the tokens, not even in a traceback or a debugger
        return f"TokenSet(expires_in={self.expires_in}, refresh_expires_in={self.refresh_expires_in})"


class AppAuthClient(AuthClient):
    """An intuit-oauth AuthClient for one app: endpoints from our QuickBooksUrls (no discovery call),
    every request bounded as a whole."""

    def __init__(
        self,
        *,
        urls: QuickBooksUrls,
        environment: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        requests.Session.__init__(self)  # skip AuthClient.__init__: it fetches the discovery document
        self.timeout = timeout
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.environment, self.state_token = environment, None
        self.auth_endpoint, self.token_endpoint, self.revoke_endpoint = (
            urls.authorize,
            urls.token,
            urls.revoke,
        )
        # Only used for OpenID (id_token, userinfo), which we do not request.
        self.issuer_uri = self.jwks_uri = self.user_info_url = None
        self.realm_id = self.access_token = self.refresh_token = self.id_token = None
        self.expires_in = self.x_refresh_token_expires_in = None

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        # intuit-oauth reads `response.json()` afterwards: send_within hands it back fully read.
        limit = kwargs.pop("timeout", self.timeout)
        return send_within(super().request, method, url, *args, limit=limit, **kwargs)

    def __repr__(self) -> str:
        return f"<AuthClient environment={self.environment}>"


def _call(client: AuthClient, action: Callable[[], _T], *tokens: str) -> _T:
    """Run one intuit-oauth call, mapping its failures to our errors with no secret in them."""
    secrets = (client.client_secret, *tokens)
    try:
        return action()
    except AuthClientError as exc:
        raise error_from_response(exc.response).scrub(*secrets) from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise error_from_exception(exc) from None


def authorization_url(client: AuthClient, *, state: str) -> str:
    """Where to send the browser to connect a company (scope: accounting only)."""
    return client.get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def _token_set(client: AuthClient) -> TokenSet:
    if not client.access_token or not client.refresh_token:
        raise QuickBooksError("Intuit's token response carried no access or refresh token")
    return TokenSet(
        access_token=client.access_token,
        refresh_token=client.refresh_token,
        expires_in=int(client.expires_in or 0),
        refresh_expires_in=int(client.x_refresh_token_expires_in or 0),
    )


def _forget_tokens(client: AuthClient) -> None:
    # intuit-oauth writes the response onto the client; clear it so a reply without a field
    # cannot hand back a stale token from an earlier call.
    client.access_token = client.refresh_token = None
    client.expires_in = client.x_refresh_token_expires_in = None


def exchange_code(client: AuthClient, *, code: str, realm_id: str) -> TokenSet:
    """Trade the callback's authorization code for the first token pair."""
    _forget_tokens(client)
    _call(client, lambda: client.get_bearer_token(code, realm_id=realm_id), code)
    return _token_set(client)


def refresh(client: AuthClient, *, refresh_token: str) -> TokenSet:
    """A new token pair. Intuit rotates the refresh token: store the new one before using it."""
    _forget_tokens(client)
    _call(client, lambda: client.refresh(refresh_token=refresh_token), refresh_token)
    return _token_set(client)


def revoke(client: AuthClient, *, token: str) -> None:
    """Revoke a refresh (or access) token at Intuit; the caller treats failure as best effort."""
    _call(client, lambda: client.revoke(token=token), token)
