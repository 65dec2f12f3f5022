"""Handlers of Intuit's OAuth 2.0 / OpenID endpoints: discovery, authorize (consent page), token,
revoke, JWKS and userinfo. Every absolute URL is derived from the incoming request's base URL."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from qbsandbox import faults, models, pages, tokens
from qbsandbox.exceptions import OAuthError
from qbsandbox.idtoken import id_token, jwks
from qbsandbox.responses import HTML, TOKEN_JSON, Request, Response, json_response, redirect, text_response
from qbsandbox.store import Store

AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state")


def discovery(req: Request, store: Store) -> Response:
    base = req.base_url
    document = {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }
    return json_response(document, content_type="application/json")


def _authorize_problem(store: Store, params: dict[str, str]) -> str | None:
    app = models.get_app(store, params.get("client_id", ""))
    if app is None:
        return f"Unknown client_id {params.get('client_id', '')!r}: register the app with the sandbox first."
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or (app["redirect_uris"] and redirect_uri not in app["redirect_uris"]):
        return f"The redirect_uri {redirect_uri!r} is not registered for this app."
    if not params.get("scope"):
        return "The scope parameter is missing."
    return None


def authorize(req: Request, store: Store) -> Response:
    """GET shows the consent screen; POST (the form) redirects back with a code or access_denied."""
    source = req.query if req.method == "GET" else req.form()
    params = {k: source[k] for k in AUTHORIZE_PARAMS if k in source}
    problem = _authorize_problem(store, params)
    if problem:
        return text_response(pages.error_page(problem), 400, HTML)
    if params.get("response_type", "code") != "code":
        return redirect(
            _with_query(params["redirect_uri"], error="unsupported_response_type", state=params.get("state"))
        )
    if req.method == "GET":
        page = pages.consent_page(params, params["client_id"], models.list_realms(store))
        return text_response(page, 200, HTML)
    return _decide(store, params, source)


def _decide(store: Store, params: dict[str, str], form: dict[str, str]) -> Response:
    state = params.get("state")
    if form.get("decision") != "approve":
        return redirect(_with_query(params["redirect_uri"], error="access_denied", state=state))
    realm_id = form.get("realm_id", "")
    if models.get_realm(store, realm_id) is None:
        return text_response(pages.error_page("Choose one of the companies."), 400, HTML)
    code = tokens.issue_code(
        store,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        realm_id=realm_id,
        scope=params["scope"],
    )
    return redirect(_with_query(params["redirect_uri"], code=code, state=state, realmId=realm_id))


def _with_query(url: str, **values: str | None) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in values.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def token(req: Request, store: Store) -> Response:
    form = req.form()
    client_id = tokens.authenticate_client(store, req.headers, form)
    grant = form.get("grant_type")
    if grant == "authorization_code":
        pair = tokens.exchange_code(store, client_id, form.get("code", ""), form.get("redirect_uri", ""))
    elif grant == "refresh_token":
        injected = _injected_oauth_fault(store, form.get("refresh_token", ""))
        if injected is not None:
            return injected
        pair = tokens.refresh(store, client_id, form.get("refresh_token", ""))
    else:
        raise OAuthError("unsupported_grant_type")
    return json_response(_token_body(req, store, client_id, pair), content_type=TOKEN_JSON)


def _token_body(req: Request, store: Store, client_id: str, pair: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if "openid" in pair["scope"].split():
        body["id_token"] = id_token(
            store,
            issuer=f"{req.base_url}/op/v1",
            client_id=client_id,
            realm_id=pair["realm_id"],
            subject=_subject(client_id, pair["realm_id"]),
            now=store.now(pair["realm_id"]),
        )
    body.update(
        {
            "expires_in": tokens.ACCESS_TTL,
            "token_type": "bearer",
            "x_refresh_token_expires_in": pair.get("refresh_expires_in", tokens.REFRESH_TTL),
            "refresh_token": pair["refresh_token"],
            "access_token": pair["access_token"],
        }
    )
    return body


def _subject(client_id: str, realm_id: str) -> str:
    digest = hashlib.sha256(f"{client_id}:{realm_id}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def revoke(req: Request, store: Store) -> Response:
    client_id = tokens.authenticate_client(store, req.headers, {})
    try:
        body = req.json()
    except ValueError as exc:
        raise OAuthError("invalid_request") from exc
    value = body.get("token") if isinstance(body, dict) else None
    if not value:
        raise OAuthError("invalid_request")
    injected = _injected_oauth_fault(store, str(value))
    if injected is not None:
        return injected
    tokens.revoke(store, client_id, str(value))
    return Response(200, b"", None)


def _injected_oauth_fault(store: Store, token: str) -> Response | None:
    """An injected oauth_error answers 500 as Intuit's token server does when it fails;
    oauth_hang waits first (only this request's thread)."""
    realm_id = tokens.realm_of(store, token)
    fault = faults.take_fault(store, realm_id, oauth=True) if realm_id else None
    if fault is None:
        return None
    if fault["kind"] == "oauth_hang":
        time.sleep(fault["seconds"])
        return None
    return json_response({"error": "server_error"}, status=500, content_type=TOKEN_JSON)


def jwks_document(req: Request, store: Store) -> Response:
    return json_response(jwks(store), content_type="application/json")


def userinfo(req: Request, store: Store) -> Response:
    auth = req.headers.get("authorization", "")
    row = (
        store.read()
        .execute(
            "SELECT * FROM tokens WHERE token = ? AND kind = 'access' AND state = 'active'",
            (auth[7:].strip(),),
        )
        .fetchone()
    )
    if row is None:
        return json_response({"error": "invalid_token"}, 401, "application/json")
    return json_response(
        {
            "sub": _subject(row["client_id"], row["realm_id"]),
            "givenName": "Sandbox",
            "familyName": "User",
            "email": "sandbox.user@example.com",
            "emailVerified": True,
        },
        content_type="application/json",
    )
