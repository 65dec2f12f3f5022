"""The wrong-company guard, against the local sandbox over HTTP: a QuickBooks company whose home
currency is not the entity's connects nothing and changes no figure; another company than the
entity had asks for a confirmation first and the switch is logged; a sync never writes figures from
a company in another currency."""

from datetime import date

import pytest
from django.urls import reverse

from finance.models import MonthlySnapshot, QuickBooksConnection, RunStatus, SyncLogEntry
from finance.quickbooks.pull import sync_connection
from tests import qbo
from tests.builders import make_entity
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def switzerland(company):
    return make_entity(company, "SoftInWay Switzerland", "CHF", "Europe/Zurich")


def synced_chf_books(local_quickbooks, admin, entity) -> Books:
    books = Books.start(
        local_quickbooks.sandbox, local_quickbooks.realm(name="SoftInWay AG", currency="CHF", today="2025-06-15")
    )
    books.invoice("2025-04-15", "250.00")
    books.bill("2025-05-03", "80.00")
    qbo.connect(admin, entity, books.realm)
    run = sync_connection(connection=QuickBooksConnection.objects.get(entity=entity), trigger="manual", today=TODAY)
    assert run.status == RunStatus.SUCCESS, run.error_message
    return books


def months(entity) -> list[tuple]:
    return list(MonthlySnapshot.objects.filter(entity=entity).order_by("month").values_list())


def test_a_company_in_another_currency_connects_nothing(admin, switzerland, local_quickbooks):
    usd = local_quickbooks.realm(name="SoftInWay Inc", currency="USD")
    page = qbo.connect(admin, switzerland, usd)
    assert qbo.page_messages(page) == [
        "SoftInWay Switzerland keeps its books in CHF, but the QuickBooks company “SoftInWay Inc” keeps them "
        "in USD: nothing was connected. Click Connect to QuickBooks again and pick SoftInWay Switzerland's own "
        "CHF company in the list on QuickBooks' page."
    ]
    assert not QuickBooksConnection.objects.filter(entity=switzerland).exists()
    assert not SyncLogEntry.objects.filter(entity=switzerland).exists()
    assert "Connect to QuickBooks" in page.content.decode()


def test_picking_a_usd_company_for_a_synced_chf_entity_changes_no_figure(admin, switzerland, local_quickbooks):
    books = synced_chf_books(local_quickbooks, admin, switzerland)
    before, log_before = months(switzerland), SyncLogEntry.objects.filter(entity=switzerland).count()
    usd = local_quickbooks.realm(name="SoftInWay Inc", currency="USD", size=40, today="2025-06-15")
    page = qbo.connect(admin, switzerland, usd)
    assert any("keeps them in USD: nothing was connected" in m for m in qbo.page_messages(page))
    connection = QuickBooksConnection.objects.get(entity=switzerland)
    assert (connection.realm_id, connection.qb_home_currency) == (books.realm, "CHF")
    assert months(switzerland) == before
    assert SyncLogEntry.objects.filter(entity=switzerland).count() == log_before


def test_another_company_in_the_same_currency_asks_to_confirm_the_switch(admin, switzerland, local_quickbooks):
    books = synced_chf_books(local_quickbooks, admin, switzerland)
    other = local_quickbooks.realm(name="SoftInWay Holding AG", currency="CHF")
    page = qbo.connect(admin, switzerland, other)
    html = page.content.decode()
    assert "Switch SoftInWay Switzerland to another QuickBooks company?" in html
    assert "“SoftInWay AG”" in html and "“SoftInWay Holding AG”" in html
    assert "will be rewritten from" in html and "recorded in the sync log" in html
    assert QuickBooksConnection.objects.get(entity=switzerland).realm_id == books.realm  # nothing saved

    confirmed = admin.post(reverse("finance:qb_connect", args=[switzerland.pk]), {"switch_to": other})
    page = qbo.callback(admin, qbo.consent(confirmed["Location"], other))
    connection = QuickBooksConnection.objects.get(entity=switzerland)
    assert connection.realm_id == other and connection.qb_company_name == "SoftInWay Holding AG"
    switch = SyncLogEntry.objects.filter(entity=switzerland, message__startswith="Switched from").get()
    assert "“SoftInWay AG”" in switch.message and "“SoftInWay Holding AG”" in switch.message
    assert switch.details == {"from_realm": books.realm, "to_realm": other}


def test_a_switch_is_asked_for_after_a_disconnect_too(admin, switzerland, local_quickbooks):
    synced_chf_books(local_quickbooks, admin, switzerland)
    admin.post(reverse("finance:qb_disconnect", args=[switzerland.pk]))
    page = qbo.connect(admin, switzerland, local_quickbooks.realm(name="Other AG", currency="CHF"))
    assert "Switch SoftInWay Switzerland to another QuickBooks company?" in page.content.decode()
    assert QuickBooksConnection.objects.get(entity=switzerland).status == "not_connected"


def test_reconnecting_the_same_company_asks_nothing(admin, switzerland, local_quickbooks):
    books = synced_chf_books(local_quickbooks, admin, switzerland)
    admin.post(reverse("finance:qb_disconnect", args=[switzerland.pk]))
    page = qbo.connect(admin, switzerland, books.realm)
    assert any("is connected to QuickBooks company “SoftInWay AG”" in m for m in qbo.page_messages(page))


def test_a_sync_never_writes_figures_from_a_company_in_another_currency(admin, switzerland, local_quickbooks):
    synced_chf_books(local_quickbooks, admin, switzerland)
    before = months(switzerland)
    switzerland.home_currency = "EUR"  # the entity's currency changed after the connection was made
    switzerland.save()
    connection = QuickBooksConnection.objects.get(entity=switzerland)
    run = sync_connection(connection=connection, trigger="manual", today=TODAY)
    assert run.status == RunStatus.ERROR
    assert "keeps its books in CHF, not in EUR" in run.error_message
    assert run.qbo_calls == 0
    assert months(switzerland) == before
    line = SyncLogEntry.objects.filter(run=run).get()
    assert line.message.startswith("Sync failed, no figure was changed:")


def test_a_switch_is_asked_for_after_a_disconnect_even_before_any_sync(admin, switzerland, local_quickbooks):
    qbo.connect(admin, switzerland, local_quickbooks.realm(name="First AG", currency="CHF"))
    admin.post(reverse("finance:qb_disconnect", args=[switzerland.pk]))
    page = qbo.connect(admin, switzerland, local_quickbooks.realm(name="Second AG", currency="CHF"))
    html = page.content.decode()
    assert "Switch SoftInWay Switzerland to another QuickBooks company?" in html and "“First AG”" in html
