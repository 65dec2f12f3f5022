"""Demo data generation: deterministic, the promised mix of transactions, QBO's money format; the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from qbsandbox import models
from qbsandbox.demo import DEMO_CLIENT_ID, DEMO_REALMS, seed_demo_realms
from qbsandbox.generate import generate_realm
from qbsandbox.store import Store

TODAY = "2025-06-30"
ROOT = Path(__file__).resolve().parents[2]


def _dump(store: Store, realm_id: str) -> list[tuple[str, int, str]]:
    rows = (
        store.read()
        .execute("SELECT type, id, body FROM entities WHERE realm_id = ? ORDER BY type, id", (realm_id,))
        .fetchall()
    )
    return [(r["type"], r["id"], r["body"]) for r in rows]


def _count(store: Store, realm_id: str, entity: str) -> int:
    text = f"SELECT COUNT(*) FROM {entity}"  # noqa: S608 - QBO query text, not SQL
    return models.query_entities(store, realm_id, text)["totalCount"]


def _all(store: Store, realm_id: str, entity: str) -> list[dict]:
    rows = store.read().execute(
        "SELECT body FROM entities WHERE realm_id = ? AND type = ?", (realm_id, entity)
    )
    from qbsandbox.responses import loads

    return [loads(r["body"]) for r in rows]


def test_same_seed_and_today_give_identical_data(tmp_path):
    first, second = Store(tmp_path / "a.sqlite3"), Store(tmp_path / "b.sqlite3")
    args = {
        "name": "Same Co",
        "currency": "CHF",
        "seed": 5,
        "size": 400,
        "today": TODAY,
        "multicurrency": True,
    }
    realm_a, realm_b = generate_realm(first, **args), generate_realm(second, **args)
    assert realm_a == realm_b
    assert _dump(first, realm_a) == _dump(second, realm_b)
    other = generate_realm(first, **{**args, "seed": 6})
    assert [r[2] for r in _dump(first, other)] != [r[2] for r in _dump(first, realm_a)]


def test_size_is_the_number_of_transactions_and_dates_span_the_year(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    realm = generate_realm(store, name="Sized Co", currency="USD", seed=1, size=1000, today=TODAY)
    counts = {e: _count(store, realm, e) for e in ("Invoice", "Payment", "Bill", "BillPayment")}
    assert sum(counts.values()) == 1000 and all(counts.values())
    dates = [i["TxnDate"] for i in _all(store, realm, "Invoice")]
    assert min(dates) >= "2024-07-01" and max(dates) <= TODAY


def test_generated_invoices_cover_the_cases_a_sync_must_handle(tmp_path):
    store = Store(tmp_path / "m.sqlite3")
    realm = generate_realm(
        store, name="Mixed Co", currency="INR", seed=2, size=1500, today=TODAY, multicurrency=True
    )
    invoices = _all(store, realm, "Invoice")
    payments = _all(store, realm, "Payment")
    voided = [i for i in invoices if i.get("PrivateNote") == "Voided"]
    assert voided and all(i["TotalAmt"] == 0 and i["Balance"] == 0 for i in voided)
    assert any(i["Balance"] == i["TotalAmt"] > 0 for i in invoices)  # open
    assert any(0 < i["Balance"] < i["TotalAmt"] for i in invoices)  # partly paid
    assert any(len(p["Line"]) > 1 for p in payments)  # one payment, several invoices
    by_id = {i["Id"]: i for i in invoices}
    assert any(
        p["TxnDate"][:7] > by_id[p["Line"][0]["LinkedTxn"][0]["TxnId"]]["TxnDate"][:7]
        for p in payments
        if p["Line"]
    )  # paid in a later month
    foreign = [i for i in invoices if i["CurrencyRef"]["value"] != "INR" and i["TotalAmt"] > 0]
    assert foreign and all(i["ExchangeRate"] != 1 for i in foreign)
    assert all(
        i["HomeTotalAmt"] == (i["TotalAmt"] * i["ExchangeRate"]).quantize(Decimal("0.01")) for i in foreign
    )
    for invoice in invoices:  # balance = total - what payments applied
        applied = sum(
            (
                line["Amount"]
                for p in payments
                for line in p["Line"]
                if line["LinkedTxn"][0]["TxnId"] == invoice["Id"]
            ),
            Decimal(0),
        )
        assert invoice["Balance"] == invoice["TotalAmt"] - applied


def test_money_is_written_with_two_decimals_or_zero(tmp_path):
    store = Store(tmp_path / "f.sqlite3")
    realm = generate_realm(store, name="Format Co", currency="USD", seed=3, size=200, today=TODAY)
    text = " ".join(body for _, _, body in _dump(store, realm))
    amounts = re.findall(r'"(?:TotalAmt|Balance|Amount|UnappliedAmt)":([-0-9.]+)', text)
    assert amounts and all(re.fullmatch(r"-?\d+\.\d\d|0", a) for a in amounts)


def test_demo_seed_is_idempotent(tmp_path):
    store = Store(tmp_path / "demo.sqlite3")
    first = seed_demo_realms(store, today=TODAY)
    count = store.read().execute("SELECT COUNT(*) FROM entities").fetchone()[0]
    assert seed_demo_realms(store, today=TODAY) == first
    assert store.read().execute("SELECT COUNT(*) FROM entities").fetchone()[0] == count
    assert [r["name"] for r in first] == [name for _, name, *_ in DEMO_REALMS]
    assert [(r["currency"], r["multicurrency"]) for r in first] == [
        ("INR", True),
        ("CHF", True),
        ("USD", False),
    ]
    assert models.get_app(store, DEMO_CLIENT_ID) is not None
    for realm in first:
        total = sum(
            _count(store, realm["realm_id"], e) for e in ("Invoice", "Payment", "Bill", "BillPayment")
        )
        assert 150 <= total <= 300


def test_cli_seed_prints_realm_ids_and_serve_refuses_production(tmp_path):
    db = str(tmp_path / "cli.sqlite3")
    seeded = subprocess.run(
        [sys.executable, "-m", "qbsandbox", "seed", "--db", db, "--today", TODAY],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    assert [line.split()[0] for line in seeded.stdout.splitlines()] == [r[0] for r in DEMO_REALMS]
    refused = subprocess.run(
        [sys.executable, "-m", "qbsandbox", "serve", "--db", db, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"OTIUMWORK_PRODUCTION": "1"},
    )
    assert refused.returncode == 2 and "production" in refused.stderr
