"""The demo set: three SoftInWay companies and the demo app (idempotent)."""

from __future__ import annotations

from datetime import date
from typing import Any

from qbsandbox import models
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
    return [models.get_realm(store, realm_id) or {} for realm_id, *_ in DEMO_REALMS]
