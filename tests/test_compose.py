"""docker-compose.yml stays valid and wired to the settings the app really reads."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_web_worker_beat_postgres_redis_wired_by_env():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    assert "celery -A otiumwork worker" in services["worker"]["command"]
    assert "celery -A otiumwork beat" in services["beat"]["command"]
    settings_source = (ROOT / "otiumwork" / "settings.py").read_text()
    read_by_settings = set(re.findall(r'(?:env_\w+|required_in_production)\("([A-Z_]+)"', settings_source))
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        unknown = set(environment) - read_by_settings
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"


def test_web_collects_static_files_and_serves_with_gunicorn_from_the_dependencies():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]
    command = web["command"]
    assert command.index("migrate --noinput") < command.index("collectstatic --noinput") < command.index("gunicorn")
    assert "gunicorn otiumwork.wsgi" in command
    # Production values the settings accept: an https SITE_URL, the admin off unless asked for.
    assert web["environment"]["DJANGO_DEBUG"] == "0"
    assert web["environment"]["SITE_URL"].split(":-", 1)[1].startswith("https://")
    assert web["environment"]["DJANGO_ADMIN_ENABLED"] == "${DJANGO_ADMIN_ENABLED:-0}"

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower() for requirement in dependencies}
    assert {"gunicorn", "whitenoise", "django-csp", "django-axes"} <= names
    dockerfile = (ROOT / "Dockerfile").read_text()
    install = next(line for line in dockerfile.splitlines() if line.startswith("RUN pip install"))
    assert "gunicorn" not in install, "gunicorn comes from pyproject.toml's dependencies"
    assert '"gunicorn"' in dockerfile.splitlines()[-1]


def test_web_worker_and_beat_have_health_checks_the_image_can_run():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    web = services["web"]["healthcheck"]["test"]
    # No curl in the image: Python's urllib asks the process itself, by address, for /healthz.
    assert web[:3] == ["CMD", "python", "-c"] and "urlopen('http://127.0.0.1:8000/healthz'" in web[3]
    assert "curl" not in (ROOT / "Dockerfile").read_text()
    worker = services["worker"]["healthcheck"]["test"]
    assert worker[0] == "CMD-SHELL"
    assert "celery -A otiumwork inspect ping --destination celery@$$HOSTNAME" in worker[1]
    beat = services["beat"]["healthcheck"]["test"]
    assert beat[:5] == ["CMD", "python", "manage.py", "check_heartbeat", "beat"]
    for name in ("web", "worker", "beat"):
        assert services[name]["healthcheck"]["start_period"]


def test_the_beat_check_allows_several_ticks(settings):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    beat = compose["services"]["beat"]["healthcheck"]["test"]
    max_age = int(beat[beat.index("--max-age") + 1])
    tick = settings.CELERY_BEAT_SCHEDULE["ops-beat-tick"]
    assert tick["task"] == "ops.tasks.beat_tick"
    assert max_age >= 4 * tick["schedule"]


def test_error_reports_and_alert_email_settings_reach_every_app_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        environment = compose["services"][name]["environment"]
        assert environment["SENTRY_DSN"] == "${SENTRY_DSN:-}"  # off unless the operator sets it
        assert environment["EMAIL_HOST"] == "${EMAIL_HOST:-}"
        assert {"EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "DEFAULT_FROM_EMAIL"} <= set(environment)
