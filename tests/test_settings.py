"""Settings come from the environment with safe local defaults; production mode is strict."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'host': db.get('HOST'), "
    "'port': db.get('PORT'), 'user': db.get('USER'), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'debug': settings.DEBUG, 'sandbox': settings.QBO_SANDBOX_MOUNT, "
    "'envs': settings.QBO_ENVIRONMENTS_OFFERED, 'local_url': settings.QBO_LOCAL_URL}))"
)
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "otiumwork.com",
    "FIELD_ENCRYPTION_KEYS": "r1ZQ3Ywz0m4eYb8Gv2c5yB0L0nUoJpKj3m6aX2wQk0E=",
}
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_DEBUG",
    "QBO_LOCAL_URL",
    "QBO_SANDBOX_MOUNT",
    "DJANGO_SECRET_KEY",
)


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(env, DJANGO_SETTINGS_MODULE="otiumwork.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def probe(**env: str) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_local_defaults_need_no_service():
    found = probe()
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["eager"] is True and found["broker"] == "memory://"
    assert found["debug"] is True and found["sandbox"] is True
    assert found["envs"] == ["production", "sandbox", "local"]
    assert found["local_url"] == "http://127.0.0.1:8000/qbo-sandbox"


def test_database_url_selects_postgresql():
    found = probe(DATABASE_URL="postgres://otium:s%40cret@db.internal:6543/otiumwork")
    assert found["engine"] == "django.db.backends.postgresql"
    assert (found["name"], found["host"], found["port"], found["user"]) == (
        "otiumwork",
        "db.internal",
        "6543",
        "otium",
    )


def test_redis_url_turns_on_the_broker():
    found = probe(REDIS_URL="redis://127.0.0.1:6379/3")
    assert found["eager"] is False and found["broker"] == "redis://127.0.0.1:6379/3"


def test_production_mode_offers_no_local_sandbox():
    found = probe(**PRODUCTION)
    assert found["debug"] is False and found["sandbox"] is False
    assert found["envs"] == ["production", "sandbox"]


@pytest.mark.parametrize(
    "env,message",
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a postgres:// URL"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be a boolean"),
        ({**PRODUCTION, "DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set"),
        ({**PRODUCTION, "FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS must be set"),
        ({**PRODUCTION, "QBO_SANDBOX_MOUNT": "1"}, "never runs in production mode"),
    ],
)
def test_bad_configuration_stops_with_a_clear_message(env, message):
    result = run("import django; django.setup()", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_mode_passes_the_deployment_checklist():
    result = run(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
