"""The demo set: three SoftInWay companies and the demo app (idempotent).

SoftInWay Inc also holds one open (unapplied) credit memo, so QuickBooks' AgedReceivables total there
is the open invoices' total minus that credit: the demo of a tie-out that differs for a known cause.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from qbsandbox import models, writes
from qbsandbox.clock import date_at, meta_time
from qbsandbox.generate import generate_realm
from qbsandbox.store import Store

DEMO_CLIENT_ID = "otiumwork-demo-client"
DEMO_CLIENT_SECRET = "otiumwork-demo-secret"  # noqa: S105 - a public demo credential of the local sandbox
DEMO_REALMS = [
    # realm id, name, home currency, multicurrency, size, seed
    ("9341450000000101", "SoftInWay India Pvt Ltd", "INR", True, 240, 101),
    ("9341450000000102", "SoftInWay Switzerland AG", "CHF", True, 180, 102),
    ("9341450000000103", "SoftInWay Inc", "USD", False, 280, 103),
]
# The one open credit memo of the demo set: realm, customer, amount, age in days before `today`.
DEMO_CREDIT_MEMO = {
    "realm_id": "9341450000000103",
    "customer": "Acme Turbines",
    "amount": Decimal("1250.00"),
    "days_ago": 12,
    "description": "Credit for unused support hours",
}


def seed_demo_realms(store: Store, today: date | str | None = None) -> list[dict[str, Any]]:
    """Create the demo realms and app if missing; returns the demo realms."""
    models.register_app(store, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [])
    for realm_id, name, currency, multicurrency, size, seed in DEMO_REALMS:
        generate_realm(
            store,
            name=name,
            currency=currency,
            seed=seed,
            size=size,
            today=today,
            multicurrency=multicurrency,
            realm_id=realm_id,
        )
    add_demo_credit_memo(store, today)
    return [models.get_realm(store, realm_id) or {} for realm_id, *_ in DEMO_REALMS]


def add_demo_credit_memo(store: Store, today: date | str | None = None) -> dict[str, Any] | None:
    """Insert the demo credit memo once (nothing when the realm already holds a credit memo)."""
    spec = DEMO_CREDIT_MEMO
    realm_id = str(spec["realm_id"])
    if models.get_realm(store, realm_id) is None:
        return None
    if models.query_entities(store, realm_id, "SELECT COUNT(*) FROM CreditMemo")["totalCount"]:
        return None
    customer = models.query_entities(
        store,
        realm_id,
        f"SELECT * FROM Customer WHERE DisplayName = '{spec['customer']}'",  # noqa: S608
    )["Customer"][0]
    day = date.fromisoformat(today) if isinstance(today, str) else today or store.now_dt().date()
    txn_date = (day - timedelta(days=int(spec["days_ago"]))).isoformat()
    stamp = meta_time(date_at(txn_date, 10))
    return writes.insert_entity(
        store,
        realm_id,
        "CreditMemo",
        {
            "TxnDate": txn_date,
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": spec["amount"],
                    "Description": spec["description"],
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
            "PrivateNote": "Open credit, not yet applied to an invoice",
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        },
    )
