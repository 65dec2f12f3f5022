"""OAuth 2.0 behaviour of the sandbox: Intuit's client library end to end, rotation, expiry, errors."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from qbsandbox.app import make_app
from tests.qbsandbox.conftest import REDIRECT_URI, TIMEOUT, authorize, connect_app, token_request


def test_intuit_auth_client_connects_refreshes_and_revokes(sandbox, app, realm):
    client = AuthClient(
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        sandbox.url + "/.well-known/openid_configuration",
    )
    url = client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID], state_token="s-1")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = requests.post(
        url.split("?")[0],
        data={**params, "realm_id": realm, "decision": "approve"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    assert back["state"] == "s-1" and back["realmId"] == realm

    client.get_bearer_token(back["code"], realm_id=back["realmId"])
    assert client.access_token and client.refresh_token
    assert client.id_token is not None  # signed RS256 and verified by the library against our JWKS
    first_refresh, first_access = client.refresh_token, client.access_token
    client.refresh()
    # Intuit hands back the same refresh token for 24 hours after it was issued, with a new access token.
    assert client.refresh_token == first_refresh and client.access_token != first_access
    client.revoke()
    with pytest.raises(AuthClientError) as error:
        client.refresh()
    assert error.value.status_code == 400


def test_token_response_has_intuits_shape(sandbox, app, realm):
    code = authorize(sandbox.url, app, realm)["code"]
    response = token_request(
        sandbox.url, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert list(body) == [
        "expires_in",
        "token_type",
        "x_refresh_token_expires_in",
        "refresh_token",
        "access_token",
    ]
    assert (body["expires_in"], body["token_type"], body["x_refresh_token_expires_in"]) == (
        3600,
        "bearer",
        8726400,
    )
    assert response.headers["intuit_tid"].startswith("1-")


def test_rotated_refresh_token_is_refused_with_invalid_grant(sandbox, realm):
    app = sandbox.register_app(redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=True)
    conn = connect_app(sandbox.url, app, realm)
    fresh = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert fresh.status_code == 200 and fresh.json()["refresh_token"] != conn.refresh_token
    stale = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert stale.status_code == 400
    assert stale.json()["error"] == "invalid_grant"
    again = token_request(
        sandbox.url, app, grant_type="refresh_token", refresh_token=fresh.json()["refresh_token"]
    )
    assert again.status_code == 200


def test_authorization_code_works_once(sandbox, app, realm):
    code = authorize(sandbox.url, app, realm)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert token_request(sandbox.url, app, **form).status_code == 200
    reused = token_request(sandbox.url, app, **form)
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})


def test_code_is_bound_to_its_redirect_uri(sandbox, app, realm):
    code = authorize(sandbox.url, app, realm)["code"]
    other = token_request(
        sandbox.url, app, grant_type="authorization_code", code=code, redirect_uri="http://evil.test/cb"
    )
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(sandbox, app, realm):
    code = authorize(sandbox.url, app, realm)["code"]
    wrong = {**app, "client_secret": "nope"}
    response = token_request(
        sandbox.url, wrong, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})


def test_refresh_token_expires_after_its_lifetime(sandbox, app):
    realm = sandbox.create_realm(name="Expiring Refresh")
    conn = connect_app(sandbox.url, app, realm)
    sandbox.advance_clock(8726400 + 60, realm_id=realm)
    response = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_expired_access_token_gets_the_lowercase_401(sandbox, app):
    realm = sandbox.create_realm(name="Expiring Access")
    conn = connect_app(sandbox.url, app, realm)
    assert conn.api("GET", f"companyinfo/{realm}").status_code == 200
    sandbox.advance_clock(3601, realm_id=realm)
    response = conn.api("GET", f"companyinfo/{realm}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert body["fault"]["error"][0]["code"] == "3200"
    assert body["fault"]["error"][0]["detail"].startswith("Token expired: ")
    assert isinstance(body["time"], int)
    refreshed = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert refreshed.status_code == 200  # the refresh token still works: reconnect is not needed


def test_token_of_one_realm_is_forbidden_on_another(sandbox, conn):
    other = sandbox.create_realm(name="Someone Else")
    response = requests.get(
        f"{sandbox.url}/v3/company/{other}/companyinfo/{other}",
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {conn.access_token}", "Accept": "application/json"},
    )
    assert response.status_code == 403
    assert response.json()["fault"]["error"][0]["code"] == "3100"


def test_declining_redirects_with_access_denied(sandbox, app, realm):
    back = authorize(sandbox.url, app, realm, decision="decline")
    assert back == {"error": "access_denied", "state": "state-123"}


@pytest.mark.parametrize(
    "client_id, redirect_uri", [("unknown-client", REDIRECT_URI), (None, "http://evil.test/cb")]
)
def test_unknown_client_or_unregistered_redirect_shows_an_error_page(sandbox, app, client_id, redirect_uri):
    params = {
        "client_id": client_id or app["client_id"],
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "state": "x",
    }
    response = requests.get(
        f"{sandbox.url}/connect/oauth2", params=params, allow_redirects=False, timeout=TIMEOUT
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Cannot authorize" in response.text


def test_revoke_ends_the_grant_for_refresh_and_access(sandbox, app, realm):
    conn = connect_app(sandbox.url, app, realm)
    response = requests.post(
        f"{sandbox.url}/v2/oauth2/tokens/revoke",
        json={"token": conn.refresh_token},
        auth=(app["client_id"], app["client_secret"]),
        timeout=TIMEOUT,
    )
    assert (response.status_code, response.content) == (200, b"")
    assert (
        token_request(
            sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token
        ).status_code
        == 400
    )
    assert conn.api("GET", f"companyinfo/{realm}").status_code == 401


def test_discovery_urls_follow_the_mount_prefix(tmp_path):
    app = make_app(tmp_path / "mounted.sqlite3")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/.well-known/openid_configuration",
        "SCRIPT_NAME": "/qbo-sandbox",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "QUERY_STRING": "",
    }
    statuses = []
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["200 OK"]
    document = requests.models.complexjson.loads(body)
    assert document["token_endpoint"] == "http://127.0.0.1:8000/qbo-sandbox/oauth2/v1/tokens/bearer"
    assert document["authorization_endpoint"] == "http://127.0.0.1:8000/qbo-sandbox/connect/oauth2"
    assert document["revocation_endpoint"] == "http://127.0.0.1:8000/qbo-sandbox/v2/oauth2/tokens/revoke"


def _refresh(sandbox, app, token):
    return token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=token)


def test_refresh_returns_the_same_refresh_token_for_a_day_then_a_new_one(sandbox, app, realm):
    """Intuit's "Validity of Refresh Token" (developer.intuit.com, OAuth 2.0 FAQ): a refresh answers the
    same refresh token value while it is less than about 24 hours old; after that a new value, and the
    previous one no longer works. `x_refresh_token_expires_in` counts down meanwhile."""
    conn = connect_app(sandbox.url, app, realm)
    first = _refresh(sandbox, app, conn.refresh_token).json()
    assert first["refresh_token"] == conn.refresh_token
    sandbox.advance_clock(3600, realm_id=realm)
    second = _refresh(sandbox, app, conn.refresh_token).json()
    assert second["refresh_token"] == conn.refresh_token
    assert second["x_refresh_token_expires_in"] < first["x_refresh_token_expires_in"] <= 8726400
    assert second["access_token"] != first["access_token"]
    sandbox.advance_clock(86400, realm_id=realm)
    renewed = _refresh(sandbox, app, conn.refresh_token)
    assert renewed.status_code == 200 and renewed.json()["refresh_token"] != conn.refresh_token
    assert renewed.json()["x_refresh_token_expires_in"] == 8726400
    old = _refresh(sandbox, app, conn.refresh_token)
    assert (old.status_code, old.json()["error"]) == (400, "invalid_grant")
    assert _refresh(sandbox, app, renewed.json()["refresh_token"]).status_code == 200


def test_rotation_switch_is_per_app(sandbox, realm):
    rotating = sandbox.register_app(redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=True)
    keeping = sandbox.register_app(redirect_uris=[REDIRECT_URI])
    assert rotating["rotate_refresh_tokens"] is True and keeping["rotate_refresh_tokens"] is False
    for app, same in ((rotating, False), (keeping, True)):
        conn = connect_app(sandbox.url, app, realm)
        answer = _refresh(sandbox, app, conn.refresh_token).json()
        assert (answer["refresh_token"] == conn.refresh_token) is same
