"""Fixtures shared by the whole suite."""

import pytest

# Models are imported inside fixtures so that tests of Django-free modules (the local sandbox, the
# figures) can also run with the Django plugin off.


@pytest.fixture
def company(db):
    from tests.builders import make_company

    return make_company("SoftInWay Test")


@pytest.fixture
def entity(company):
    from tests.builders import make_entity

    return make_entity(company, "SoftInWay USA", "USD", "America/New_York")


@pytest.fixture
def admin_user(company):
    from tests.builders import make_user

    return make_user(company, "admin")


@pytest.fixture
def finance_user(company):
    from tests.builders import make_user

    return make_user(company, "finance")


@pytest.fixture
def sales_user(company):
    from tests.builders import make_user

    return make_user(company, "sales")


@pytest.fixture
def login(client):
    """Log the test client in as the given user and return it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
