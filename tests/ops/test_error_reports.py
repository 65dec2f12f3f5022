"""Error reports: an exception in a sync reaches Sentry (through a fake transport: nothing leaves
the machine) with the release and environment, and without any token, secret, cookie or OAuth
code."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import sentry_sdk
from django.urls import reverse
from sentry_sdk.transport import Transport

from finance.models import QuickBooksConnection, RunStatus, SyncRun
from ops import error_reports
from tests import qbo


class Captured(Transport):
    envelopes: list = []

    def capture_envelope(self, envelope):
        Captured.envelopes.append(envelope)


@pytest.fixture
def sentry_events():
    """Sentry switched on with a fake transport for one test, then off again."""
    Captured.envelopes = []
    error_reports.start(
        dsn="https://public@127.0.0.1/1", environment="test-env", release="otiumwork@9.9.9", transport=Captured
    )
    yield Captured.envelopes
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def events_in(envelopes) -> list[dict]:
    return [item.payload.json for envelope in envelopes for item in envelope.items if item.type == "event"]


def test_an_exception_in_a_sync_reaches_sentry_without_any_secret(
    client, admin_user, entity, local_quickbooks, monkeypatch, sentry_events, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    realm = local_quickbooks.realm(name="Broken Co", currency="USD")
    callback_url = qbo.consent(qbo.start(client, entity), realm)
    qbo.callback(client, callback_url)
    connection = QuickBooksConnection.objects.get(entity=entity)
    secrets = {
        connection.access_token, connection.refresh_token, local_quickbooks.app["client_secret"],
        client.cookies["sessionid"].value, client.cookies["csrftoken"].value,
        *(value for name, value in parse_qsl(urlsplit(callback_url).query) if name in ("code", "state")),
    }  # fmt: skip

    def broken_send(self, request, **kwargs):
        raise RuntimeError("the HTTP adapter broke")  # a bug, not a QuickBooks error

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", broken_send)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("finance:qb_sync_now", args=[entity.pk]), HTTP_AUTHORIZATION="Basic c2VjcmV0")
    sentry_sdk.flush()

    run = SyncRun.objects.get(entity=entity)
    assert run.status == RunStatus.ERROR and "RuntimeError" in run.error_message
    [event] = events_in(sentry_events)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert (event["release"], event["environment"]) == ("otiumwork@9.9.9", "test-env")
    frames = [frame for value in event["exception"]["values"] for frame in value["stacktrace"]["frames"]]
    assert any(frame["function"] == "_attempt" and frame.get("vars") for frame in frames)  # variables kept
    assert event.get("request", {}).get("headers", {}).get("Authorization") in (None, "[Filtered]")
    sent = b"".join(envelope.serialize() for envelope in sentry_events).decode()
    leaked = {secret for secret in secrets if secret and secret in sent}
    assert not leaked
    assert "c2VjcmV0" not in sent


def test_the_scrubber_strips_headers_cookies_query_strings_bodies_and_variables():
    event = {
        "message": "refresh failed: refresh_token=RT-123456 Authorization: Bearer AT-abcdef",
        "request": {
            "url": "https://otiumwork.com/finance/qb/callback",
            "query_string": "code=OAUTH-CODE-1&state=STATE-XYZ&realmId=9130350001",
            "headers": {"Authorization": "Bearer AT-abcdef", "Cookie": "sessionid=SESS-1", "Accept": "text/html"},
            "cookies": {"sessionid": "SESS-1", "csrftoken": "CSRF-1"},
            "data": {"client_secret": "CS-secret", "client_id": "app-id"},
        },
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {
            "access_token": "'AT-abcdef'", "tokens": "TokenSet(refresh_token='RT-123456')",
            "headers": {"Authorization": "Bearer AT-abcdef"}, "realm_id": "'9130350001'",
        }}]}}]},
        "breadcrumbs": {"values": [{"data": {"url": "https://x.test/oauth2?code=OAUTH-CODE-1&state=STATE-XYZ"}}]},
    }
    scrubbed = error_reports.scrub_event(event, {})
    text = json.dumps(scrubbed)
    for secret in ("RT-123456", "AT-abcdef", "OAUTH-CODE-1", "STATE-XYZ", "SESS-1", "CSRF-1", "CS-secret"):
        assert secret not in text, secret
    assert "9130350001" in text and "text/html" in text  # what helps debugging stays


def test_sentry_stays_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()
