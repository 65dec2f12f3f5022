"""One webhook delivery from Intuit: verified, recorded once, and turned into queued syncs.

Order (docs/webhooks.md):
1. the `intuit-signature` header is checked against the raw body before the body is parsed, in
   constant time, with the verifier token of the company owning the realms the body names (found
   by pattern, not by parsing); a body naming no connected realm is checked against every
   company's token, so a wrong signature answers 401 whether or not the realm exists here;
2. only then is the body parsed; a malformed body, an unknown realm, an event older than 24 hours
   or one already seen is logged and acknowledged, and changes nothing;
3. each new event is recorded (its key is unique: a replay is ignored), and each connection named
   gets one coalesced sync queued. Nothing else happens in the request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Company
from finance.models import ConnectionStatus, QuickBooksConnection
from finance.quickbooks.jobs import queue_webhook_sync
from finance.webhooks.models import SeenEvent, VerifierToken
from finance.webhooks.notifications import Event, Malformed, events_in, realms_named

MAX_BODY = 1_000_000  # bytes; Intuit's notifications are a few hundred
STALE_AFTER = timedelta(hours=24)
logger = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What became of one delivery: the HTTP status to answer and counts for the log."""

    status: int
    reason: str
    company: Company | None = None
    new: int = 0
    replayed: int = 0
    stale: int = 0
    unknown_realms: set[str] = field(default_factory=set)
    queued: int = 0

    def log_line(self) -> str:
        who = f"company {self.company.pk}" if self.company else "no company"
        return (
            f"QuickBooks webhook delivery answered {self.status} ({self.reason}; {who}; new {self.new}, "
            f"replayed {self.replayed}, stale {self.stale}, unknown realms {len(self.unknown_realms)}, "
            f"syncs queued {self.queued})"
        )


def signature_of(raw: bytes, token: str) -> str:
    return base64.b64encode(hmac.new(token.encode("utf-8"), raw, hashlib.sha256).digest()).decode("ascii")


def signing_company(raw: bytes, signature: str) -> Company | None:
    """The company whose verifier token signed ``raw``, if any (every comparison in constant time)."""
    owners = QuickBooksConnection.objects.filter(realm_id__in=realms_named(raw)).values("company_id")
    tokens = VerifierToken.objects.exclude(token="").filter(company_id__in=owners).select_related("company")
    candidates = list(tokens) or list(VerifierToken.objects.exclude(token="").select_related("company"))
    match = None
    for candidate in candidates:  # every candidate is compared, a match or not: no early answer
        if hmac.compare_digest(signature_of(raw, candidate.token).encode(), signature.encode()) and match is None:
            match = candidate.company
    return match


def receive_delivery(*, raw: bytes, signature: str | None) -> Delivery:
    """Verify, record and queue one delivery; never raises for what a sender put in the body."""
    if not signature:
        return _logged(Delivery(401, "no intuit-signature header"))
    company = signing_company(raw, signature.strip())
    if company is None:
        return _logged(Delivery(401, "the signature does not match"))
    try:
        events = events_in(raw)
    except Malformed as error:
        return _logged(Delivery(200, f"malformed body: {error}", company))
    return _logged(_record(company, events))


def _record(company: Company, events: list[Event]) -> Delivery:
    now = timezone.now()
    delivery = Delivery(200, "verified", company)
    connections = {
        c.realm_id: c
        for c in QuickBooksConnection.objects.filter(
            company=company, status=ConnectionStatus.CONNECTED, realm_id__in={e.realm_id for e in events}
        ).select_related("entity")
    }
    fresh = []
    for event in events:
        if event.realm_id not in connections:
            delivery.unknown_realms.add(event.realm_id)
        elif now - event.occurred_at > STALE_AFTER:
            delivery.stale += 1
        else:
            fresh.append(event)
    unique = list({event.key: event for event in fresh}.values())
    with transaction.atomic():
        SeenEvent.objects.filter(received_at__lt=now - timedelta(days=settings.QBO_WEBHOOK_SEEN_DAYS)).delete()
        seen = set(SeenEvent.objects.filter(key__in=[e.key for e in unique]).values_list("key", flat=True))
        new = [event for event in unique if event.key not in seen]
        delivery.new, delivery.replayed = len(new), len(fresh) - len(new)
        SeenEvent.objects.bulk_create(
            [
                SeenEvent(key=e.key, company=company, realm_id=e.realm_id, entity=e.entity, entity_id=e.entity_id,
                          operation=e.operation, occurred_at=e.occurred_at)
                for e in new
            ],
            ignore_conflicts=True,  # the same event in a delivery arriving at the same moment
        )  # fmt: skip
        for realm_id in sorted({event.realm_id for event in new}):
            queue_webhook_sync(connection=connections[realm_id])
            delivery.queued += 1
    return delivery


def _logged(delivery: Delivery) -> Delivery:
    # Never the body, nor the signature: only what happened, also as fields (one JSON line in production).
    fields = {
        "event": "quickbooks.webhook",
        "company": delivery.company.pk if delivery.company else None,
        "status": delivery.status,
        "outcome": delivery.reason,
        "new": delivery.new,
        "replayed": delivery.replayed,
        "stale": delivery.stale,
        "unknown_realms": len(delivery.unknown_realms),
        "queued": delivery.queued,
    }
    (logger.warning if delivery.status >= 400 else logger.info)(delivery.log_line(), extra={"fields": fields})
    return delivery
