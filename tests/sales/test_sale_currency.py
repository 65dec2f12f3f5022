"""A sale records its contract's currency and amount; amount_usd stays the USD figure of sales
reporting (for a USD sale, the amount itself)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sales.models import Sale
from tests.builders import make_client, make_entity

pytestmark = pytest.mark.django_db


def post_sale(client, entity, user, **fields):
    data = {
        "name": "Rotor audit",
        "entity": entity.pk,
        "client": make_client(entity.company).pk,
        "salesperson": user.pk,
        "signed_date": "2026-11-02",
        "status": "open",
        **fields,
    }
    client.force_login(user)
    return client.post(reverse("sales:create"), data)


def test_a_chf_sale_keeps_its_chf_amount_and_its_usd_figure(client, company, finance_user):
    swiss = make_entity(company, "SoftInWay Switzerland", "CHF")
    response = post_sale(client, swiss, finance_user, currency="CHF", amount="1234.50", amount_usd="1390.00")
    assert response.status_code == 302
    sale = Sale.objects.get(name="Rotor audit")
    assert (sale.currency, sale.amount, sale.amount_usd) == ("CHF", Decimal("1234.50"), Decimal("1390.00"))
    page = client.get(reverse("sales:detail", args=[sale.pk])).content.decode()
    assert "CHF 1,234.50" in page and "USD 1,390.00 for sales reporting" in page


def test_a_usd_sale_needs_one_amount_and_the_form_says_the_two_are_equal(client, entity, finance_user):
    client.force_login(finance_user)
    form_page = client.get(reverse("sales:create")).content.decode()
    assert "For a USD sale it is the contract amount" in form_page
    assert post_sale(client, entity, finance_user, currency="USD", amount="500.00").status_code == 302
    sale = Sale.objects.get()
    assert (sale.amount, sale.amount_usd) == (Decimal("500.00"), Decimal("500.00"))


def test_a_usd_sale_with_two_different_amounts_is_refused(client, entity, finance_user):
    response = post_sale(client, entity, finance_user, currency="USD", amount="500.00", amount_usd="510.00")
    assert response.status_code == 200
    assert "For a USD sale the amount in USD is the contract amount." in response.content.decode()
    assert not Sale.objects.exists()


def test_a_sale_in_another_currency_needs_both_amounts(client, entity, finance_user):
    response = post_sale(client, entity, finance_user, currency="EUR", amount="500.00")
    assert response.status_code == 200
    assert "Give the USD figure for sales reporting." in response.content.decode()
    assert not Sale.objects.exists()
