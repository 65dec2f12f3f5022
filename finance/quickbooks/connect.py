"""Connect an entity to its QuickBooks company (OAuth authorization-code flow) and disconnect it.

The OAuth ``state`` is a random id whose payload (user, entity, time) is kept server-side in the
session, a few at once so two tabs can connect two entities; reading a state deletes it, so each is
single-use, and it lives STATE_TTL. Every failure of the callback is a ``ConnectError`` with a
message for the admin, raised before anything is saved: no half-made connection.

Two guards against a misclick on QuickBooks' consent page, which lists every company the Intuit user
can reach: a company whose home currency is not the entity's connects nothing (its figures would
replace the entity's months in another currency), and a company other than the one the entity had
asks for an explicit confirmation first (``SwitchNeedsConfirmation``), since the next sync rewrites
the entity's synced months from it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Entity
from finance.models import (
    ConnectionStatus,
    FigureDrilldown,
    QuickBooksConnection,
    QuickBooksSettings,
    SyncAction,
    SyncDirection,
    SyncLogEntry,
)
from finance.quickbooks import oauth
from finance.quickbooks.errors import QuickBooksError
from finance.quickbooks.synclog import write_log
from finance.quickbooks.tokens import auth_client, new_client, store_tokens

SESSION_KEY = "quickbooks_oauth_states"
STATE_TTL = 600  # seconds
MAX_PENDING = 5


class ConnectError(Exception):
    """The connection was not made; the message says why, for the admin."""


@dataclass
class SwitchNeedsConfirmation(Exception):
    """The admin picked a QuickBooks company other than the one the entity had: nothing was saved;
    the page asks to confirm, then the admin connects again with ``switch_to`` = the new realm."""

    entity: Entity
    old_realm: str
    old_name: str
    new_realm: str
    new_name: str
    currency: str
    synced_months: list


def currency_mismatch(*, entity: Entity, company_name: str, currency: str) -> str:
    """The one sentence of a company whose home currency is not the entity's."""
    return (
        f"{entity.name} keeps its books in {entity.home_currency}, but the QuickBooks company “{company_name}” "
        f"keeps them in {currency}: nothing was connected. Click Connect to QuickBooks again and pick "
        f"{entity.name}'s own {entity.home_currency} company in the list on QuickBooks' page."
    )


@dataclass(frozen=True)
class Callback:
    state: str
    code: str
    realm_id: str
    error: str


def settings_for(company) -> QuickBooksSettings:
    qb_settings = QuickBooksSettings.objects.filter(company=company).first()
    if not qb_settings or not qb_settings.is_complete:
        raise ConnectError(
            "Enter your Intuit app's Client ID and Client Secret in Settings → QuickBooks first."
        )
    return qb_settings


def start_connect(*, session, user, entity: Entity, switch_to: str = "") -> str:
    """Remember a new state for this user and entity and return Intuit's consent URL. ``switch_to``:
    the admin confirmed moving the entity to this realm (see ``SwitchNeedsConfirmation``)."""
    qb_settings = settings_for(entity.company)
    state = secrets.token_urlsafe(32)
    pending = {
        key: value
        for key, value in session.get(SESSION_KEY, {}).items()
        if time.time() - value["at"] < STATE_TTL
    }
    pending[state] = {"entity": entity.pk, "user": user.pk, "at": time.time(), "env": qb_settings.environment}
    if switch_to.isdigit():
        pending[state]["switch_to"] = switch_to
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-MAX_PENDING:]
    session[SESSION_KEY] = dict(newest)
    return oauth.authorization_url(auth_client(qb_settings), state=state)


def _take_state(session, state: str) -> dict:
    pending = session.get(SESSION_KEY, {})
    stash = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    if stash is None:
        raise ConnectError(
            "This QuickBooks answer does not match a connection started here (the link was used already, "
            "altered, or started in another browser). Click Connect to QuickBooks again."
        )
    if time.time() - stash["at"] >= STATE_TTL:
        raise ConnectError(
            "The connection attempt took too long and expired. Click Connect to QuickBooks again."
        )
    return stash


def _entity_for(stash: dict, user) -> Entity:
    if stash["user"] != user.pk:
        raise ConnectError("This connection was started by another user. Click Connect to QuickBooks again.")
    entity = Entity.objects.filter(pk=stash["entity"], company=user.membership.company).first()
    if entity is None:
        raise ConnectError("The entity of this connection no longer exists.")
    return entity


def _check_realm_free(entity: Entity, realm_id: str) -> None:
    holder = (
        QuickBooksConnection.objects.filter(company=entity.company, realm_id=realm_id)
        .exclude(entity=entity)
        .select_related("entity")
        .first()
    )
    if holder:
        raise ConnectError(
            f"That QuickBooks company is already connected to {holder.entity.name}. "
            "Each entity connects to its own QuickBooks company."
        )


def _company_facts(environment: str, realm_id: str, access_token: str) -> tuple[str, str]:
    client = new_client(environment=environment, realm_id=realm_id, access_token=access_token)
    info = client.company_info()
    preferences = client.preferences()
    currency = (preferences.get("CurrencyPrefs") or {}).get("HomeCurrency", {}).get("value", "")
    return info.get("CompanyName", ""), currency


def previous_company(entity: Entity) -> tuple[str, str]:
    """The realm and name of the QuickBooks company the entity was connected to, even after a
    disconnect (its synced months' drill-downs name the realm they came from); ('', '') if none."""
    connection = QuickBooksConnection.objects.filter(entity=entity).first()
    name = connection.qb_company_name if connection else ""
    if connection and connection.realm_id:
        return connection.realm_id, name
    connected = SyncLogEntry.objects.filter(
        entity=entity, direction=SyncDirection.CONNECTION, action=SyncAction.CONNECTED, object_type="Connection"
    ).order_by("-created_at", "-id")
    latest = connected.values_list("object_ref", flat=True).first()
    if not latest:
        latest = FigureDrilldown.objects.filter(entity=entity).order_by("-month").values_list("realm_id", flat=True)
        latest = latest.first()
    return (latest or ""), name


def synced_months(entity: Entity) -> list:
    return sorted(set(FigureDrilldown.objects.filter(entity=entity).values_list("month", flat=True)))


def _check_currency(entity: Entity, name: str, currency: str) -> None:
    if not currency:
        raise ConnectError(
            f"{entity.name} was not connected: QuickBooks did not say which currency “{name}” keeps its "
            "books in, so it could not be checked against the entity's. Try again in a minute."
        )
    if currency != entity.home_currency:
        raise ConnectError(currency_mismatch(entity=entity, company_name=name, currency=currency))


def _check_same_company(entity: Entity, stash: dict, realm_id: str, name: str, currency: str) -> str:
    """Raise SwitchNeedsConfirmation for an unconfirmed switch of company; returns the old realm."""
    old_realm, old_name = previous_company(entity)
    if old_realm and old_realm != realm_id and stash.get("switch_to") != realm_id:
        raise SwitchNeedsConfirmation(
            entity=entity,
            old_realm=old_realm,
            old_name=old_name,
            new_realm=realm_id,
            new_name=name,
            currency=currency,
            synced_months=synced_months(entity),
        )
    return old_realm if old_realm != realm_id else ""


def finish_connect(*, session, user, callback: Callback) -> QuickBooksConnection:
    """Handle Intuit's redirect back. Raises ConnectError with the admin's message on any failure,
    SwitchNeedsConfirmation for another company than the entity had (nothing saved in both)."""
    stash = _take_state(session, callback.state)
    entity = _entity_for(stash, user)
    if callback.error:
        if callback.error == "access_denied":
            raise ConnectError(f"{entity.name} was not connected: the QuickBooks consent was declined.")
        raise ConnectError(
            f"{entity.name} was not connected: QuickBooks refused the connection request. Click Connect to "
            "QuickBooks again; if it keeps failing, check the app's keys and redirect URI in Settings → QuickBooks."
        )
    if not callback.code or not callback.realm_id:
        raise ConnectError(
            f"{entity.name} was not connected: QuickBooks' answer lacked the code or the company id."
        )
    if not callback.realm_id.isdigit():
        raise ConnectError(f"{entity.name} was not connected: QuickBooks sent an invalid company id.")
    _check_realm_free(entity, callback.realm_id)
    qb_settings = settings_for(entity.company)
    environment = stash["env"]
    client = auth_client(qb_settings, environment)
    try:
        tokens = oauth.exchange_code(client, code=callback.code, realm_id=callback.realm_id)
        name, currency = _company_facts(environment, callback.realm_id, tokens.access_token)
    except QuickBooksError as error:
        raise ConnectError(f"{entity.name} was not connected: {error.message or error}") from error
    try:
        _check_currency(entity, name, currency)
        switched_from = _check_same_company(entity, stash, callback.realm_id, name, currency)
    except (ConnectError, SwitchNeedsConfirmation):
        _revoke_token_quietly(client, tokens.refresh_token)  # nothing keeps an authorization not used
        raise
    return _save_connection(
        entity, user, environment, callback.realm_id, tokens, name, currency, switched_from=switched_from
    )


def _revoke_token_quietly(client, token: str) -> None:
    try:
        oauth.revoke(client, token=token)
    except QuickBooksError:
        pass  # best effort: the unused authorization also lapses by itself


def _save_connection(
    entity, user, environment, realm_id, tokens, name, currency, *, switched_from: str = ""
) -> QuickBooksConnection:
    now = timezone.now()
    try:
        with transaction.atomic():
            connection, _ = QuickBooksConnection.objects.select_for_update().get_or_create(
                entity=entity, defaults={"company": entity.company}
            )
            old_name = connection.qb_company_name
            connection.status, connection.status_reason = ConnectionStatus.CONNECTED, ""
            connection.environment, connection.realm_id = environment, realm_id
            connection.qb_company_name, connection.qb_home_currency = name, currency
            connection.connected_by, connection.connected_at = user, now
            store_tokens(connection, tokens, now=now)
            connection.save()
            write_log(
                connection=connection,
                direction=SyncDirection.CONNECTION,
                action=SyncAction.CONNECTED,
                message=f"Connected to QuickBooks company “{name}” (realm {realm_id}) by {user.username}.",
                object_type="Connection",
                object_ref=realm_id,
            )
            if switched_from:
                write_log(
                    connection=connection,
                    direction=SyncDirection.CONNECTION,
                    action=SyncAction.CONNECTED,
                    message=(
                        f"Switched from QuickBooks company “{old_name}” (realm {switched_from}) to “{name}” "
                        f"(realm {realm_id}), confirmed by {user.username}: the next sync rewrites the synced "
                        "months from the new company."
                    ),
                    object_type="Connection",
                    object_ref=realm_id,
                    details={"from_realm": switched_from, "to_realm": realm_id},
                )
    except IntegrityError as exc:  # another tab connected the same realm to another entity meanwhile
        raise ConnectError("That QuickBooks company was just connected to another entity.") from exc
    return connection


def disconnect(*, connection: QuickBooksConnection, user) -> str:
    """Revoke at Intuit (best effort), forget the tokens, keep the history. Returns the message."""
    realm, name = connection.realm_id, connection.qb_company_name
    revoke_problem = _revoke_quietly(connection)
    with transaction.atomic():
        connection.status, connection.status_reason = ConnectionStatus.NOT_CONNECTED, ""
        connection.access_token = connection.refresh_token = ""
        connection.access_token_expires_at = connection.refresh_token_expires_at = None
        connection.realm_id = ""
        connection.save()
        if revoke_problem:
            write_log(
                connection=connection,
                direction=SyncDirection.CONNECTION,
                action=SyncAction.ERROR,
                message=f"QuickBooks did not confirm the revoke ({revoke_problem}); the tokens were forgotten anyway.",
                object_type="Connection",
                object_ref=realm,
            )
        message = f"Disconnected from QuickBooks company “{name}” (realm {realm}) by {user.username}."
        write_log(
            connection=connection,
            direction=SyncDirection.CONNECTION,
            action=SyncAction.DISCONNECTED,
            message=message,
            object_type="Connection",
            object_ref=realm,
        )
    if revoke_problem:
        message += " QuickBooks did not confirm the revoke; the authorization was forgotten here anyway."
    return message


def _revoke_quietly(connection: QuickBooksConnection) -> str:
    """Revoke the refresh token at Intuit; '' when done, else what went wrong (never raises)."""
    token = connection.refresh_token or connection.access_token
    if not token:
        return ""
    try:
        client = auth_client(connection.company.quickbooks_settings, connection.environment)
        oauth.revoke(client, token=token)
    except (QuickBooksError, QuickBooksSettings.DoesNotExist) as error:
        return getattr(error, "message", "") or type(error).__name__
    return ""
