"""Fixtures of the operations tests: connections made as rows (no QuickBooks needed to end a run or
mark a connection), admins with addresses, and the after-commit hooks run at the end of a block."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.builders import make_entity, make_user


def make_connection(entity, realm_id: str, **fields):
    from finance.models import ConnectionStatus, QuickBooksConnection

    now = timezone.now()
    defaults = {
        "company": entity.company,
        "status": ConnectionStatus.CONNECTED,
        "environment": "local",
        "realm_id": realm_id,
        "qb_company_name": f"{entity.name} Books",
        "access_token_expires_at": now + timedelta(hours=1),
        "refresh_token_expires_at": now + timedelta(days=100),
    }
    defaults.update(fields)
    return QuickBooksConnection.objects.create(entity=entity, **defaults)


@pytest.fixture
def connection(entity):
    return make_connection(entity, "9130350001")


@pytest.fixture
def admins(company):
    """Two admins with addresses, and a finance user (never alerted)."""
    first = make_user(company, "admin", username="ada")
    second = make_user(company, "admin", username="grace")
    finance = make_user(company, "finance", username="fin")
    for user in (first, second, finance):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return first, second


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what the block queued for after commit (and what that queues)."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


@pytest.fixture
def more_entities(company):
    def make(count: int):
        return [make_entity(company, f"Entity {n}") for n in range(count)]

    return make
