"""Django settings for OtiumWork, read from the environment in this one place.

Local defaults need no service: SQLite, Celery tasks run inline, the local QuickBooks sandbox.
Production mode (DJANGO_DEBUG=0) refuses to start without its secrets and passes
``manage.py check --deploy``.
"""

import os
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def required_in_production(name: str, dev_default: str) -> str:
    value = env_str(name)
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off")


def database_from_url(url: str) -> dict:
    """A Django DATABASES entry from postgres://user:password@host:port/name."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL names no database")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = required_in_production("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me-0123456789")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# SITE_URL builds the OAuth redirect URI registered with Intuit: production serves it over TLS.
if not DEBUG and (urlsplit(SITE_URL).scheme != "https" or not urlsplit(SITE_URL).hostname):
    raise ImproperlyConfigured(
        "SITE_URL must be an https:// URL when DJANGO_DEBUG is off, not "
        f"{env_str('SITE_URL') or 'unset'!r} "
        "(it builds the QuickBooks OAuth redirect URI <SITE_URL>/finance/qb/callback)"
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# /django-admin/ is mounted only when this is on (see otiumwork/urls.py): by default in development,
# in production only when the operator asks for it.
DJANGO_ADMIN_ENABLED = env_bool("DJANGO_ADMIN_ENABLED", DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver then serves static files through WhiteNoise too, as production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_htmx",
    "accounts",
    "sales",
    "finance",
    "finance.webhooks",
    "finance.mirror",
    "ops",
]

MIDDLEWARE = [
    # First: /healthz and /readyz answer the orchestrator's probe by address, before the host check
    # and the TLS redirect.
    "ops.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.MembershipMiddleware",
    # Last: turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "otiumwork.urls"
WSGI_APPLICATION = "otiumwork.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(env_str("SQLITE_PATH", str(BASE_DIR / "var" / "otiumwork.sqlite3"))),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Login throttling (django-axes) -----------------------------------------------------------
# After LOGIN_FAILURE_LIMIT failed log-ins for one username from one address, that pair is locked
# out for LOGIN_LOCKOUT_MINUTES; the login page then answers 429 with the lockout page saying how
# long to wait. A successful log-in clears the count. Attempts are kept in the database.
AUTHENTICATION_BACKENDS = [
    "accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked out do not extend the lockout: the wait shown stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves the static files from the app server itself. In production mode `collectstatic`
# writes them under content-hashed names with compressed copies, served with a far-future cache
# header; in development they come straight from static/ (no collectstatic needed).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Decided when the settings load (pytest turns DEBUG off later): development serves static/ as edited.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Content-Security-Policy (django-csp) -----------------------------------------------------
# Scripts and stylesheets come from this origin only: no inline script, no event-handler attribute,
# no style attribute. An inline <style> or <script> element needs the request's nonce
# (`{{ request.csp_nonce }}`); none does today. Sent in development too, so the browser tests see it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Security (production mode) -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker the demo runs every job inline, in the request that queued it.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Worker logs go through LOGGING below (JSON lines in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "quickbooks-sync-all-hourly": {
        "task": "finance.tasks.sync_all_connections",
        "schedule": 3600.0,
    },
    # The scheduler's heartbeat (ops/heartbeat.py): the beat container's health check reads it.
    "ops-beat-tick": {"task": "ops.tasks.beat_tick", "schedule": 60.0},
    # Authorizations expiring within 14 days, then the digest of alerts held back that day.
    "ops-daily-alerts": {"task": "ops.tasks.daily_alerts", "schedule": crontab(hour=7, minute=0)},
}

# --- QuickBooks -------------------------------------------------------------------------------
# In the `local` environment every QuickBooks URL derives from this one base URL (docs/sync.md).
QBO_LOCAL_URL = env_str("QBO_LOCAL_URL", "http://127.0.0.1:8000/qbo-sandbox").rstrip("/")
# The local sandbox is mounted in this app's own WSGI server under /qbo-sandbox (demo only).
QBO_SANDBOX_MOUNT = env_bool("QBO_SANDBOX_MOUNT", DEBUG)
QBO_SANDBOX_DB = env_str("QBO_SANDBOX_DB", str(BASE_DIR / "var" / "qbsandbox.sqlite3"))
if QBO_SANDBOX_MOUNT and not DEBUG:
    raise ImproperlyConfigured("The local QuickBooks sandbox never runs in production mode")
QBO_ENVIRONMENTS_OFFERED = ["production", "sandbox", "local"] if DEBUG else ["production", "sandbox"]
QBO_HTTP_TIMEOUT = float(env_str("QBO_HTTP_TIMEOUT", "20"))
# Retries of transient QuickBooks errors: exponential backoff from this many seconds; after a 429
# Intuit asks for a minute's pause (tests shorten both).
QBO_RETRY_BACKOFF = float(env_str("QBO_RETRY_BACKOFF", "1"))
QBO_THROTTLE_WAIT = float(env_str("QBO_THROTTLE_WAIT", "60"))
# A run (pull or push) makes no QuickBooks call after this many seconds: it fails as "took too long".
# With each call bounded by QBO_HTTP_TIMEOUT, a run still marked running well past this is known to
# have lost its worker, and the next sync of its connection records it so (finance/quickbooks/runs.py).
QBO_RUN_DEADLINE = env_int("QBO_RUN_DEADLINE", 600)
# Incremental syncs read what changed since the last one; a full read still runs this often (hours).
QBO_FULL_READ_HOURS = env_int("QBO_FULL_READ_HOURS", 24)
# The hourly fan-out queues the connections' syncs in chunks of this many, each chunk a task of its own.
QBO_FANOUT_CHUNK = env_int("QBO_FANOUT_CHUNK", 200)
# Webhook events already received are remembered this many days (a replay within them is ignored).
QBO_WEBHOOK_SEEN_DAYS = env_int("QBO_WEBHOOK_SEEN_DAYS", 4)
# /finance/qb marks an entity's figures "stale" when its last successful sync is older than this.
QBO_STALE_AFTER_HOURS = env_int("QBO_STALE_AFTER_HOURS", 2)
CRON_TOKEN = env_str("CRON_TOKEN")
CRON_TOKEN_MIN_LENGTH = 32
if CRON_TOKEN and not DEBUG and len(CRON_TOKEN) < CRON_TOKEN_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"CRON_TOKEN must be at least {CRON_TOKEN_MIN_LENGTH} characters when DJANGO_DEBUG is off "
        f"(it has {len(CRON_TOKEN)}); generate one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\""
    )
# Fernet keys for secrets at rest, newest first (see README: key rotation).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off")
if DEBUG:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

# --- Operations: scheduler heartbeat, alert emails, error reports, logs ---------------------
# Scheduled syncs are expected where beat runs, i.e. with a broker; when the newest heartbeat (beat's
# tick, each scheduled fan-out) is older than this, /finance/qb warns admins and /readyz fails.
OPS_SCHEDULER_EXPECTED = bool(REDIS_URL)
OPS_SCHEDULER_STALE_AFTER = timedelta(hours=2)

# Alert emails (ops/alerts.py) go through SMTP when EMAIL_HOST is set, else to the console (the demo).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on: pick the one your server speaks")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "OtiumWork <alerts@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Error reports: on only when SENTRY_DSN is set; every event is scrubbed of secrets (ops/error_reports.py).
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
try:
    _VERSION = metadata.version("otiumwork")
except metadata.PackageNotFoundError:
    _VERSION = "unknown"
SENTRY_RELEASE = env_str("SENTRY_RELEASE", f"otiumwork@{_VERSION}")
if SENTRY_DSN:
    # Imported only when configured: without a DSN the SDK is never loaded.
    from ops import error_reports

    error_reports.start(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE)

# One JSON object per line in production mode (events on `otiumwork.events` carry their fields:
# company, entity, realm, run, trigger, qbo_calls, duration_ms, outcome); readable lines in development.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "ops.logformat.TextFormatter"},
        "json": {"()": "ops.logformat.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "text" if DEBUG else "json"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
