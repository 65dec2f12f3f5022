"""Migration 0006 carries the drill-down rows already synced (a table row per transaction) into one
document per month and figure, and back again, losing nothing: months before any future sync window
have no other copy."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("finance", "0005_figuresource_one_index")
AFTER = ("finance", "0006_figure_drilldown_documents")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def at_0005():
    apps = migrate([BEFORE])
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())  # the schema the rest of the suite expects


def source(apps, entity, month, figure, txn_id, day, home, *, rate="1", party="Amy", linked=""):
    return apps.get_model("finance", "FigureSource").objects.create(
        entity=entity, month=month, figure=figure, realm_id="9341", txn_type="Invoice", txn_id=txn_id,
        txn_date=day, party=party, doc_number=f"D{txn_id}", linked_txn_id=linked, amount=Decimal("10.00"),
        exchange_rate=Decimal(rate), home_amount=Decimal(home),
    )  # fmt: skip


def test_rows_become_one_document_per_month_and_figure_and_come_back(at_0005):
    apps = at_0005
    company = apps.get_model("accounts", "Company").objects.create(name="Migrating Co")
    entity = apps.get_model("accounts", "Entity").objects.create(
        company=company, name="India", home_currency="INR", time_zone="Asia/Kolkata"
    )
    january, february = date(2024, 1, 1), date(2024, 2, 1)
    source(apps, entity, january, "ar_balance", "12", date(2023, 12, 30), "833.00", rate="83.3")
    source(apps, entity, january, "ar_balance", "7", date(2023, 11, 2), "10.00", party="O'Brien & Söhne")
    source(apps, entity, february, "ar_balance", "12", date(2023, 12, 30), "833.00", rate="83.3")

    apps = migrate([AFTER])
    documents = apps.get_model("finance", "FigureDrilldown").objects.order_by("month")
    assert [(d.month, d.figure, d.realm_id, d.row_count) for d in documents] == [
        (january, "ar_balance", "9341", 2),
        (february, "ar_balance", "9341", 1),
    ]
    assert documents[0].rows == (  # CSV by date, then Id; amounts as exact text
        "Invoice,7,2023-11-02,O'Brien & Söhne,D7,,10.00,1,10.00\n"
        "Invoice,12,2023-12-30,Amy,D12,,10.00,83.3,833.00\n"
    )

    apps = migrate([BEFORE])
    back = apps.get_model("finance", "FigureSource").objects.order_by("month", "txn_date")
    assert [(r.month, r.txn_id, r.party, r.exchange_rate, r.home_amount) for r in back] == [
        (january, "7", "O'Brien & Söhne", Decimal("1"), Decimal("10.00")),
        (january, "12", "Amy", Decimal("83.3"), Decimal("833.00")),
        (february, "12", "Amy", Decimal("83.3"), Decimal("833.00")),
    ]
