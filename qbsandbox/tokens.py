"""OAuth 2.0 state: authorization codes, access and refresh tokens, rotation, expiry, revocation.

Lifetimes follow Intuit: a code lives 10 minutes and works once, an access token 3600 s, a refresh
token `x_refresh_token_expires_in` (8726400 s). A refresh answers with the same refresh token value for
24 hours after that value was issued, then with a new value, and the previous one stops working
(Intuit's "Validity of Refresh Token" article). An app registered with `rotate_refresh_tokens` gets a
new refresh token on every refresh instead, the old one failing at once: the harder case for a
client. Times are on the sandbox clock of the token's realm.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import string
from typing import Any

from qbsandbox.exceptions import OAuthError, auth_fault, authorization_fault
from qbsandbox.models import get_app
from qbsandbox.store import Store

ACCESS_TTL = 3600
REFRESH_TTL = 8726400
REFRESH_REUSE = 86400  # seconds a refresh token value is handed back before a new one replaces it
CODE_TTL = 600
_ALNUM = string.ascii_letters + string.digits


def _random(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def authenticate_client(store: Store, headers: dict[str, str], form: dict[str, str]) -> str:
    """HTTP Basic (or client_secret_post) client authentication; returns the client_id."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", 401) from exc
    app = get_app(store, client_id)
    if app is None or not hmac.compare_digest(app["client_secret"].encode(), secret.encode()):
        raise OAuthError("invalid_client", 401)
    return client_id


def issue_code(store: Store, *, client_id: str, redirect_uri: str, realm_id: str, scope: str) -> str:
    code = _random("AB11", 40)
    with store.write() as db:
        db.execute(
            "INSERT INTO auth_codes (code, client_id, redirect_uri, realm_id, scope, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (code, client_id, redirect_uri, realm_id, scope, store.now(realm_id) + CODE_TTL),
        )
    return code


def exchange_code(store: Store, client_id: str, code: str, redirect_uri: str) -> dict[str, Any]:
    with store.write() as db:
        row = db.execute("SELECT * FROM auth_codes WHERE code = ?", (code,)).fetchone()
        if row is None or row["client_id"] != client_id:
            raise OAuthError("invalid_grant")
        if row["used"]:
            _revoke_grant(db, row["grant_id"])  # a replayed code kills what it issued (RFC 6749 4.1.2)
            raise OAuthError("invalid_grant")
        if row["expires_at"] < store.now(row["realm_id"]) or row["redirect_uri"] != redirect_uri:
            raise OAuthError("invalid_grant")
        grant_id = secrets.token_hex(8)
        db.execute("UPDATE auth_codes SET used = 1, grant_id = ? WHERE code = ?", (grant_id, code))
        return _issue_pair(store, db, client_id, row["realm_id"], grant_id, row["scope"])


def refresh(store: Store, client_id: str, refresh_token: str) -> dict[str, Any]:
    with store.write() as db:
        row = db.execute("SELECT * FROM tokens WHERE token = ?", (refresh_token,)).fetchone()
        if row is None or row["state"] != "active":
            raise OAuthError("invalid_grant", description="Incorrect or invalid refresh token")
        if row["kind"] != "refresh" or row["client_id"] != client_id:
            raise OAuthError("invalid_grant", description="Incorrect Token type or clientID")
        now = store.now(row["realm_id"])
        if row["expires_at"] < now:
            raise OAuthError("invalid_grant", description="Incorrect or invalid refresh token")
        issued_at = row["expires_at"] - REFRESH_TTL
        if now - issued_at < REFRESH_REUSE and not _rotates(store, client_id):
            access = _issue_access(db, client_id, row, now)
            return {**access, "refresh_token": refresh_token, "refresh_expires_in": int(row["expires_at"] - now)}
        db.execute("UPDATE tokens SET state = 'rotated' WHERE token = ?", (refresh_token,))
        return _issue_pair(store, db, client_id, row["realm_id"], row["grant_id"], row["scope"])


def _rotates(store: Store, client_id: str) -> bool:
    app = get_app(store, client_id)
    return bool(app and app["rotate_refresh_tokens"])


def _issue_access(db: Any, client_id: str, row: Any, now: float) -> dict[str, Any]:
    """A new access token of the refresh token's grant (the refresh token itself is kept)."""
    access = _random("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..", 120)
    db.execute(
        "INSERT INTO tokens (token, kind, client_id, realm_id, grant_id, scope, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (access, "access", client_id, row["realm_id"], row["grant_id"], row["scope"], now + ACCESS_TTL),
    )
    return {"realm_id": row["realm_id"], "scope": row["scope"], "access_token": access}


def _issue_pair(
    store: Store, db: Any, client_id: str, realm_id: str, grant_id: str, scope: str
) -> dict[str, Any]:
    now = store.now(realm_id)
    access, refresh_token = (
        _random("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..", 120),
        _random("AB11", 46),
    )
    insert = (
        "INSERT INTO tokens (token, kind, client_id, realm_id, grant_id, scope, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    db.execute(insert, (access, "access", client_id, realm_id, grant_id, scope, now + ACCESS_TTL))
    db.execute(insert, (refresh_token, "refresh", client_id, realm_id, grant_id, scope, now + REFRESH_TTL))
    return {"realm_id": realm_id, "scope": scope, "access_token": access, "refresh_token": refresh_token}


def realm_of(store: Store, token: str) -> str | None:
    """The realm a token was issued for (None for an unknown token)."""
    row = store.read().execute("SELECT realm_id FROM tokens WHERE token = ?", (token,)).fetchone()
    return row["realm_id"] if row else None


def revoke(store: Store, client_id: str, token: str) -> None:
    """Revoke the grant a token belongs to (refresh and access tokens alike). Unknown tokens are ignored."""
    with store.write() as db:
        row = db.execute("SELECT grant_id, client_id FROM tokens WHERE token = ?", (token,)).fetchone()
        if row is not None and row["client_id"] == client_id:
            _revoke_grant(db, row["grant_id"])


def _revoke_grant(db: Any, grant_id: str | None) -> None:
    if grant_id:
        db.execute("UPDATE tokens SET state = 'revoked' WHERE grant_id = ?", (grant_id,))


def revoke_realm(store: Store, realm_id: str) -> None:
    """What a user's disconnect in QuickBooks does: every token of the realm stops working."""
    with store.write() as db:
        db.execute("UPDATE tokens SET state = 'revoked' WHERE realm_id = ?", (realm_id,))


def check_access(store: Store, headers: dict[str, str], realm_id: str) -> None:
    """Raise the 401 (lowercase envelope) or 403 QBO answers for a bad bearer token."""
    auth = headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    row = (
        store.read().execute("SELECT * FROM tokens WHERE token = ? AND kind = 'access'", (token,)).fetchone()
    )
    if row is None:
        raise auth_fault(
            "Malformed bearer token: too short or too long" if len(token) < 20 else "Token invalid"
        )
    if row["state"] == "revoked":
        raise auth_fault("Token revoked")
    if row["expires_at"] < store.now(row["realm_id"]):
        raise auth_fault(f"Token expired: {token[:20]}")
    if row["realm_id"] != realm_id:
        raise authorization_fault()
