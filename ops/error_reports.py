"""Error reports to Sentry, switched on by SENTRY_DSN (otiumwork/settings.py calls ``start``).

Every event passes ``scrub_event`` before it leaves: request headers (Authorization, cookies),
cookies, query strings (OAuth's ``code`` and ``state``), request bodies, frame variables,
breadcrumbs and messages lose any token, client secret or credential (``ops.redact``). Request
bodies are never sent, nor personal data (the SDK's default)."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from ops.redact import FILTERED, scrub, scrub_text


def scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    request = scrub(request)
    if request.get("cookies"):
        request["cookies"] = FILTERED
    if "data" in request:
        request["data"] = FILTERED
    if isinstance(request.get("query_string"), str):
        request["query_string"] = scrub_text("?" + request["query_string"])[1:]
    return request


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_send``: the event without secrets."""
    request = event.pop("request", None)
    event = scrub(event)
    if isinstance(request, dict):
        event["request"] = scrub_request(request)
    return event


def start(*, dsn: str, environment: str, release: str, transport: Any = None) -> None:
    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=lambda crumb, hint: scrub(crumb),
        **options,
    )
