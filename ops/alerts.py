"""Email alerts to a company's admins when a QuickBooks connection needs attention.

Three kinds of incident, each opened once and resolved when the cause goes away:
- ``needs_reconnect``: QuickBooks stopped accepting the connection (resolved by reconnecting or
  disconnecting);
- ``sync_failing``: the connection's last three finished syncs all failed (resolved by a success);
- ``token_expiring``: its authorization (refresh token) expires within TOKEN_WARNING (resolved when
  a later authorization lasts longer, or by reconnecting).

No storm: an incident is emailed once. The first IMMEDIATE_PER_DAY incidents a company opens within
24 hours are emailed at once, one email each; later ones are held, and the daily digest
(``send_digests``, on beat every morning) sends each company with held incidents one email listing
every connection that still needs attention. An incident whose email could not be sent (mail server
down) waits for that digest too. Emails go after the incident is committed, to the company's admins
who have an address and have not turned alerts off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company, Role
from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, SyncDirection, SyncRun
from ops import events
from ops.models import AlertIncident, AlertKind, AlertPreference

logger = logging.getLogger(__name__)
FAILURES_IN_A_ROW = 3
TOKEN_WARNING = timedelta(days=14)
IMMEDIATE_PER_DAY = 2


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- opening and resolving incidents ---------------------------------------------------------------


def open_incident(
    *, connection: QuickBooksConnection, kind: str, reason: str, started_at: datetime | None = None
) -> AlertIncident | None:
    """Open an incident unless one of this kind is already open for the connection; then email it
    once committed (at once, or held for the digest). Returns the new incident, or None."""
    if AlertIncident.objects.filter(connection=connection, kind=kind, resolved_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            incident = AlertIncident.objects.create(
                connection=connection,
                company_id=connection.company_id,
                kind=kind,
                started_at=started_at or timezone.now(),
                reason=reason[:500],
            )
    except IntegrityError:
        return None  # another process opened it meanwhile
    transaction.on_commit(lambda: notify(incident.pk))
    return incident


def resolve(connection: QuickBooksConnection, *kinds: str) -> int:
    """Close the connection's open incidents of ``kinds`` (all kinds when none given)."""
    open_ones = AlertIncident.objects.filter(connection=connection, resolved_at__isnull=True)
    if kinds:
        open_ones = open_ones.filter(kind__in=kinds)
    return open_ones.update(resolved_at=timezone.now())


def connection_needs_reconnect(connection: QuickBooksConnection, *, since: datetime) -> None:
    reason = connection.status_reason or "QuickBooks no longer accepts its authorization."
    open_incident(connection=connection, kind=AlertKind.NEEDS_RECONNECT, reason=reason, started_at=since)


def connection_restored(connection: QuickBooksConnection) -> None:
    """Connected again, or disconnected on purpose: nothing left to warn about."""
    resolve(connection)
    if connection.status == ConnectionStatus.CONNECTED:
        check_token_expiry(connection)


def pull_finished(run: SyncRun) -> None:
    if run.status == RunStatus.SUCCESS:
        resolve(run.connection, AlertKind.SYNC_FAILING)
        return
    if run.status != RunStatus.ERROR:
        return  # a skipped sync tried nothing: it neither fails nor clears a streak
    last = list(
        SyncRun.objects.filter(
            connection_id=run.connection_id,
            direction=SyncDirection.PULL,
            status__in=[RunStatus.SUCCESS, RunStatus.ERROR],
            finished_at__isnull=False,
        ).order_by("-finished_at", "-id")[:FAILURES_IN_A_ROW]
    )
    if len(last) < FAILURES_IN_A_ROW or any(r.status != RunStatus.ERROR for r in last):
        return
    first = last[-1]
    reason = f"The last {FAILURES_IN_A_ROW} syncs failed, the first at {when(first.finished_at)}; the last said: "
    reason += last[0].error_message or "no reason recorded."
    open_incident(connection=run.connection, kind=AlertKind.SYNC_FAILING, reason=reason, started_at=first.finished_at)


def check_token_expiry(connection: QuickBooksConnection, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    expires = connection.refresh_token_expires_at
    if connection.status != ConnectionStatus.CONNECTED or not expires or expires - now > TOKEN_WARNING:
        resolve(connection, AlertKind.TOKEN_EXPIRING)
        return
    reason = (
        f"Its QuickBooks authorization expires on {when(expires)}; "
        "reconnect it before then or its syncs will stop."
    )
    open_incident(connection=connection, kind=AlertKind.TOKEN_EXPIRING, reason=reason)


def check_all_token_expiries() -> None:
    for connection in QuickBooksConnection.objects.filter(status=ConnectionStatus.CONNECTED).select_related("entity"):
        check_token_expiry(connection)


# --- emails -----------------------------------------------------------------------------------------


def recipients(company: Company) -> list[str]:
    admins = get_user_model().objects.filter(
        membership__company=company, membership__role=Role.ADMIN, is_active=True
    ).exclude(email="")
    opted_out = AlertPreference.objects.filter(email_alerts=False).values("user_id")
    return sorted({user.email for user in admins.exclude(pk__in=opted_out)})


def page_link(connection: QuickBooksConnection | None = None) -> str:
    anchor = f"#entity-{connection.entity_id}" if connection else ""
    return f"{settings.SITE_URL}{reverse('finance:qb')}{anchor}"


def footer(company: Company) -> str:
    return (
        f"\n\nYou get this email as an admin of {company.name} in OtiumWork. "
        f"Turn these alerts off: {settings.SITE_URL}{reverse('alert_settings')}\n"
    )


def sentence(incident: AlertIncident) -> str:
    entity = incident.connection.entity.name
    if incident.kind == AlertKind.NEEDS_RECONNECT:
        return f"{entity} needs reconnecting to QuickBooks since {when(incident.started_at)}: {incident.reason}"
    if incident.kind == AlertKind.SYNC_FAILING:
        return f"{entity}'s QuickBooks syncs keep failing. {incident.reason}"
    return f"{entity}: {incident.reason}"


def subject(incident: AlertIncident) -> str:
    return f"QuickBooks: {incident.connection.entity.name} {incident.get_kind_display()}"


@dataclass
class Email:
    subject: str
    body: str


def incident_email(incident: AlertIncident) -> Email:
    action = "See its sync log" if incident.kind == AlertKind.SYNC_FAILING else "Reconnect it"
    body = f"{sentence(incident)}\n\n{action}: {page_link(incident.connection)}" + footer(incident.company)
    return Email(subject(incident), body)


def digest_email(company: Company, incidents: list[AlertIncident]) -> Email:
    count = len({incident.connection_id for incident in incidents})
    affected = f"{count} QuickBooks connections of {company.name} need" if count > 1 else (
        f"1 QuickBooks connection of {company.name} needs"
    )
    lines = "\n".join(f"- {sentence(incident)}" for incident in incidents)
    body = f"{affected} attention:\n\n{lines}\n\nReconnect or see the sync log: {page_link()}" + footer(company)
    return Email(f"{affected} attention", body)


def send(email: Email, to: list[str]) -> bool:
    """One message per admin (addresses are not shared). False when sending failed."""
    messages = [EmailMessage(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [address]) for address in to]
    try:
        get_connection().send_messages(messages)
    except Exception:  # noqa: BLE001 - a mail server down must not fail a sync; the digest tries again
        logger.exception("Alert email could not be sent")
        return False
    return True


def held(incident: AlertIncident) -> bool:
    """Whether the company already had its IMMEDIATE_PER_DAY incidents in the 24 hours before this one."""
    earlier = AlertIncident.objects.filter(
        company_id=incident.company_id, created_at__gte=incident.created_at - timedelta(hours=24), pk__lt=incident.pk
    )
    return earlier.count() >= IMMEDIATE_PER_DAY


def notify(incident_id: int) -> None:
    """Email one new incident once, unless it is resolved already or held for the digest."""
    incident = (
        AlertIncident.objects.select_related("connection__entity", "company")
        .filter(pk=incident_id, notified_at__isnull=True, resolved_at__isnull=True)
        .first()
    )
    if incident is None:
        return
    to = recipients(incident.company)
    if held(incident) or (to and not send(incident_email(incident), to)):
        AlertIncident.objects.filter(pk=incident.pk).update(held_for_digest=True)
        return
    claimed = AlertIncident.objects.filter(pk=incident.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    if claimed:
        events.emit("alert.sent", company=incident.company_id, entity=incident.connection.entity_id,
                    kind=incident.kind, incident=incident.pk, recipients=len(to))  # fmt: skip


def send_digests() -> int:
    """The daily digest: for each company with held incidents, one email listing every open one.
    Returns how many companies got one."""
    sent = 0
    companies = AlertIncident.objects.filter(
        held_for_digest=True, notified_at__isnull=True, resolved_at__isnull=True
    ).values("company_id")
    for company in Company.objects.filter(pk__in=companies):
        incidents = list(
            AlertIncident.objects.filter(company=company, resolved_at__isnull=True)
            .select_related("connection__entity", "company")
            .order_by("connection__entity__name", "kind")
        )
        to = recipients(company)
        if to and not send(digest_email(company, incidents), to):
            continue
        AlertIncident.objects.filter(pk__in=[i.pk for i in incidents], notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        events.emit("alert.digest", company=company.pk, incidents=len(incidents), recipients=len(to))
        sent += 1
    return sent
