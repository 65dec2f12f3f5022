"""A pushed sale on the sales pages: the list's QuickBooks column links the invoice into QuickBooks, the
sale page links it too; changing what the invoice was made from (amount, client, entity, date, or
leaving closed) asks for confirmation first, says QuickBooks keeps the invoice, is logged, and the
sale then shows that it differs from the invoice. Names refuse control and text-direction characters."""

from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import QuickBooksConnection, SyncLogEntry
from sales.models import Client, Sale
from tests.builders import make_client, make_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(entity, sales_user):
    QuickBooksConnection.objects.create(
        entity=entity, company=entity.company, status="connected", realm_id="9130", environment="sandbox",
        qb_home_currency="USD",
    )  # fmt: skip
    return make_sale(
        entity, sales_user, client=make_client(entity.company, "Helix Pumps"), name="Turbine design study",
        amount=Decimal("100.00"), amount_usd=Decimal("100.00"), qb_realm_id="9130", qb_invoice_id="107",
        qb_invoice_number="1073",
    )  # fmt: skip


def form_of(sale: Sale, **changes) -> dict:
    data = {
        "name": sale.name, "entity": sale.entity_id, "client": sale.client_id, "salesperson": sale.salesperson_id,
        "currency": "USD", "amount": "100.00", "amount_usd": "100.00", "signed_date": sale.signed_date.isoformat(),
        "status": sale.status,
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_list_links_each_pushed_invoice_into_quickbooks(client, finance_user, pushed):
    client.force_login(finance_user)
    html = client.get(reverse("sales:list")).content.decode()
    assert "<th>QuickBooks</th>" in html
    assert 'class="qb-invoice-link"' in html and ">Invoice 1073</a>" in html
    assert "/app/invoice?txnId=107" in html  # the Id only inside the link
    detail = client.get(reverse("sales:detail", args=[pushed.pk])).content.decode()
    assert "/app/invoice?txnId=107" in detail and ">1073</a>" in detail


def test_changing_the_amount_of_a_pushed_sale_asks_first_then_shows_it_differs(client, sales_user, pushed):
    client.force_login(sales_user)
    url = reverse("sales:edit", args=[pushed.pk])
    page = client.post(url, form_of(pushed, amount="99999.00", amount_usd="99999.00"))
    html = page.content.decode()
    assert page.status_code == 200 and "already in QuickBooks as invoice 1073" in html
    assert "amount 100.00 → 99,999.00" in html and "QuickBooks keeps the invoice as it is" in html
    assert "Save anyway" in html
    pushed.refresh_from_db()
    assert pushed.amount == Decimal("100.00")  # nothing saved yet

    saved = client.post(url, {**form_of(pushed, amount="99999.00", amount_usd="99999.00"), "confirm_pushed": "1"})
    assert saved.status_code == 302
    pushed.refresh_from_db()
    assert pushed.amount == Decimal("99999.00")
    line = SyncLogEntry.objects.get(details__edited_after_push=True)
    assert "QuickBooks invoice 1073 keeps what was pushed" in line.message
    detail = client.get(reverse("sales:detail", args=[pushed.pk])).content.decode()
    assert "Differs from QuickBooks invoice 1073" in detail and "amount 100.00 → 99,999.00" in detail


def test_an_edit_that_leaves_the_invoice_as_it_was_asks_nothing(client, sales_user, pushed):
    client.force_login(sales_user)
    response = client.post(reverse("sales:edit", args=[pushed.pk]), form_of(pushed, name="Turbine study"))
    assert response.status_code == 302 and not SyncLogEntry.objects.exists()


def test_moving_a_pushed_sale_out_of_closed_asks_first(client, sales_user, pushed):
    client.force_login(sales_user)
    url = reverse("sales:set_status", args=[pushed.pk])
    page = client.post(url, {"status": "lost"})
    assert page.status_code == 200 and "status Closed → Lost" in page.content.decode()
    pushed.refresh_from_db()
    assert pushed.status == "closed"
    assert client.post(url, {"status": "lost", "confirm_pushed": "1"}).status_code == 302
    pushed.refresh_from_db()
    assert pushed.status == "lost"
    detail = client.get(reverse("sales:detail", args=[pushed.pk])).content.decode()
    assert "Differs from QuickBooks invoice 1073" in detail


@pytest.mark.parametrize(
    "name,error",
    [
        ("Helix\nPumps", "on one line"),
        ("Helix\tPumps", "on one line"),
        ("Helix \u202eFDP.exe", "text-direction"),
        ("\u2066Helix\u2069", "text-direction"),
    ],
)
def test_client_and_sale_names_refuse_control_and_direction_characters(client, entity, finance_user, name, error):
    client.force_login(finance_user)
    page = client.post(reverse("sales:client_create"), {"name": name})
    assert page.status_code == 200 and error in page.content.decode()
    assert not Client.objects.exists()
    buyer = make_client(entity.company, "Plain AG")
    page = client.post(
        reverse("sales:create"),
        {"name": name, "entity": entity.pk, "client": buyer.pk, "salesperson": finance_user.pk,
         "currency": "USD", "amount": "10", "status": "draft"},
    )  # fmt: skip
    assert page.status_code == 200 and error in page.content.decode()
    assert not Sale.objects.exists()


def test_names_are_trimmed(client, finance_user):
    client.force_login(finance_user)
    client.post(reverse("sales:client_create"), {"name": "  Helix Pumps  "})
    assert Client.objects.get().name == "Helix Pumps"
