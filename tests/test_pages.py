"""Pages a user lands on outside the happy path, and the overview: 403 and 404 pages keep the
navigation and say why, the 500 page says what to do; the overview shows each entity's latest
figures with their currency and its QuickBooks status."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Role
from accounts.views import server_error
from finance.models import QuickBooksConnection, SyncRun
from tests.builders import make_company, make_entity, make_snapshot, make_user

pytestmark = pytest.mark.django_db


def test_a_403_says_the_reason_and_keeps_the_navigation(client, company):
    client.force_login(make_user(company, Role.SALES))
    page = client.get(reverse("finance:qb"))
    html = page.content.decode()
    assert page.status_code == 403
    assert "You cannot open this page" in html and "Your role does not allow this page." in html
    assert 'class="mainnav"' in html and reverse("sales:list") in html and "Log out" in html
    assert "Go to the overview" in html


def test_a_404_keeps_the_navigation_and_says_what_to_do(client, company, entity):
    client.force_login(make_user(make_company("Globex"), Role.ADMIN))
    page = client.get(reverse("finance:snapshots", args=[entity.pk]))
    html = page.content.decode()
    assert page.status_code == 404
    assert "This page does not exist" in html and "belongs to another company" in html
    assert 'class="mainnav"' in html and "Go to the overview" in html


def test_the_500_page_says_what_to_do():
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "Go to the overview" in html


def test_an_error_page_never_fails_even_without_collected_static_files(client, company, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path  # production storage, nothing collected: the stylesheet has no entry
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # fmt: skip
    client.force_login(make_user(company, Role.FINANCE))
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "This page does not exist" in page.content.decode()
    assert "Go to the overview" in page.content.decode()


def test_the_overview_shows_each_entitys_latest_figures_with_currency_and_quickbooks_status(client, company):
    india = make_entity(company, "SoftInWay India", "INR", "Asia/Kolkata")
    swiss = make_entity(company, "SoftInWay Switzerland", "CHF", "Europe/Zurich")
    make_snapshot(india, date(2026, 10, 1), revenue=Decimal("100"))
    make_snapshot(india, date(2026, 11, 1), revenue=Decimal("1234567.5"), ar_balance=Decimal("20"))
    connection = QuickBooksConnection.objects.create(
        entity=india, company=company, status="connected", realm_id="77", qb_home_currency="INR"
    )
    SyncRun.objects.create(connection=connection, entity=india, trigger="beat", status="error", error_message="x")
    client.force_login(make_user(company, Role.FINANCE))
    html = client.get(reverse("home")).content.decode()
    india_card = html.split(f'id="overview-{india.pk}"')[1].split("</article>")[0]
    assert "November 2026" in india_card and "INR 1,234,567.50" in india_card and "INR 20.00" in india_card
    assert "connected · last sync failed" in india_card and "stale" in india_card
    swiss_card = html.split(f'id="overview-{swiss.pk}"')[1].split("</article>")[0]
    assert "not connected" in swiss_card and "No monthly figures yet." in swiss_card
