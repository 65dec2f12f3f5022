"""Monthly snapshots: the table, the chart and editing a month."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import MonthlySnapshot
from tests.builders import make_snapshot

pytestmark = pytest.mark.django_db


def test_finance_user_edits_a_month(client, entity, finance_user):
    make_snapshot(entity, date(2026, 8, 1), revenue=Decimal("100.00"))
    client.force_login(finance_user)
    response = client.post(
        reverse("finance:snapshot_edit", args=[entity.pk, "2026-08"]),
        {
            "ar_balance": "1500.25",
            "revenue": "2000.10",
            "ap_balance": "300",
            "expenses": "1200.00",
            "cash": "9000",
            "headcount": "12",
            "notes": "Bonus month",
        },
    )
    assert response.status_code == 302
    snapshot = MonthlySnapshot.objects.get(entity=entity, month=date(2026, 8, 1))
    assert snapshot.revenue == Decimal("2000.10")
    assert snapshot.ar_balance == Decimal("1500.25")
    assert snapshot.headcount == 12 and snapshot.notes == "Bonus month"
    assert snapshot.updated_by == finance_user


def test_editing_a_missing_month_creates_it_on_save(client, entity, finance_user):
    client.force_login(finance_user)
    page = client.get(reverse("finance:snapshot_edit", args=[entity.pk, "2025-12"]))
    assert page.status_code == 200 and "December 2025" in page.content.decode()
    assert not MonthlySnapshot.objects.filter(entity=entity).exists()
    client.post(
        reverse("finance:snapshot_edit", args=[entity.pk, "2025-12"]),
        {"ar_balance": "0", "revenue": "5", "ap_balance": "0", "expenses": "0"},
    )
    assert MonthlySnapshot.objects.get(entity=entity).month == date(2025, 12, 1)


def test_bad_figures_are_refused_and_nothing_changes(client, entity, finance_user):
    make_snapshot(entity, date(2026, 8, 1), revenue=Decimal("100.00"))
    client.force_login(finance_user)
    response = client.post(
        reverse("finance:snapshot_edit", args=[entity.pk, "2026-08"]),
        {"ar_balance": "lots", "revenue": "1.005", "ap_balance": "0", "expenses": "0"},
    )
    assert response.status_code == 200
    assert MonthlySnapshot.objects.get(entity=entity).revenue == Decimal("100.00")


@pytest.mark.parametrize("month", ["2026-13", "26-01", "latest"])
def test_impossible_months_answer_404(client, entity, finance_user, month):
    client.force_login(finance_user)
    assert client.get(reverse("finance:snapshot_edit", args=[entity.pk, month])).status_code == 404


def test_table_lists_months_newest_first_with_a_chart(client, entity, finance_user):
    for month in (1, 2, 3):
        make_snapshot(entity, date(2026, month, 1), revenue=Decimal(month * 1000), expenses=Decimal("500"))
    client.force_login(finance_user)
    page = client.get(reverse("finance:snapshots", args=[entity.pk])).content.decode()
    assert page.index("Mar 2026") < page.index("Feb 2026") < page.index("Jan 2026")
    assert "<svg" in page and "polyline" in page and "3,000.00" in page


def test_month_picker_opens_the_month(client, entity, finance_user):
    client.force_login(finance_user)
    response = client.get(reverse("finance:snapshots", args=[entity.pk]), {"month": "2026-04"})
    assert response["Location"] == reverse("finance:snapshot_edit", args=[entity.pk, "2026-04"])
