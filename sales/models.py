"""Clients of a company and the sales made to them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from accounts.models import Company, Entity


class Client(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="client_name_unique_per_company")
        ]

    def __str__(self) -> str:
        return self.name


class SaleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    LOST = "lost", "Lost"


class InvoiceGone(models.TextChoices):
    DELETED = "deleted", "Deleted in QuickBooks"
    VOIDED = "voided", "Voided in QuickBooks"


class Sale(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sales")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="sales")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sales")
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales")
    name = models.CharField(max_length=200)
    # The contract's currency and amount; amount_usd is the USD figure of sales reporting (equal to
    # the amount for a USD sale). The invoice is pushed in the contract's currency.
    currency = models.CharField(max_length=3, default="USD")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    amount_usd = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    signed_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=SaleStatus.choices, default=SaleStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once the sale is pushed to QuickBooks as an invoice (the first place a re-push looks).
    qb_realm_id = models.CharField(max_length=40, blank=True)
    qb_invoice_id = models.CharField(max_length=40, blank=True)
    qb_invoice_number = models.CharField(max_length=40, blank=True)
    qb_pushed_at = models.DateTimeField(null=True, blank=True)
    qb_pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The pushed invoice as the last pull sync saw it in QuickBooks (docs/push.md, "Status").
    qb_currency = models.CharField(max_length=3, blank=True)
    qb_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    qb_balance = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    qb_last_paid_on = models.DateField(null=True, blank=True)
    qb_invoice_gone = models.CharField(max_length=8, choices=InvoiceGone.choices, blank=True)
    qb_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_date", "-id"]
        indexes = [
            models.Index(fields=["company", "status"]),
            models.Index(fields=["company", "salesperson"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.amount is None and self.currency == "USD":
            self.amount = self.amount_usd  # a USD sale's amount is its USD figure
        super().save(*args, **kwargs)

    @property
    def qb_state(self) -> str:
        """open, partly_paid, paid, voided, deleted, or "" before a sync has looked at the invoice."""
        if self.qb_invoice_gone:
            return self.qb_invoice_gone
        if not self.qb_invoice_id or self.qb_balance is None or self.qb_total is None:
            return ""
        if self.qb_balance <= 0:
            return "paid"
        return "partly_paid" if self.qb_balance < self.qb_total else "open"

    def clean(self) -> None:
        errors = {}
        if self.currency == "USD" and self.amount is not None and self.amount_usd is not None:
            if self.amount != self.amount_usd:
                errors["amount_usd"] = "For a USD sale the amount in USD is the contract amount."
        if self.entity_id and self.entity.company_id != self.company_id:
            errors["entity"] = "This entity belongs to another company."
        if self.client_id and self.client.company_id != self.company_id:
            errors["client"] = "This client belongs to another company."
        if self.status == SaleStatus.CLOSED and not self.signed_date:
            errors["signed_date"] = "A closed sale needs the date it was signed."
        if errors:
            raise ValidationError(errors)
