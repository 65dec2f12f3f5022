"""Every page checks the role of the signed-in user, and another company's objects answer 404."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.builders import make_client, make_company, make_entity, make_sale, make_snapshot, make_user

pytestmark = pytest.mark.django_db

ALL = {Role.ADMIN, Role.FINANCE, Role.SALES}
FINANCE = {Role.ADMIN, Role.FINANCE}
ADMIN = {Role.ADMIN}


@pytest.fixture
def world():
    """Two companies, each with an entity, a client, a sale of its salesperson and a snapshot."""
    data = {}
    for key in ("own", "other"):
        company = make_company(f"{key} company")
        entity = make_entity(company)
        people = {role: make_user(company, role) for role in (Role.ADMIN, Role.FINANCE, Role.SALES)}
        client = make_client(company)
        sale = make_sale(entity, people[Role.SALES], client)
        make_snapshot(entity, date(2026, 9, 1))
        data[key] = {"company": company, "entity": entity, "people": people, "client": client, "sale": sale}
    return data


# (name, method, url built from one company's objects, roles allowed)
PAGES = [
    ("home", "get", lambda w: reverse("home"), {Role.ADMIN, Role.FINANCE}),
    ("settings", "get", lambda w: reverse("settings"), ADMIN),
    ("sale list", "get", lambda w: reverse("sales:list"), ALL),
    ("sale create", "get", lambda w: reverse("sales:create"), ALL),
    ("client list", "get", lambda w: reverse("sales:clients"), ALL),
    ("client create", "get", lambda w: reverse("sales:client_create"), ALL),
    ("finance home", "get", lambda w: reverse("finance:home"), FINANCE),
    ("quickbooks", "get", lambda w: reverse("finance:qb"), FINANCE),
]
OBJECT_PAGES = [
    ("sale detail", "get", lambda w: reverse("sales:detail", args=[w["sale"].pk]), ALL),
    ("sale edit", "get", lambda w: reverse("sales:edit", args=[w["sale"].pk]), ALL),
    ("sale status", "post", lambda w: reverse("sales:set_status", args=[w["sale"].pk]), ALL),
    ("client edit", "get", lambda w: reverse("sales:client_edit", args=[w["client"].pk]), FINANCE),
    ("snapshots", "get", lambda w: reverse("finance:snapshots", args=[w["entity"].pk]), FINANCE),
    (
        "snapshot edit",
        "get",
        lambda w: reverse("finance:snapshot_edit", args=[w["entity"].pk, "2026-09"]),
        FINANCE,
    ),
]


def call(client, method, url):
    return client.post(url, {"status": "open"}) if method == "post" else client.get(url)


@pytest.mark.parametrize(
    "name,method,url,allowed", PAGES + OBJECT_PAGES, ids=[p[0] for p in PAGES + OBJECT_PAGES]
)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE, Role.SALES])
def test_each_role_reaches_only_its_pages(client, world, name, method, url, allowed, role):
    client.force_login(world["own"]["people"][role])
    response = call(client, method, url(world["own"]))
    if role in allowed:
        assert response.status_code in (200, 302), f"{role} should reach {name}"
        if response.status_code == 302:
            assert "login" not in response["Location"]
    elif name == "home" and role == Role.SALES:
        assert response.status_code == 302 and response["Location"] == reverse("sales:list")
    else:
        assert response.status_code == 403, f"{role} must not reach {name}"


@pytest.mark.parametrize("name,method,url,allowed", OBJECT_PAGES, ids=[p[0] for p in OBJECT_PAGES])
def test_another_companys_objects_answer_404(client, world, name, method, url, allowed):
    client.force_login(world["own"]["people"][Role.ADMIN])
    assert call(client, method, url(world["other"])).status_code == 404


@pytest.mark.parametrize(
    "name,method,url,allowed", PAGES + OBJECT_PAGES, ids=[p[0] for p in PAGES + OBJECT_PAGES]
)
def test_anonymous_visitors_are_sent_to_login(client, world, name, method, url, allowed):
    response = call(client, method, url(world["own"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_salesperson_sees_only_their_own_sales(client, world):
    company, entity = world["own"]["company"], world["own"]["entity"]
    colleague = make_user(company, Role.SALES)
    theirs = make_sale(entity, colleague, name="Colleague's deal")
    me = world["own"]["people"][Role.SALES]
    client.force_login(me)
    listing = client.get(reverse("sales:list")).content.decode()
    assert world["own"]["sale"].name in listing
    assert "Colleague&#x27;s deal" not in listing
    assert client.get(reverse("sales:detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("sales:set_status", args=[theirs.pk]), {"status": "lost"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "closed"


def test_a_user_without_a_company_is_refused(client, db):
    from django.contrib.auth import get_user_model

    loner = get_user_model().objects.create_user(username="loner", password="x-long-password-1")
    client.force_login(loner)
    assert client.get(reverse("sales:list")).status_code == 403


def test_login_and_logout_round_trip(client, world):
    user = world["own"]["people"][Role.FINANCE]
    user.set_password("a-good-long-password")
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": "a-good-long-password"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST with CSRF
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_post_forms_require_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["own"]["people"][Role.ADMIN])
    response = strict.post(reverse("sales:set_status", args=[world["own"]["sale"].pk]), {"status": "lost"})
    assert response.status_code == 403
    world["own"]["sale"].refresh_from_db()
    assert world["own"]["sale"].status == "closed"
