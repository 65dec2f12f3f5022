"""Small builder functions for test data: each makes one object with sensible defaults."""

import itertools
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model

from accounts.models import Company, Entity, Membership, Role
from finance.models import MonthlySnapshot
from sales.models import Client, Sale, SaleStatus

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_company(name: str | None = None) -> Company:
    return Company.objects.create(name=name or f"Company {next(_seq)}")


def make_entity(company: Company, name: str | None = None, currency: str = "USD", tz: str = "UTC") -> Entity:
    return Entity.objects.create(
        company=company, name=name or f"Entity {next(_seq)}", home_currency=currency, time_zone=tz
    )


def make_user(company: Company, role: str = Role.ADMIN, username: str | None = None):
    user = get_user_model().objects.create_user(username=username or f"user{next(_seq)}", password=PASSWORD)
    Membership.objects.create(user=user, company=company, role=role)
    return user


def make_client(company: Company, name: str | None = None) -> Client:
    return Client.objects.create(company=company, name=name or f"Client {next(_seq)}")


def make_sale(entity: Entity, salesperson, client: Client | None = None, **fields) -> Sale:
    defaults = {
        "name": f"Sale {next(_seq)}",
        "amount_usd": Decimal("1250.00"),
        "signed_date": date(2026, 10, 1),
        "status": SaleStatus.CLOSED,
    }
    defaults.update(fields)
    return Sale.objects.create(
        company=entity.company,
        entity=entity,
        client=client or make_client(entity.company),
        salesperson=salesperson,
        **defaults,
    )


def make_snapshot(entity: Entity, month: date, **figures) -> MonthlySnapshot:
    return MonthlySnapshot.objects.create(entity=entity, month=month, **figures)
