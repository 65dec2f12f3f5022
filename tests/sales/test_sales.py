"""Sales and clients as a salesperson and a finance user use them."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from sales.models import Client, Sale
from tests.builders import make_client, make_company, make_entity, make_sale, make_user

pytestmark = pytest.mark.django_db


def test_salesperson_creates_a_sale_for_themselves(client, entity, sales_user):
    buyer = make_client(entity.company, "O'Brien & Sons")
    other_seller = make_user(entity.company, Role.SALES)
    client.force_login(sales_user)
    response = client.post(
        reverse("sales:create"),
        {
            "name": "Rotor audit",
            "entity": entity.pk,
            "client": buyer.pk,
            "salesperson": other_seller.pk,  # ignored: the field is fixed to the salesperson
            "amount_usd": "12500.50",
            "signed_date": "2026-11-02",
            "status": "open",
        },
    )
    sale = Sale.objects.get(name="Rotor audit")
    assert response.status_code == 302 and response["Location"] == reverse("sales:detail", args=[sale.pk])
    assert sale.salesperson == sales_user
    assert sale.amount_usd == Decimal("12500.50")
    assert sale.company == entity.company


def test_sale_form_refuses_another_companys_entity_and_client(client, entity, finance_user):
    foreign = make_company("Globex")
    client.force_login(finance_user)
    response = client.post(
        reverse("sales:create"),
        {
            "name": "Sneaky",
            "entity": make_entity(foreign).pk,
            "client": make_client(foreign).pk,
            "salesperson": finance_user.pk,
            "amount_usd": "10",
            "status": "draft",
        },
    )
    assert response.status_code == 200
    assert not Sale.objects.filter(name="Sneaky").exists()
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("amount", ["-1", "abc", "1.234", "NaN", "Infinity", "1" + "0" * 13])
def test_bad_amounts_are_refused_with_a_message(client, entity, admin_user, amount):
    client.force_login(admin_user)
    response = client.post(
        reverse("sales:create"),
        {
            "name": "Odd",
            "entity": entity.pk,
            "client": make_client(entity.company).pk,
            "salesperson": admin_user.pk,
            "amount_usd": amount,
            "status": "draft",
        },
    )
    assert response.status_code == 200
    assert not Sale.objects.filter(name="Odd").exists()


def test_status_change_is_saved_and_announced(client, entity, sales_user):
    sale = make_sale(entity, sales_user, status="open")
    client.force_login(sales_user)
    response = client.post(reverse("sales:set_status", args=[sale.pk]), {"status": "closed"}, follow=True)
    sale.refresh_from_db()
    assert sale.status == "closed"
    assert "Status changed from Open to Closed." in response.content.decode()


def test_a_sale_cannot_close_without_a_signed_date(client, entity, sales_user):
    sale = make_sale(entity, sales_user, status="open", signed_date=None)
    client.force_login(sales_user)
    response = client.post(reverse("sales:set_status", args=[sale.pk]), {"status": "closed"}, follow=True)
    sale.refresh_from_db()
    assert sale.status == "open"
    assert "Set the signed date before closing the sale." in response.content.decode()


def test_unknown_status_is_refused(client, entity, sales_user):
    sale = make_sale(entity, sales_user, status="open")
    client.force_login(sales_user)
    client.post(reverse("sales:set_status", args=[sale.pk]), {"status": "won"})
    sale.refresh_from_db()
    assert sale.status == "open"


def test_sale_list_filters_by_status_and_entity(client, entity, finance_user, sales_user):
    other_entity = make_entity(entity.company, "SoftInWay India", "INR")
    make_sale(entity, sales_user, name="Closed USA", status="closed")
    make_sale(entity, sales_user, name="Open USA", status="open")
    make_sale(other_entity, sales_user, name="Closed India", status="closed")
    client.force_login(finance_user)
    page = client.get(reverse("sales:list"), {"status": "closed", "entity": entity.pk}).content.decode()
    assert "Closed USA" in page and "Open USA" not in page and "Closed India" not in page


def test_client_names_keep_apostrophes_and_unicode_but_not_outer_spaces(client, company, sales_user):
    client.force_login(sales_user)
    client.post(reverse("sales:client_create"), {"name": "  Zürich Präzision O'Neil AG  "})
    assert Client.objects.filter(company=company, name="Zürich Präzision O'Neil AG").exists()
    response = client.post(reverse("sales:client_create"), {"name": "Zürich Präzision O'Neil AG"})
    assert "A client with this name already exists." in response.content.decode()


def test_sale_detail_shows_the_facts(client, entity, sales_user):
    sale = make_sale(
        entity, sales_user, name="Blade study", amount_usd=Decimal("98765.40"), signed_date=date(2026, 9, 30)
    )
    client.force_login(sales_user)
    page = client.get(reverse("sales:detail", args=[sale.pk])).content.decode()
    assert "Blade study" in page and "98,765.40" in page and entity.name in page
