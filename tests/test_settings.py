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
    "SITE_URL": "https://otiumwork.com",
    "FIELD_ENCRYPTION_KEYS": "r1ZQ3Ywz0m4eYb8Gv2c5yB0L0nUoJpKj3m6aX2wQk0E=",
}
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_DEBUG",
    "QBO_LOCAL_URL",
    "QBO_SANDBOX_MOUNT",
    "DJANGO_SECRET_KEY",
    "SITE_URL",
    "CRON_TOKEN",
    "DJANGO_ADMIN_ENABLED",
    "SENTRY_DSN",
    "SENTRY_ENVIRONMENT",
    "SENTRY_RELEASE",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "LOG_LEVEL",
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
        ({**PRODUCTION, "SITE_URL": ""}, "SITE_URL must be an https:// URL"),
        ({**PRODUCTION, "SITE_URL": "http://otiumwork.com"}, "SITE_URL must be an https:// URL"),
        ({**PRODUCTION, "SITE_URL": "otiumwork.com"}, "SITE_URL must be an https:// URL"),
        ({**PRODUCTION, "CRON_TOKEN": "short-token"}, "CRON_TOKEN must be at least 32 characters"),
        ({**PRODUCTION, "DJANGO_ADMIN_ENABLED": "perhaps"}, "DJANGO_ADMIN_ENABLED must be a boolean"),
        ({"EMAIL_USE_SSL": "1"}, "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number"),
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


def test_production_accepts_an_https_site_url_and_a_long_cron_token():
    found = run(
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SITE_URL, len(settings.CRON_TOKEN))",
        **{**PRODUCTION, "SITE_URL": "https://app.otiumwork.com/", "CRON_TOKEN": "c" * 32},
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["https://app.otiumwork.com", "32"]


def test_development_keeps_its_http_site_url_and_any_cron_token():
    found = run(
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SITE_URL, settings.CRON_TOKEN)",
        CRON_TOKEN="dev",
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["http://127.0.0.1:8000", "dev"]


# The 404 page links its stylesheet: without collectstatic's manifest (not built here), static URLs
# are the plain ones.
ADMIN_PROBE = (
    "import django; from django.conf import settings; django.setup(); from django.test import Client\n"
    "from django.urls import Resolver404, resolve\n"
    "settings.STORAGES = {**settings.STORAGES, 'staticfiles': {'BACKEND': "
    "'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
    "try:\n    print(resolve('/django-admin/login/').view_name)\n"
    "except Resolver404:\n    print(Client().get('/django-admin/login/', secure=True).status_code)"
)


@pytest.mark.parametrize(
    "env,found",
    [
        ({}, "admin:login"),  # development: mounted
        ({"DJANGO_ADMIN_ENABLED": "0"}, "404"),
        (PRODUCTION, "404"),  # production: off unless asked for
        ({**PRODUCTION, "DJANGO_ADMIN_ENABLED": "1"}, "admin:login"),
    ],
    ids=["development", "development-off", "production", "production-on"],
)
def test_django_admin_is_mounted_only_when_enabled(env, found, tmp_path):
    # An empty SQLite file: answering 404 reads no table.
    local = {"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "DJANGO_ALLOWED_HOSTS": "testserver"}
    result = run(ADMIN_PROBE, **{**env, **local})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == found


SENTRY_PROBE = (
    "import json, django, sentry_sdk; django.setup(); client = sentry_sdk.get_client(); "
    "print(json.dumps({'active': client.is_active(), 'release': client.options.get('release'), "
    "'environment': client.options.get('environment'), 'before_send': getattr(client.options.get('before_send'), "
    "'__name__', None)}))"
)


def test_error_reports_are_off_without_a_dsn():
    result = run(SENTRY_PROBE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["active"] is False


def test_a_dsn_turns_error_reports_on_with_release_environment_and_the_scrubber():
    # A DSN on a closed local port: nothing is reported at start-up, and nothing could leave.
    dsn = {"SENTRY_DSN": "https://public@127.0.0.1:9/1", "SENTRY_RELEASE": "otiumwork@1.2.3"}
    result = run(SENTRY_PROBE, **PRODUCTION, **dsn)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "active": True, "release": "otiumwork@1.2.3", "environment": "production", "before_send": "scrub_event",
    }  # fmt: skip


EMAIL_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS]))"
)


def test_alert_emails_go_to_the_console_without_an_smtp_host_and_through_smtp_with_one():
    assert json.loads(run(EMAIL_PROBE).stdout) == ["django.core.mail.backends.console.EmailBackend", "", 587, True]
    found = json.loads(run(EMAIL_PROBE, EMAIL_HOST="smtp.example.com", EMAIL_PORT="2525").stdout)
    assert found == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.com", 2525, True]


LOG_PROBE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('otiumwork.events').info('quickbooks.sync', "
    "extra={'fields': {'event': 'quickbooks.sync', 'run': 7, 'outcome': 'success'}})"
)


def test_production_logs_one_json_object_per_line_and_development_readable_text():
    production = run(LOG_PROBE, **PRODUCTION)
    assert production.returncode == 0, production.stderr
    line = json.loads(production.stderr.strip().splitlines()[-1])
    assert (line["logger"], line["event"], line["run"], line["outcome"]) == (
        "otiumwork.events", "quickbooks.sync", 7, "success",
    )  # fmt: skip
    development = run(LOG_PROBE)
    assert development.stderr.strip().splitlines()[-1].endswith(
        "INFO otiumwork.events quickbooks.sync event=quickbooks.sync run=7 outcome=success"
    )
