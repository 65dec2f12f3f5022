"""OAuth through intuit-oauth: no discovery call, a timeout on every request, errors mapped."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from intuitlib.client import AuthClient
from intuitlib.config import DISCOVERY_URL

from finance.quickbooks import oauth
from finance.quickbooks.environments import urls_for
from finance.quickbooks.errors import AuthError, QuickBooksError, UnavailableError
from tests.corpus import corpus_bytes

URLS = urls_for("production", local_base_url="")
REDIRECT = "https://otium.example/finance/qb/callback"
SECRET = "client-secret-value-1234"
TOKEN_BODY = corpus_bytes("oauth/token-authorization-code.json")


@pytest.fixture(autouse=True)
def mocked():
    # Any request not registered here fails, so a discovery fetch would be caught.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client():
    return oauth.AppAuthClient(
        urls=URLS,
        environment="production",
        client_id="client-id",
        client_secret=SECRET,
        redirect_uri=REDIRECT,
    )


def form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


def test_building_a_client_makes_no_http_call(mocked, client):
    assert isinstance(client, AuthClient)
    assert len(mocked.calls) == 0
    assert (client.auth_endpoint, client.token_endpoint, client.revoke_endpoint) == (
        URLS.authorize,
        URLS.token,
        URLS.revoke,
    )


def test_client_has_every_attribute_intuit_oauth_sets(mocked, client):
    discovery = DISCOVERY_URL["sandbox"]
    mocked.add(responses.GET, discovery, body=corpus_bytes("oauth/openid-sandbox-configuration.json"))
    library_client = AuthClient("client-id", SECRET, REDIRECT, "sandbox")

    session_attributes = set(vars(requests.Session()))
    library = set(vars(library_client)) - session_attributes
    ours = set(vars(client)) - session_attributes - {"timeout"}

    assert ours == library


def test_authorization_url_asks_for_accounting_with_our_state(client):
    url = oauth.authorization_url(client, state="st4te")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == URLS.authorize
    assert parse_qs(parts.query) == {
        "client_id": ["client-id"],
        "response_type": ["code"],
        "scope": ["com.intuit.quickbooks.accounting"],
        "redirect_uri": [REDIRECT],
        "state": ["st4te"],
    }


def test_exchange_code_returns_the_token_set(mocked, client):
    mocked.add(responses.POST, URLS.token, body=TOKEN_BODY, content_type="application/json;charset=UTF-8")

    tokens = oauth.exchange_code(client, code="auth-code", realm_id="123")

    assert tokens == oauth.TokenSet("sample_access_token", "sample_refresh_token", 3600, 8726400)
    call = mocked.calls[0]
    assert form(call) == {
        "grant_type": ["authorization_code"],
        "code": ["auth-code"],
        "redirect_uri": [REDIRECT],
    }
    expected = base64.b64encode(f"client-id:{SECRET}".encode()).decode()
    assert call.request.headers["Authorization"] == f"Basic {expected}"
    assert call.request.headers["Accept"] == "application/json"


def test_refresh_returns_the_rotated_pair(mocked, client):
    body = json.loads(TOKEN_BODY)
    body.pop("id_token")
    body.update(access_token="new-access", refresh_token="new-refresh")
    mocked.add(responses.POST, URLS.token, json=body)

    tokens = oauth.refresh(client, refresh_token="old-refresh")

    assert (tokens.access_token, tokens.refresh_token) == ("new-access", "new-refresh")
    assert form(mocked.calls[0]) == {"grant_type": ["refresh_token"], "refresh_token": ["old-refresh"]}


def test_every_request_gets_the_timeout(mocked):
    client = oauth.AppAuthClient(
        urls=URLS,
        environment="production",
        client_id="id",
        client_secret=SECRET,
        redirect_uri=REDIRECT,
        timeout=4.0,
    )
    mocked.add(responses.POST, URLS.token, body=TOKEN_BODY)
    mocked.add(responses.POST, URLS.revoke)

    oauth.refresh(client, refresh_token="r")
    oauth.revoke(client, token="r")

    assert [call.request.req_kwargs["timeout"] for call in mocked.calls] == [4.0, 4.0]


@pytest.mark.parametrize(
    "name",
    [
        "token-error-invalid-grant.json",
        "token-error-invalid-grant-invalid-refresh-token.json",
        "token-error-invalid-grant-token-invalid.json",
    ],
)
def test_invalid_grant_on_refresh_is_an_auth_error_without_the_token(mocked, client, name):
    mocked.add(
        responses.POST,
        URLS.token,
        body=corpus_bytes(f"oauth/{name}"),
        status=400,
        headers={"intuit_tid": "1-628f0be4-19ed5ea63980105102b16b1e"},
    )

    with pytest.raises(AuthError) as raised:
        oauth.refresh(client, refresh_token="AB11-the-refresh-token")

    error = raised.value
    assert (error.code, error.status, error.intuit_tid) == (
        "invalid_grant",
        400,
        "1-628f0be4-19ed5ea63980105102b16b1e",
    )
    assert "AB11-the-refresh-token" not in f"{error} {error!r}"
    assert SECRET not in f"{error} {error!r}"


def test_invalid_client_on_code_exchange_is_an_auth_error(mocked, client):
    mocked.add(
        responses.POST, URLS.token, body=corpus_bytes("oauth/token-error-invalid-client.json"), status=401
    )

    with pytest.raises(AuthError, match="Client ID or Client Secret"):
        oauth.exchange_code(client, code="c", realm_id="1")


def test_token_endpoint_outage_and_timeout_are_unavailable(mocked, client):
    mocked.add(
        responses.POST, URLS.token, status=503, body=b"<html><title>503 Service Unavailable</title></html>"
    )
    with pytest.raises(UnavailableError):
        oauth.refresh(client, refresh_token="r")

    mocked.replace(responses.POST, URLS.token, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(UnavailableError, match="timed out"):
        oauth.refresh(client, refresh_token="r")


def test_a_reply_without_tokens_is_refused(mocked, client):
    mocked.add(responses.POST, URLS.token, json={"expires_in": 3600})

    with pytest.raises(QuickBooksError, match="no access or refresh token"):
        oauth.refresh(client, refresh_token="r")


def test_revoke_posts_the_token(mocked, client):
    mocked.add(responses.POST, URLS.revoke)

    assert oauth.revoke(client, token="refresh-to-revoke") is None
    assert json.loads(mocked.calls[0].request.body) == {"token": "refresh-to-revoke"}


def test_revoke_failure_is_mapped(mocked, client):
    mocked.add(responses.POST, URLS.revoke, status=400, json={"error": "invalid_request"})

    with pytest.raises(QuickBooksError) as raised:
        oauth.revoke(client, token="refresh-to-revoke")

    assert type(raised.value) is QuickBooksError and raised.value.code == "invalid_request"


def test_local_environment_talks_to_the_local_base_url(mocked):
    urls = urls_for("local", local_base_url="http://localhost:8001")
    client = oauth.AppAuthClient(
        urls=urls, environment="local", client_id="id", client_secret=SECRET, redirect_uri=REDIRECT
    )
    mocked.add(responses.POST, "http://localhost:8001/oauth2/v1/tokens/bearer", body=TOKEN_BODY)

    assert oauth.exchange_code(client, code="c", realm_id="1").refresh_token == "sample_refresh_token"
    assert oauth.authorization_url(client, state="s").startswith("http://localhost:8001/connect/oauth2?")


def test_token_set_repr_hides_the_tokens():
    tokens = oauth.TokenSet("access-secret", "refresh-secret", 3600, 8726400)

    assert "secret" not in repr(tokens) and "3600" in repr(tokens)
