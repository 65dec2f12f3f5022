"""The demo command builds a usable company and can run again without duplicating anything."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Company, Entity, Membership
from finance.models import MonthlySnapshot, QuickBooksSettings
from sales.models import Sale

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_softinway_and_prints_the_logins(client):
    printed = seed()
    company = Company.objects.get(name="SoftInWay")
    assert sorted(Entity.objects.filter(company=company).values_list("home_currency", flat=True)) == [
        "CHF",
        "INR",
        "USD",
    ]
    assert set(Membership.objects.filter(company=company).values_list("role", flat=True)) == {
        "admin",
        "finance",
        "sales",
    }
    assert set(Sale.objects.filter(company=company).values_list("status", flat=True)) == {
        "draft",
        "open",
        "closed",
        "lost",
    }
    assert MonthlySnapshot.objects.filter(entity__company=company).count() == 36
    assert QuickBooksSettings.objects.get(company=company).environment == "local"
    assert "admin    / demo-admin-pass" in printed
    assert client.login(username="sales1", password="demo-sales1-pass")


def test_seed_demo_twice_changes_nothing():
    seed()
    counts = (Sale.objects.count(), MonthlySnapshot.objects.count(), Membership.objects.count())
    seed()
    assert (Sale.objects.count(), MonthlySnapshot.objects.count(), Membership.objects.count()) == counts


def test_demo_sales_are_agreed_in_their_entitys_currency():
    seed()
    for sale in Sale.objects.select_related("entity"):
        assert sale.currency == sale.entity.home_currency
        assert (sale.amount == sale.amount_usd) == (sale.currency == "USD")
