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


class Sale(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sales")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="sales")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sales")
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales")
    name = models.CharField(max_length=200)
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

    class Meta:
        ordering = ["-signed_date", "-id"]
        indexes = [
            models.Index(fields=["company", "status"]),
            models.Index(fields=["company", "salesperson"]),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.entity_id and self.entity.company_id != self.company_id:
            errors["entity"] = "This entity belongs to another company."
        if self.client_id and self.client.company_id != self.company_id:
            errors["client"] = "This client belongs to another company."
        if self.status == SaleStatus.CLOSED and not self.signed_date:
            errors["signed_date"] = "A closed sale needs the date it was signed."
        if errors:
            raise ValidationError(errors)
