"""Create the demo company: SoftInWay with three entities, its people, clients, sales and a year of
snapshots. Running it again changes nothing that already exists (it fills in what is missing)."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Company, Entity, Membership, Role
from finance.models import MonthlySnapshot, QuickBooksSettings
from finance.webhooks.models import VerifierToken
from sales.models import Client, Sale, SaleStatus

ENTITIES = (
    ("SoftInWay India", "INR", "Asia/Kolkata"),
    ("SoftInWay Switzerland", "CHF", "Europe/Zurich"),
    ("SoftInWay USA", "USD", "America/New_York"),
)
DEMO_WEBHOOK_TOKEN = "otiumwork-demo-webhook-verifier"  # noqa: S105 - the local sandbox's, as the Makefile passes it
PEOPLE = (
    ("admin", "Alice", "Admin", Role.ADMIN, "demo-admin-pass"),
    ("finance", "Farid", "Finance", Role.FINANCE, "demo-finance-pass"),
    ("sales1", "Sara", "Sales", Role.SALES, "demo-sales1-pass"),
    ("sales2", "Sam", "Seller", Role.SALES, "demo-sales2-pass"),
)
CLIENTS = (
    "Acme Turbines",
    "O'Brien & Sons",
    "Zürich Präzision AG",
    "Tata Power Turbines",
    'The "Quoted" Company',
    "Nordic Blades Oy",
)
SALE_NAMES = (
    "Turbine design study",
    "AxSTREAM licence",
    "Rotor dynamics audit",
    "Training week",
    "Support renewal",
)
# Demo figures per entity: a rough monthly scale in its own currency.
SCALE = {"INR": 4_000_000, "CHF": 60_000, "USD": 90_000}
# The app registered in the local QuickBooks sandbox (`python -m qbsandbox seed`): demo only.
SANDBOX_APP = {"client_id": "otiumwork-demo-client", "client_secret": "otiumwork-demo-secret"}


def month_starts(today: date, count: int) -> list[date]:
    months, cursor = [], today.replace(day=1)
    for _ in range(count):
        months.append(cursor)
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return months


# Demo contract amounts per US dollar, by entity currency (round figures, not market rates).
DEMO_PER_USD = {"USD": Decimal(1), "INR": Decimal(83), "CHF": Decimal("0.90")}

class Command(BaseCommand):
    help = "Create the SoftInWay demo company, its users (passwords printed), clients, sales and snapshots."

    @transaction.atomic
    def handle(self, *args, **options):
        rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
        company, _ = Company.objects.get_or_create(name="SoftInWay")
        entities = [
            Entity.objects.get_or_create(company=company, name=name, defaults={"home_currency": cur, "time_zone": tz})[
                0
            ]
            for name, cur, tz in ENTITIES
        ]
        users = {username: self.person(company, *rest, username=username) for username, *rest in PEOPLE}
        clients = [Client.objects.get_or_create(company=company, name=name)[0] for name in CLIENTS]
        if not Sale.objects.filter(company=company).exists():
            self.sales(company, entities, clients, [users["sales1"], users["sales2"]], rng)
        today = timezone.localdate()
        for entity in entities:
            self.snapshots(entity, today, rng)
        if (
            "local" in settings.QBO_ENVIRONMENTS_OFFERED
            and not QuickBooksSettings.objects.filter(company=company).exists()
        ):
            QuickBooksSettings.objects.create(company=company, environment="local", **SANDBOX_APP)
            # The local sandbox signs its webhook notifications with this (`make demo` seeds it so).
            VerifierToken.objects.update_or_create(company=company, defaults={"token": DEMO_WEBHOOK_TOKEN})
            self.stdout.write("QuickBooks: the local sandbox app and its webhook token are in Settings → QuickBooks.")
        self.stdout.write(self.style.SUCCESS("Demo company SoftInWay is ready. Log in with:"))
        for username, _, _, role, password in PEOPLE:
            self.stdout.write(f"  {username:<8} / {password:<18} ({role})")

    def person(self, company, first, last, role, password, *, username):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(password)
            user.save()
        Membership.objects.get_or_create(user=user, defaults={"company": company, "role": role})
        return user

    def sales(self, company, entities, clients, salespeople, rng):
        today = timezone.localdate()
        statuses = [SaleStatus.CLOSED] * 6 + [SaleStatus.OPEN] * 3 + [SaleStatus.DRAFT] * 2 + [SaleStatus.LOST] * 2
        for index, status in enumerate(statuses):
            signed = today - timedelta(days=rng.randint(3, 150)) if status != SaleStatus.DRAFT else None
            entity = entities[index % len(entities)]
            amount_usd = Decimal(rng.randint(1_500, 95_000)) + Decimal(rng.randint(0, 99)) / 100
            # Each entity's contracts are agreed in its own currency (pushed to QuickBooks in it).
            per_usd = DEMO_PER_USD.get(entity.home_currency, Decimal(1))
            Sale.objects.create(
                company=company,
                entity=entity,
                client=clients[index % len(clients)],
                salesperson=salespeople[index % len(salespeople)],
                name=f"{SALE_NAMES[index % len(SALE_NAMES)]} #{index + 1}",
                currency=entity.home_currency,
                amount=(amount_usd * per_usd).quantize(Decimal("0.01")),
                amount_usd=amount_usd,
                signed_date=signed,
                status=status,
            )

    def snapshots(self, entity, today, rng):
        scale = SCALE.get(entity.home_currency, 50_000)

        def amount(factor: float) -> Decimal:
            return Decimal(round(scale * factor * rng.uniform(0.7, 1.3), 2)).quantize(Decimal("0.01"))

        for offset, month in enumerate(month_starts(today, 12)):
            MonthlySnapshot.objects.get_or_create(
                entity=entity,
                month=month,
                defaults={
                    "revenue": amount(1.0),
                    "expenses": amount(0.8),
                    "ar_balance": amount(1.5),
                    "ap_balance": amount(0.6),
                    "cash": amount(3.0),
                    "headcount": 10 + offset % 4,
                    "notes": "Board pack sent" if offset % 4 == 0 else "",
                },
            )
        # Earlier demos wrote "Entered by hand" as a note, which went stale once a sync owned the
        # month; the snapshot table's "Figures from" column now says where figures come from.
        MonthlySnapshot.objects.filter(entity=entity, notes="Entered by hand").update(notes="")
