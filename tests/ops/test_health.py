"""/healthz and /readyz: what the orchestrator and an operator's monitor are answered."""

import json
import socket
import socketserver
import threading
from datetime import timedelta

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from ops import heartbeat

SECRET_REDIS = "redis://:s3cret-redis-pass@127.0.0.1:{port}/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeRedis(socketserver.StreamRequestHandler):
    """Answers PING with PONG and any other command with OK, as far as a ping needs."""

    def handle(self):
        while line := self.rfile.readline():
            if not line.startswith(b"*"):
                continue
            parts = [self.read_bulk() for _ in range(int(line[1:]))]
            self.wfile.write(b"+PONG\r\n" if parts[0].upper() == b"PING" else b"+OK\r\n")

    def read_bulk(self) -> bytes:
        size = int(self.rfile.readline()[1:])
        return self.rfile.read(size + 2)[:-2]


@pytest.fixture
def fake_redis():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeRedis)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def ready(client):
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")  # no `db` fixture: any query would raise
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_probes_answer_by_address_whatever_the_allowed_hosts_and_tls_redirect(client, settings, db):
    # Production: only the public host is allowed and plain HTTP is redirected; the container's
    # health check asks http://127.0.0.1:8000/healthz all the same.
    settings.ALLOWED_HOSTS = ["otiumwork.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400  # everything else is checked


def test_readyz_reports_the_database_and_migrations(client, db, settings):
    settings.REDIS_URL = ""
    settings.OPS_SCHEDULER_EXPECTED = False
    status, body = ready(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"ok": True, "detail": "reachable"},
            "migrations": {"ok": True, "detail": "all applied"},
        },
    }


def test_readyz_fails_with_an_unapplied_migration(client, db, settings):
    settings.OPS_SCHEDULER_EXPECTED = False
    MigrationRecorder.Migration.objects.filter(app="ops", name="0001_initial").delete()
    status, body = ready(client)
    assert status == 503 and body["status"] == "failing"
    assert body["checks"]["migrations"] == {"ok": False, "detail": "1 not applied (ops.0001_initial)"}
    assert body["checks"]["database"]["ok"] is True


def test_readyz_pings_redis_when_there_is_a_broker(client, db, settings, fake_redis):
    settings.REDIS_URL = SECRET_REDIS.format(port=fake_redis)
    settings.OPS_SCHEDULER_EXPECTED = False
    status, body = ready(client)
    assert status == 200
    assert body["checks"]["redis"] == {"ok": True, "detail": "reachable"}


def test_readyz_fails_when_redis_is_down_and_names_no_host_or_password(client, db, settings):
    settings.REDIS_URL = SECRET_REDIS.format(port=free_port())
    settings.OPS_SCHEDULER_EXPECTED = False
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["redis"] == {"ok": False, "detail": "unreachable (ConnectionError)"}
    text = response.content.decode()
    assert "127.0.0.1" not in text and "s3cret" not in text and "redis://" not in text


def test_readyz_reports_a_stopped_scheduler(client, db, settings):
    settings.OPS_SCHEDULER_EXPECTED = True
    settings.REDIS_URL = ""
    heartbeat.record(heartbeat.BEAT, at=timezone.now() - timedelta(hours=3))
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["scheduler"] == {"ok": False, "detail": "last heartbeat 180 minutes ago"}
    heartbeat.record(heartbeat.FANOUT)
    status, body = ready(client)
    assert status == 200
    assert body["checks"]["scheduler"] == {"ok": True, "detail": "last heartbeat 0 minutes ago"}


def test_readyz_fails_when_scheduling_is_expected_and_beat_never_checked_in(client, db, settings):
    settings.OPS_SCHEDULER_EXPECTED = True
    settings.REDIS_URL = ""
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["scheduler"] == {"ok": False, "detail": "no heartbeat yet"}


def test_readyz_fails_when_the_database_is_unreachable(client, db, settings, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.base import base

    settings.OPS_SCHEDULER_EXPECTED = True

    def refuse(self, *args, **kwargs):
        raise OperationalError('could not connect to server "db.internal" (10.0.0.5)')

    monkeypatch.setattr(base.BaseDatabaseWrapper, "cursor", refuse)
    response = client.get("/readyz")
    monkeypatch.undo()
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable (OperationalError)"}
    assert body["checks"]["migrations"]["ok"] is False and body["checks"]["scheduler"]["ok"] is False
    assert "db.internal" not in response.content.decode()
