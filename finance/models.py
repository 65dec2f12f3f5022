"""Monthly figures of each entity."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Entity

ZERO = Decimal("0.00")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


class MonthlySnapshot(models.Model):
    """One entity's month. The four QuickBooks figures are overwritten by a sync for months in
    its window; the other fields only people edit."""

    QUICKBOOKS_FIGURES = ("ar_balance", "revenue", "ap_balance", "expenses")

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="snapshots")
    month = models.DateField(help_text="The first day of the month.")
    ar_balance = models.DecimalField("open AR", max_digits=16, decimal_places=2, default=ZERO)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    ap_balance = models.DecimalField("open AP", max_digits=16, decimal_places=2, default=ZERO)
    expenses = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    cash = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["entity", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "month"], name="snapshot_one_per_entity_month")
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.month:%Y-%m}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "A snapshot month is stored as its first day."})
