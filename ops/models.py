"""What operations keep: the scheduler's heartbeats, alert incidents and each admin's alert choice."""

from django.conf import settings
from django.db import models

from accounts.models import Company
from finance.models import QuickBooksConnection


class Heartbeat(models.Model):
    """The last time a scheduled piece of work checked in (``beat``: the beat tick; ``fan-out``: the
    hourly sync of every connection)."""

    name = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S %Z}"


class AlertKind(models.TextChoices):
    NEEDS_RECONNECT = "needs_reconnect", "needs reconnecting"
    SYNC_FAILING = "sync_failing", "syncs failing"
    TOKEN_EXPIRING = "token_expiring", "authorization expiring"


class AlertIncident(models.Model):
    """One thing wrong with one connection, from when it was seen until it is resolved. It is
    emailed once (at once, or in the daily digest); at most one is open per connection and kind."""

    connection = models.ForeignKey(QuickBooksConnection, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    started_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # Not emailed on its own (the company had its share of emails that day, or sending failed): the
    # next daily digest tells it.
    held_for_digest = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "started_at"], name="alert_once_per_incident"),
            models.UniqueConstraint(
                fields=["connection", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="alert_one_open_per_connection_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of connection {self.connection_id} since {self.started_at:%Y-%m-%d %H:%M %Z}"


class AlertPreference(models.Model):
    """An admin's choice about alert emails; without a row, alerts are on."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference")
    email_alerts = models.BooleanField("Email me when a QuickBooks connection needs attention", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"alerts {'on' if self.email_alerts else 'off'} for {self.user}"
