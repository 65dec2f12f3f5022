"""POST /api/qb/webhooks (the fixed contract): Intuit's signature vectors, a wrong and a missing
signature, replay, a stale event, an unknown realm, an oversized and a malformed body, both
formats, bursts that coalesce into one waiting sync, and the end to end path from a change in the
local sandbox to the figures."""

import json
import logging
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db
from django.utils import timezone

from finance.models import (
    ConnectionStatus,
    MonthlySnapshot,
    QuickBooksConnection,
    QuickBooksSettings,
    RunStatus,
    SyncRun,
)
from finance.webhooks.models import SeenEvent, VerifierToken
from finance.webhooks.receive import signature_of
from tests import qbo
from tests.builders import make_company, make_entity
from tests.corpus import corpus_bytes, corpus_json
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db
URL = "/api/qb/webhooks"
TOKEN = "b5771f19b12ddb4bcdb9f08bdc50bc63878a"  # the corpus' first signature vector
REALM = "1185883450"  # the realm of that vector's body


@pytest.fixture
def connection(company, entity):
    VerifierToken.objects.create(company=company, token=TOKEN)
    return QuickBooksConnection.objects.create(
        entity=entity, company=company, status=ConnectionStatus.CONNECTED, realm_id=REALM, environment="local"
    )


def classic(realm: str = REALM, entity_id: str = "1", operation: str = "Update", when=None) -> bytes:
    when = when or timezone.now()
    entity = {"name": "Invoice", "id": entity_id, "operation": operation,
              "lastUpdated": when.strftime("%Y-%m-%dT%H:%M:%S.000Z")}  # fmt: skip
    body = {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [entity]}}]}
    return json.dumps(body).encode()


def cloud(realm: str = REALM, entity_id: str = "7", event_id: str | None = None) -> bytes:
    event = {"specversion": "1.0", "id": event_id or str(uuid.uuid4()), "source": "intuit.test",
             "type": "qbo.payment.created.v1", "datacontenttype": "application/json",
             "time": timezone.now().isoformat().replace("+00:00", "Z"), "intuitentityid": entity_id,
             "intuitaccountid": realm, "data": {}}  # fmt: skip
    return json.dumps([event]).encode()


def deliver(client, raw: bytes, signature: str | None = None, token: str = TOKEN):
    headers = {} if signature == "" else {"intuit-signature": signature or signature_of(raw, token)}
    return client.post(URL, data=raw, content_type="application/json", headers=headers)


def test_intuits_signature_vectors_verify_and_the_old_events_are_acknowledged_and_ignored(client, connection, sent):
    vector = corpus_json("webhooks/signature-examples.json")[0]
    raw = corpus_bytes(f"webhooks/{vector['body_file']}")

    answer = deliver(client, raw, signature=vector["intuit_signature"])

    assert answer.status_code == 200
    assert not SeenEvent.objects.exists() and sent == []  # 2015: older than 24 hours


def test_a_fresh_change_is_recorded_once_and_queues_one_sync(
    client, connection, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver(client, classic())
    assert answer.status_code == 200
    run = SyncRun.objects.get(connection=connection)
    assert (run.trigger, run.status) == ("webhook", RunStatus.QUEUED)
    assert [kwargs["run_id"] for _, kwargs in sent] == [run.pk]
    event = SeenEvent.objects.get()
    assert (event.realm_id, event.entity, event.entity_id, event.operation) == (REALM, "Invoice", "1", "Update")


def test_a_replayed_delivery_is_acknowledged_and_changes_nothing(client, connection, sent):
    raw = cloud(event_id="c0ffee00-0000-4000-8000-000000000001")
    assert deliver(client, raw).status_code == 200
    SyncRun.objects.update(status=RunStatus.SUCCESS)  # the first one's sync has run
    assert deliver(client, raw).status_code == 200
    assert SeenEvent.objects.count() == 1 and SyncRun.objects.count() == 1


def test_a_burst_coalesces_into_one_waiting_sync(client, connection, sent):
    for entity_id in ("1", "2", "3"):
        assert deliver(client, classic(entity_id=entity_id)).status_code == 200
    assert SeenEvent.objects.count() == 3
    assert SyncRun.objects.filter(status=RunStatus.QUEUED).count() == 1
    SyncRun.objects.update(status=RunStatus.RUNNING, started_at=timezone.now())  # that one starts
    deliver(client, classic(entity_id="4"))
    deliver(client, classic(entity_id="5"))
    assert SyncRun.objects.filter(status=RunStatus.QUEUED).count() == 1  # one waits behind the running one
    assert SyncRun.objects.filter(status=RunStatus.RUNNING).count() == 1


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSBzaWduYXR1cmU="], ids=["missing", "wrong"])
def test_a_missing_or_wrong_signature_answers_401_and_logs_no_body(client, connection, sent, caplog, signature):
    raw = classic(entity_id="secret-looking-id-42")
    with caplog.at_level(logging.INFO, logger="finance.webhooks.receive"):
        answer = deliver(client, raw, signature=signature)
    assert answer.status_code == 401
    assert not SeenEvent.objects.exists() and not SyncRun.objects.exists()
    assert caplog.records and "secret-looking-id-42" not in caplog.text and REALM not in caplog.text


def test_a_signature_made_with_another_companys_token_answers_401(client, connection, sent):
    other = make_company("Other Co")
    VerifierToken.objects.create(company=other, token="another-companys-token")
    assert deliver(client, classic(), token="another-companys-token").status_code == 401
    assert not SeenEvent.objects.exists()


def test_an_unknown_realm_answers_200_when_signed_and_401_when_not_revealing_nothing(client, connection, sent):
    raw = classic(realm="999000999")
    assert deliver(client, raw).status_code == 200  # a disconnected company of ours: acknowledged
    assert deliver(client, raw, signature="bm90IHRoZSBzaWduYXR1cmU=").status_code == 401  # as for a known realm
    assert not SeenEvent.objects.exists() and not SyncRun.objects.exists()


def test_a_malformed_body_with_a_good_signature_answers_200_and_is_logged(client, connection, sent, caplog):
    with caplog.at_level(logging.INFO, logger="finance.webhooks.receive"):
        answer = deliver(client, b'{"eventNotifications": "nope"')
    assert answer.status_code == 200 and "malformed body" in caplog.text
    assert not SeenEvent.objects.exists()


def test_a_body_over_one_megabyte_answers_413(client, connection, sent):
    raw = b'{"eventNotifications": [], "padding": "' + b"x" * 1_000_001 + b'"}'
    assert deliver(client, raw).status_code == 413


def test_only_post_is_answered(client):
    assert client.get(URL).status_code == 405


def test_events_are_forgotten_after_the_configured_days(client, connection, sent, settings):
    raw = cloud(event_id="c0ffee00-0000-4000-8000-000000000002")
    deliver(client, raw)
    SeenEvent.objects.update(received_at=timezone.now() - timedelta(days=settings.QBO_WEBHOOK_SEEN_DAYS, hours=1))
    deliver(client, cloud(entity_id="8"))  # any verified delivery clears what has expired
    assert not SeenEvent.objects.filter(entity_id="7").exists()


@pytest.mark.django_db(transaction=True)
def test_a_payment_recorded_in_quickbooks_reaches_the_figures_through_a_webhook(
    client, admin_user, company, local_quickbooks, live_server
):
    entity = make_entity(company, "SoftInWay USA", "USD", "America/New_York")
    today = timezone.localdate(timezone=entity.zone).isoformat()
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Live Books Co"))
    invoice = books.invoice(today, "100.00")
    client.force_login(admin_user)
    qbo.connect(client, entity, books.realm)
    VerifierToken.objects.create(company=company, token=TOKEN)
    local_quickbooks.sandbox.subscribe_webhooks(f"{live_server.url}{URL}", TOKEN, "cloudevents")
    try:
        books.payment(today, (invoice, "40.00"))  # recorded "in QuickBooks": the sandbox notifies
        month = timezone.localdate(timezone=entity.zone).replace(day=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            snapshot = MonthlySnapshot.objects.filter(entity=entity, month=month).first()
            if snapshot and snapshot.revenue == Decimal("40.00"):
                break
            time.sleep(0.1)
    finally:
        local_quickbooks.sandbox.subscribe_webhooks("", "")
    assert snapshot is not None and (snapshot.revenue, snapshot.ar_balance) == (Decimal("40.00"), Decimal("60.00"))
    run = SyncRun.objects.filter(entity=entity, trigger="webhook").latest("queued_at")
    assert run.status == RunStatus.SUCCESS


def test_an_admin_sets_the_verifier_token_in_the_settings_write_only_and_encrypted(
    client, admin_user, company, entity
):
    QuickBooksSettings.objects.create(company=company, client_id="app", client_secret="s", environment="production")
    QuickBooksConnection.objects.create(entity=entity, company=company, status=ConnectionStatus.CONNECTED,
                                        realm_id=REALM, environment="production")  # fmt: skip
    client.force_login(admin_user)
    form = {"client_id": "app", "client_secret": "", "environment": "production", "invoice_item_name": "Services"}
    client.post("/finance/qb/settings", {**form, "webhook_verifier_token": TOKEN})

    page = client.get("/admin/settings").content.decode()
    assert "Verifier token: set." in page and TOKEN not in page
    assert "/api/qb/webhooks" in page  # the endpoint to register at Intuit
    with db.cursor() as cursor:
        cursor.execute("SELECT token FROM quickbooks_webhooks_verifiertoken")
        [(stored,)] = cursor.fetchall()
    assert TOKEN not in stored
    client.post("/finance/qb/settings", {**form, "webhook_verifier_token": ""})  # blank keeps it
    assert VerifierToken.objects.get(company=company).token == TOKEN
    client.logout()
    assert deliver(client, classic(when=timezone.now() - timedelta(days=2))).status_code == 200  # verified
