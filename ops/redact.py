"""Strip secrets from what leaves the process (log lines, error reports): by key, any value under a
name that holds a token, a secret, a password, an authorization, a cookie, or OAuth's ``code`` and
``state``; in text, bearer and basic credentials and those names' values in query strings."""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
SECRET_WORDS = (
    "token", "secret", "password", "passwd", "authorization", "cookie", "session", "csrf", "api_key", "apikey",
    "credential", "dsn", "private_key", "signature",
)  # fmt: skip
SECRET_NAMES = {"code", "state", "auth", "x-api-key"}
_QUERY_SECRET = re.compile(
    r"(?i)((?:^|[?&\s\"'])(?:code|state|[a-z_]*token|client_secret|password)=)[^&\s\"']+"
)
_JSON_SECRET = re.compile(r"(?i)([\"'](?:[a-z_]*token|client_secret|password|code|state)[\"']\s*:\s*[\"'])[^\"']+")
_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]+")


def secret_key(key: Any) -> bool:
    name = str(key).lower().replace("-", "_")
    return name in SECRET_NAMES or any(word in name for word in SECRET_WORDS)


def scrub_text(text: str) -> str:
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)} {FILTERED}", text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + FILTERED, text)
    return _JSON_SECRET.sub(lambda m: m.group(1) + FILTERED, text)


def scrub(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` (dicts, lists, text) with the secrets replaced by ``[Filtered]``."""
    if depth > 20:
        return FILTERED
    if isinstance(value, dict):
        return {k: FILTERED if secret_key(k) and v not in (None, "") else scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Headers and cookies may come as [name, value] pairs.
        if len(value) == 2 and isinstance(value[0], str) and secret_key(value[0]):
            return [value[0], FILTERED]
        return [scrub(item, depth + 1) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value
