"""docker-compose.yml stays valid and wired to the settings the app really reads."""

import re
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
