"""What webhook deliveries need kept: each company's verifier token (encrypted, like the client
secret) and the events already seen, so a replayed delivery changes nothing."""

from django.db import models

from accounts.models import Company
from finance.encryption import EncryptedTextField


class VerifierToken(models.Model):
    """The verifier token of the company's Intuit app (its Webhooks page): the key of `intuit-signature`."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="quickbooks_webhook_verifier")
    token = EncryptedTextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Webhook verifier token of {self.company}"


class SeenEvent(models.Model):
    """One event of a verified delivery. A second delivery of the same event (same key) is ignored;
    rows older than WEBHOOK_SEEN_DAYS are deleted."""

    key = models.CharField(max_length=64, unique=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    realm_id = models.CharField(max_length=40)
    entity = models.CharField(max_length=40)
    entity_id = models.CharField(max_length=100)
    operation = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["company", "realm_id", "-received_at"], name="webhook_seen_realm_recent")]

    def __str__(self) -> str:
        return f"{self.realm_id} {self.entity} {self.entity_id} {self.operation} at {self.occurred_at:%Y-%m-%d %H:%M}"
