"""Failed log-ins are throttled: after five wrong passwords for one username from one address the
login page says how long to wait, and the right password is refused until then."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.models import Role
from tests.builders import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(company):
    return make_user(company, Role.FINANCE)


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_four_failures_still_let_the_right_password_in_and_clear_the_count(client, user):
    for _ in range(4):
        response = attempt(client, user.username, "wrong")
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()
    assert attempt(client, user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_the_fifth_failure_locks_out_with_a_page_saying_how_long_and_what_to_do(client, user):
    for _ in range(4):
        attempt(client, user.username, "wrong")
    response = attempt(client, user.username, "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-ins" in page
    assert "paused for 15 minutes" in page
    assert "Wait 15 minutes, then" in page
    assert "ask your OtiumWork administrator" in page.replace("Ask", "ask")
    assert 'id="lockout"' in page

    # The right password is refused during the lockout, and the session stays anonymous.
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 429 and "Too many failed log-ins" in response.content.decode()
    assert client.get(reverse("finance:home")).status_code == 302


def test_the_lockout_is_per_username_and_address(client, user, company):
    colleague = make_user(company, Role.SALES)
    for _ in range(5):
        attempt(client, user.username, "wrong")
    assert attempt(client, colleague.username, PASSWORD).status_code == 302  # same address, other user
    client.post(reverse("logout"))
    assert attempt(client, user.username, PASSWORD, address="198.51.100.20").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, user):
    for _ in range(5):
        attempt(client, user.username, "wrong")
    assert attempt(client, user.username, PASSWORD).status_code == 429
    # Attempts made during the lockout did not extend it: age the recorded failures past 15 minutes.
    for row in AccessAttempt.objects.filter(username=user.username):
        row.attempt_time -= timedelta(minutes=16)
        row.save(update_fields=["attempt_time"])
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_behind_the_tls_proxy_the_address_is_the_last_forwarded_one(client, user, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for _ in range(5):
        # A client cannot dodge the count by sending its own X-Forwarded-For: the proxy appends the
        # address it saw last.
        response = client.post(
            reverse("login"),
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{_}, 203.0.113.7",
            HTTP_X_FORWARDED_PROTO="https",
        )
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username=user.username).ip_address == "203.0.113.7"


def test_the_test_clients_login_without_a_request_is_not_throttled(client, user):
    assert client.login(username=user.username, password=PASSWORD)
