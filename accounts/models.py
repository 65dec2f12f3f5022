"""Tenants and people: companies, their legal entities, and each user's role in a company."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Zurich).")


def validate_currency(value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError("Use a three-letter ISO currency code, e.g. USD.")


class Company(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Entity(models.Model):
    """A legal entity of a company, with the currency and time zone its books are kept in."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="entities")
    name = models.CharField(max_length=200)
    home_currency = models.CharField(max_length=3, validators=[validate_currency])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="entity_name_unique_per_company")]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    FINANCE = "finance", "Finance"
    SALES = "sales", "Sales"


class Membership(models.Model):
    """The one company a user works in, and the role that decides what they may do there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["company", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.company})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_finance(self) -> bool:
        """Finance work is open to finance users and admins."""
        return self.role in (Role.ADMIN, Role.FINANCE)
