"""Structured logs: one line per sync, push and connection event with what an operator needs, JSON
in production mode and readable in development, and never a secret, checked on a whole flow
against the local QuickBooks sandbox."""

import json
import logging
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from finance.models import QuickBooksConnection
from finance.quickbooks.push import push_sale_as_invoice
from ops.logformat import JsonFormatter, TextFormatter
from tests import qbo
from tests.builders import make_client, make_sale

EVENT_FIELDS = {"event", "company", "entity", "realm", "run", "trigger", "qbo_calls", "duration_ms", "outcome"}


def tokens_of(entity) -> set[str]:
    connection = QuickBooksConnection.objects.get(entity=entity)
    return {token for token in (connection.access_token, connection.refresh_token) if token}


def expire_access_token(entity) -> None:
    QuickBooksConnection.objects.filter(entity=entity).update(access_token_expires_at=timezone.now())


@pytest.fixture
def whole_flow(client, admin_user, entity, local_quickbooks, committed, caplog):
    """Connect, sync, push, refresh, revocation at QuickBooks, disconnect: returns the log records
    and every secret the flow handled."""
    admin_user.email = "admin@example.com"
    admin_user.save()
    client.force_login(admin_user)
    realm = local_quickbooks.realm(name="Logged Co", currency="USD")
    caplog.set_level(logging.INFO)
    secrets = {local_quickbooks.app["client_secret"]}
    with committed():
        callback_url = qbo.consent(qbo.start(client, entity), realm)
        oauth = dict(parse_qsl(urlsplit(callback_url).query))
        secrets |= {oauth["code"], oauth["state"]}
        qbo.callback(client, callback_url)
    secrets |= tokens_of(entity)
    with committed():
        client.post(reverse("finance:qb_sync_now", args=[entity.pk]))
    sale = make_sale(entity, admin_user, client=make_client(entity.company, "Helix Pumps"),
                     amount_usd=Decimal("1250.50"), signed_date=date(2026, 3, 14))  # fmt: skip
    with committed():
        push_sale_as_invoice(sale=sale, user=admin_user)
    expire_access_token(entity)
    with committed():
        client.post(reverse("finance:qb_sync_now", args=[entity.pk]))  # refreshes the tokens first
    secrets |= tokens_of(entity)
    local_quickbooks.sandbox.inject_fault(realm, "revoke")
    expire_access_token(entity)
    with committed():
        client.post(reverse("finance:qb_sync_now", args=[entity.pk]))
    with committed():
        client.post(reverse("finance:qb_disconnect", args=[entity.pk]))
    assert all(len(secret) >= 8 for secret in secrets)
    return list(caplog.records), secrets, realm


def events_of(records) -> list[dict]:
    lines = [json.loads(JsonFormatter().format(record)) for record in records]
    return [line for line in lines if line["logger"] == "otiumwork.events"]


def test_a_whole_flow_logs_one_line_per_sync_push_and_connection_event(whole_flow, entity):
    records, _, realm = whole_flow
    events = events_of(records)
    said = [(e["event"], e.get("action") or e.get("outcome")) for e in events if e["event"] != "alert.sent"]
    assert said == [
        ("quickbooks.connection", "connected"),
        ("quickbooks.sync", "success"),
        ("quickbooks.push", "success"),
        ("quickbooks.connection", "refreshed"),
        ("quickbooks.sync", "success"),
        ("quickbooks.connection", "refresh_failed"),
        ("quickbooks.sync", "skipped"),
        ("quickbooks.connection", "disconnected"),
    ]
    sync = next(e for e in events if e["event"] == "quickbooks.sync")
    assert EVENT_FIELDS <= set(sync)
    assert (sync["company"], sync["entity"], sync["realm"], sync["trigger"]) == (
        entity.company_id, entity.pk, realm, "manual",
    )  # fmt: skip
    assert sync["qbo_calls"] > 0 and sync["duration_ms"] >= 0 and sync["level"] == "INFO"
    push = next(e for e in events if e["event"] == "quickbooks.push")
    assert push["trigger"] == "push" and push["sale"] and push["qbo_calls"] > 0
    failed = next(e for e in events if e.get("action") == "refresh_failed")
    assert failed["level"] == "WARNING" and failed["outcome"] == "needs_reconnect"
    assert any(e["event"] == "alert.sent" and e["kind"] == "needs_reconnect" for e in events)


def test_no_log_line_of_the_whole_flow_holds_a_secret(whole_flow):
    records, secrets, _ = whole_flow
    lines = [JsonFormatter().format(record) for record in records]
    lines += [TextFormatter().format(record) for record in records]
    assert len(records) > 10
    leaked = {secret for secret in secrets for line in lines if secret in line}
    assert not leaked


def test_production_lines_are_json_and_development_lines_readable(db):
    record = logging.makeLogRecord({
        "name": "otiumwork.events", "levelno": logging.INFO, "levelname": "INFO", "msg": "quickbooks.sync",
        "fields": {"event": "quickbooks.sync", "run": 7, "outcome": "success", "access_token": "eyJ-secret"},
    })  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "quickbooks.sync" and line["run"] == 7 and line["access_token"] == "[Filtered]"
    text = TextFormatter().format(record)
    assert text.endswith("INFO otiumwork.events quickbooks.sync event=quickbooks.sync run=7 outcome=success "
                         "access_token=[Filtered]")  # fmt: skip


def test_secrets_in_a_message_are_filtered_too(db):
    record = logging.makeLogRecord({
        "name": "x", "levelno": logging.WARNING, "levelname": "WARNING",
        "msg": "GET /finance/qb/callback?code=AB12-secret&state=st4te-secret&realmId=123 "
               "Authorization: Bearer eyJabc.def",
    })  # fmt: skip
    line = JsonFormatter().format(record)
    assert "AB12-secret" not in line and "st4te-secret" not in line and "eyJabc" not in line
    assert "realmId=123" in line


def test_the_settings_pick_json_in_production_mode(settings):
    from otiumwork import settings as module

    handler = module.LOGGING["handlers"]["console"]
    assert handler["formatter"] == ("text" if module.DEBUG else "json")
    assert timedelta(hours=2) == settings.OPS_SCHEDULER_STALE_AFTER


def test_a_webhook_delivery_logs_one_structured_line_without_its_signature(client, company, connection, caplog):
    from finance.webhooks.models import VerifierToken
    from finance.webhooks.receive import signature_of

    token = "verifier-token-0123456789abcdef"
    VerifierToken.objects.create(company=company, token=token)
    when = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    change = {"name": "Invoice", "id": "41", "operation": "Update", "lastUpdated": when}
    notification = {"realmId": connection.realm_id, "dataChangeEvent": {"entities": [change]}}
    raw = json.dumps({"eventNotifications": [notification]})
    signature = signature_of(raw.encode(), token)
    caplog.set_level(logging.INFO)
    answer = client.post("/api/qb/webhooks", data=raw, content_type="application/json",
                         headers={"intuit-signature": signature})  # fmt: skip
    assert answer.status_code == 200
    lines = [JsonFormatter().format(record) for record in caplog.records]
    [line] = [json.loads(text) for text in lines if '"quickbooks.webhook"' in text]
    assert (line["company"], line["status"], line["outcome"], line["new"], line["queued"]) == (
        company.pk, 200, "verified", 1, 1,
    )  # fmt: skip
    assert not any(signature in text or token in text for text in lines)
