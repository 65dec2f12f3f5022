"""Token lifecycle of a connection: store, refresh with rotation, and hand out a ready client.

Rules (docs/sync.md, "Tokens"): the access token is refreshed only when it has less than REFRESH_MARGIN left; the
refresh happens under a row lock on the connection, and the rotated refresh token is saved in the
same transaction before the new access token is used, so two workers can never spend the same
refresh token. ``invalid_grant`` or an expired refresh token turns the connection into
``needs reconnect`` with a log line; other connections carry on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finance.models import (
    ConnectionStatus,
    QuickBooksConnection,
    QuickBooksSettings,
    SyncAction,
    SyncDirection,
)
from finance.quickbooks import budget, oauth
from finance.quickbooks.client import CallCounter, QuickBooksClient
from finance.quickbooks.environments import quickbooks_urls, redirect_uri
from finance.quickbooks.errors import AuthError
from finance.quickbooks.synclog import write_log

REFRESH_MARGIN = timedelta(minutes=5)
_T = TypeVar("_T")


class NotConnectedError(Exception):
    """The connection cannot be used until an admin connects (again). The message says why."""


def auth_client(qb_settings: QuickBooksSettings, environment: str | None = None):
    environment = environment or qb_settings.environment
    return oauth.AppAuthClient(
        urls=quickbooks_urls(environment),
        environment=environment,
        client_id=qb_settings.client_id,
        client_secret=qb_settings.client_secret,
        redirect_uri=redirect_uri(),
        timeout=settings.QBO_HTTP_TIMEOUT,
    )


def store_tokens(connection: QuickBooksConnection, tokens: oauth.TokenSet, *, now: datetime) -> None:
    connection.access_token = tokens.access_token
    connection.access_token_expires_at = now + timedelta(seconds=tokens.expires_in)
    connection.refresh_token = tokens.refresh_token
    connection.refresh_token_expires_at = now + timedelta(seconds=tokens.refresh_expires_in)


def mark_needs_reconnect(connection: QuickBooksConnection, reason: str) -> None:
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.status_reason = reason[:300]
    connection.access_token = ""
    connection.access_token_expires_at = None
    connection.save(
        update_fields=["status", "status_reason", "access_token", "access_token_expires_at", "updated_at"]
    )
    write_log(
        connection=connection,
        direction=SyncDirection.CONNECTION,
        action=SyncAction.REFRESH_FAILED,
        message=f"Needs reconnect: {reason}",
        object_type="Connection",
        object_ref=connection.realm_id,
    )


def _is_fresh(connection: QuickBooksConnection, now: datetime, rejected_token: str = "") -> bool:
    expires = connection.access_token_expires_at
    if rejected_token and connection.access_token == rejected_token:
        return False  # QuickBooks refused this token already, whatever its expiry says
    return bool(connection.access_token and expires and expires - now > REFRESH_MARGIN)


def _refresh_locked(connection_id: int, rejected_token: str = "") -> tuple[QuickBooksConnection, str | None]:
    """Refresh under the row lock. Returns the connection and, if it cannot be used, why."""
    with transaction.atomic():
        connection = (
            QuickBooksConnection.objects.select_for_update(of=("self",))
            .select_related("company__quickbooks_settings")
            .get(pk=connection_id)
        )
        now = timezone.now()
        if connection.status != ConnectionStatus.CONNECTED:
            return connection, connection.status_reason or "This entity is not connected to QuickBooks."
        if _is_fresh(connection, now, rejected_token):
            return connection, None  # another worker refreshed while we waited for the lock
        if connection.refresh_token_expires_at and connection.refresh_token_expires_at <= now:
            reason = "The QuickBooks authorization expired after long disuse; an admin must reconnect."
            mark_needs_reconnect(connection, reason)
            return connection, reason
        try:
            tokens = oauth.refresh(
                auth_client(connection.company.quickbooks_settings, connection.environment),
                refresh_token=connection.refresh_token,
            )
        except AuthError as error:
            refusal = error.code or error.message
            reason = f"QuickBooks refused the stored authorization ({refusal}); an admin must reconnect."
            mark_needs_reconnect(connection, reason)
            return connection, reason
        store_tokens(connection, tokens, now=now)
        connection.save(
            update_fields=[
                "access_token",
                "access_token_expires_at",
                "refresh_token",
                "refresh_token_expires_at",
                "updated_at",
            ]
        )
        write_log(
            connection=connection,
            direction=SyncDirection.CONNECTION,
            action=SyncAction.REFRESHED,
            message="Access token refreshed; the rotated refresh token was saved.",
            object_type="Connection",
            object_ref=connection.realm_id,
        )
        return connection, None


def ready_connection(connection: QuickBooksConnection, *, rejected_token: str = "") -> QuickBooksConnection:
    """The connection with an access token good for at least REFRESH_MARGIN, refreshing if needed.

    ``rejected_token``: an access token QuickBooks just answered 401 to; it is refreshed even if
    it looks fresh (unless another worker has replaced it meanwhile).
    Raises NotConnectedError when the connection cannot be used; transient QuickBooks errors
    (UnavailableError, ThrottledError) propagate for the caller to retry later.
    """
    now = timezone.now()
    if connection.status == ConnectionStatus.CONNECTED and _is_fresh(connection, now, rejected_token):
        return connection
    fresh, problem = _refresh_locked(connection.pk, rejected_token)
    if problem:
        raise NotConnectedError(problem)
    return fresh


def new_client(
    *, environment: str, realm_id: str, access_token: str, counter: CallCounter | None = None
) -> QuickBooksClient:
    """The one way a QuickBooks client is built: the environment's URLs, timeouts and backoff from
    the settings, the realm's shared budget of calls, and ``counter`` counting its calls for the caller."""
    return QuickBooksClient(
        api_base=quickbooks_urls(environment).api_base,
        realm_id=realm_id,
        access_token=access_token,
        timeout=settings.QBO_HTTP_TIMEOUT,
        backoff=settings.QBO_RETRY_BACKOFF,
        throttle_wait=settings.QBO_THROTTLE_WAIT,
        counter=counter,
        budget=budget.configured(),
    )


def client_for(
    connection: QuickBooksConnection, *, rejected_token: str = "", counter: CallCounter | None = None
) -> QuickBooksClient:
    """A QuickBooks client for this connection's realm with a fresh access token.

    After a 401 from QuickBooks, call again with ``rejected_token=client.access_token``."""
    fresh = ready_connection(connection, rejected_token=rejected_token)
    return new_client(
        environment=fresh.environment, realm_id=fresh.realm_id, access_token=fresh.access_token, counter=counter
    )


def with_client(
    connection: QuickBooksConnection, work: Callable[[QuickBooksClient], _T], *, counter: CallCounter | None = None
) -> tuple[_T, int]:
    """Run ``work(client)``; if QuickBooks answers 401 to a token we thought fresh (revoked or
    expired early at Intuit), refresh once and run it again. Returns the result and the number of
    HTTP calls this made to the Accounting API; ``counter`` (a run's) counts them too, also when
    the work fails."""
    counter = counter or CallCounter()
    before = counter.total
    client = client_for(connection, counter=counter)
    try:
        result = work(client)
    except AuthError as error:
        if error.status != 401:
            raise
        client = client_for(connection, rejected_token=client.access_token, counter=counter)
        result = work(client)
    return result, counter.total - before
