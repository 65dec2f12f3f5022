"""Deterministic demo data: a company's standard lists (`standard`), customers, vendors, an employee,
items, and `size` transactions (invoices, payments, bills, bill payments) over the 12 months before
`today`.

Same seed, name, currency and `today` give identical data. Everything is built in memory with the same
builders the API uses, then written in one transaction with `executemany`, so 50,000 transactions
take seconds. Payments are applied to invoices (and bill payments to bills) exactly as a create does.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from qbsandbox import entities as build
from qbsandbox import models
from qbsandbox.clock import date_at
from qbsandbox.entities import ZERO, round2
from qbsandbox.profile import company_info, preferences
from qbsandbox.standard import FALLBACK_CODES, TAX_CODES, standard_rows
from qbsandbox.store import Store

CUSTOMER_NAMES = [
    "O'Brien & Sons",
    "Zürich Präzision AG",
    '"Quoted" Analytics',
    "Acme Turbines",
    "Blue River Power",
    "Nordwind Energie GmbH",
    "Tata Flow Systems",
    "Kessler Hydro",
    "Sunrise Compressors",
    "Mumbai Aero Works",
    "Pacific Rotor Labs",
    "Alpine Dynamics SA",
    "Delta Propulsion",
    "Vega Fluid Design",
    "Orion Thermal",
    "Helix Pumps",
    "Riverside Motors",
    "Summit Gas Turbines",
    "Baltic Marine",
    "Crescent Steam",
]
VENDOR_NAMES = [
    "Amazon Web Services",
    "Office Depot",
    "WeWork",
    "Swisscom",
    "Airtel Business",
    "Dell Technologies",
    "Deloitte Advisory",
    "Lufthansa",
    "Marriott Hotels",
    "Adobe",
    "JetBrains",
    "Staples & Co",
]
EXPENSE_ACCOUNTS = ["7", "24", "58", "60", "69"]
ITEMS = [
    ("Services", "Engineering services"),
    ("Consulting", "Consulting hours"),
    ("Software licence", "Annual software licence"),
    ("Training", "Training course"),
    ("Support", "Support plan"),
]


@dataclass
class Plan:
    """Everything generated for one realm, before it is written."""

    realm_id: str
    home: str
    multicurrency: bool
    rng: random.Random
    today: date
    next_id: int = 1
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_id: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        self.rows.setdefault(entity, []).append(body)
        self.by_id.setdefault(entity, {})[body["Id"]] = body
        return body


def default_realm_id(name: str, currency: str, seed: int, size: int) -> str:
    digest = hashlib.sha256(f"{name}|{currency}|{seed}|{size}".encode()).hexdigest()
    return "9" + str(int(digest, 16))[:15]


def generate_realm(
    store: Store,
    *,
    name: str,
    currency: str = "USD",
    seed: int = 0,
    size: int = 200,
    today: str | date | None = None,
    multicurrency: bool = False,
    realm_id: str | None = None,
) -> str:
    """Create (once) a realm full of deterministic data; returns its realm id."""
    realm_id = realm_id or default_realm_id(name, currency, seed, size)
    if models.get_realm(store, realm_id) is not None:
        add_missing_standard_rows(store, realm_id)
        return realm_id
    day = _as_date(today) or store.now_dt().date()
    plan = Plan(realm_id, currency, multicurrency, random.Random(f"{seed}:{name}:{currency}"), day)
    models.add_realm(store, realm_id, name=name, currency=currency, multicurrency=multicurrency)
    realm = models.get_realm(store, realm_id)
    stamp = date_at((day - timedelta(days=400)).isoformat(), 9)
    plan.add("CompanyInfo", company_info(realm or {}, now=stamp))
    plan.add("Preferences", preferences(realm or {}, now=stamp))
    for entity, bodies in standard_rows(realm or {}, stamp).items():
        for body in bodies:
            plan.add(entity, body)
    _fill(plan, size)
    _write(store, plan)
    return realm_id


def create_realm(
    store: Store,
    *,
    name: str,
    currency: str = "USD",
    multicurrency: bool = False,
    seed: int = 0,
    size: int = 0,
    today: str | None = None,
    realm_id: str | None = None,
) -> str:
    """The control API's new company: `size` generated transactions, a random realm id unless given."""
    return generate_realm(
        store,
        name=name,
        currency=currency,
        seed=seed,
        size=size,
        today=today,
        multicurrency=multicurrency,
        realm_id=realm_id or models.new_realm_id(),
    )


def add_missing_standard_rows(store: Store, realm_id: str) -> None:
    """A realm made before the sandbox kept standard lists gets them (once) when seeded again."""
    if models.query_entities(store, realm_id, "SELECT COUNT(*) FROM Account")["totalCount"]:
        return
    realm = models.get_realm(store, realm_id) or {}
    rows = standard_rows(realm, store.now(realm_id))
    with store.write() as db:
        for entity, bodies in rows.items():
            models.save_entities(db, realm_id, entity, bodies)


def _as_date(value: str | date | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _fill(plan: Plan, size: int) -> None:
    items = [
        plan.add(
            "Item",
            build.build_item(
                {"Name": n, "Description": d},
                entity_id=plan.take_id(),
                now=_stamp(plan.today - timedelta(days=400)),
            ),
        )
        for n, d in ITEMS
    ]
    if size <= 0:
        return
    customers = _people(plan, "Customer", CUSTOMER_NAMES, max(4, min(400, size // 12)))
    vendors = _people(plan, "Vendor", VENDOR_NAMES, max(3, min(150, size // 30)))
    plan.add(
        "Employee",
        build.build_employee(
            {"GivenName": "Priya", "FamilyName": "Raman"},
            entity_id=plan.take_id(),
            now=_stamp(plan.today - timedelta(days=400)),
            name="Priya Raman",
        ),
    )
    n_inv, n_pay, n_bill = round(size * 0.4), round(size * 0.25), round(size * 0.22)
    invoices = _invoices(plan, customers, items, n_inv)
    _payments(plan, invoices, customers, n_pay, party="Customer")
    bills = _bills(plan, vendors, n_bill)
    _payments(plan, bills, vendors, size - n_inv - n_pay - n_bill, party="Vendor")
    _balances(plan, customers, "Invoice", "CustomerRef")
    _balances(plan, vendors, "Bill", "VendorRef")


def _stamp(day: date, minute: int = 0) -> float:
    return date_at(day.isoformat(), 9 + minute // 60 % 9, minute % 60)


def _foreign(plan: Plan) -> str:
    return "EUR" if plan.home == "USD" else plan.rng.choice(["USD", "USD", "EUR"])


def _people(plan: Plan, entity: str, names: list[str], count: int) -> list[dict[str, Any]]:
    people = []
    for i in range(count):
        name = names[i] if i < len(names) else f"{names[i % len(names)]} {i // len(names) + 1}"
        foreign = plan.multicurrency and i % 4 == 3
        currency = _foreign(plan) if foreign else plan.home
        builder = build.build_customer if entity == "Customer" else build.build_vendor
        body = builder(
            {"CompanyName": name, "PrimaryEmailAddr": {"Address": f"billing{i + 1}@example.com"}},
            entity_id=plan.take_id(),
            now=_stamp(plan.today - timedelta(days=380), i),
            name=name,
            currency=currency,
        )
        people.append(plan.add(entity, body))
    if entity == "Customer" and count > 5:
        people[-1]["Active"] = False  # one inactive customer, found only with Active IN (true, false)
    return people


def _rate(plan: Plan, currency: str) -> Decimal | None:
    if not plan.multicurrency:
        return None
    base = build.exchange_rate(currency, plan.home)
    if currency == plan.home:
        return base
    jitter = Decimal(plan.rng.randint(-300, 300)) / Decimal(10000)
    return (base * (1 + jitter)).quantize(Decimal("0.0001"))


def _amount(plan: Plan, currency: str) -> Decimal:
    usd = Decimal(plan.rng.randint(150, 12000)) + Decimal(plan.rng.randint(0, 99)) / 100
    return round2(usd * build.PER_USD[currency])


def _dates(plan: Plan, count: int) -> list[date]:
    return sorted(plan.today - timedelta(days=plan.rng.randint(0, 364)) for _ in range(count))


def _invoices(
    plan: Plan, customers: list[dict[str, Any]], items: list[dict[str, Any]], count: int
) -> list[dict]:
    invoices = []
    for number, day in enumerate(_dates(plan, count)):
        customer = plan.rng.choice(customers[:-1] if len(customers) > 5 else customers)
        currency = customer["CurrencyRef"]["value"]
        lines = [
            {
                "item": {"value": item["Id"], "name": item["Name"]},
                "amount": _amount(plan, currency),
                "description": item["Description"],
                "tax_code": _untaxed_code(plan.home),
            }
            for item in plan.rng.sample(items, plan.rng.randint(1, 2))
        ]
        body = build.build_invoice(
            entity_id=plan.take_id(),
            now=_stamp(day, number),
            doc_number=str(1001 + number),
            txn_date=day.isoformat(),
            due_date=(day + timedelta(days=30)).isoformat(),
            customer={"value": customer["Id"], "name": customer["DisplayName"]},
            lines=lines,
            currency=currency,
            rate=_rate(plan, currency),
        )
        if plan.rng.random() < 0.02:
            build.void_invoice(body, _stamp(day + timedelta(days=1), number))
        invoices.append(plan.add("Invoice", body))
    return invoices


def _untaxed_code(home: str) -> str:
    """The TaxCode of a generated line, which carries no tax: NON in a US company, else the
    country's exempt code (the last of its list), since QBO wants one of the company's codes there."""
    country = models.COUNTRIES.get(home, ("US", ""))[0]
    return "NON" if country == "US" else TAX_CODES.get(country, FALLBACK_CODES)[-1][0]


def _bills(plan: Plan, vendors: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    bills = []
    for number, day in enumerate(_dates(plan, count)):
        vendor = plan.rng.choice(vendors)
        currency = vendor["CurrencyRef"]["value"]
        lines = [
            {
                "account": build.account_ref(plan.rng.choice(EXPENSE_ACCOUNTS)),
                "amount": _amount(plan, currency),
            }
        ]
        bills.append(
            plan.add(
                "Bill",
                build.build_bill(
                    entity_id=plan.take_id(),
                    now=_stamp(day, number),
                    txn_date=day.isoformat(),
                    due_date=(day + timedelta(days=30)).isoformat(),
                    vendor={"value": vendor["Id"], "name": vendor["DisplayName"]},
                    lines=lines,
                    currency=currency,
                    rate=_rate(plan, currency),
                    doc_number=f"B-{2001 + number}",
                ),
            )
        )
    return bills


def _payments(
    plan: Plan, targets: list[dict[str, Any]], parties: list[dict[str, Any]], budget: int, *, party: str
) -> None:
    """Pay some targets fully, some partly, some together, some a month or more later; fill the rest
    of the budget with unapplied payments so the realm holds exactly `size` transactions."""
    ref_key = "CustomerRef" if party == "Customer" else "VendorRef"
    open_targets = [t for t in targets if t["Balance"] > 0]
    for number, target in enumerate(open_targets):
        if budget <= 0:
            return
        if target["Balance"] <= 0 or plan.rng.random() > 0.72:
            continue
        day = date.fromisoformat(target["TxnDate"]) + timedelta(days=plan.rng.randint(3, 75))
        if day > plan.today:
            continue
        group = [target] + _siblings(plan, open_targets[number + 1 :], target, ref_key, day)
        partial = len(group) == 1 and plan.rng.random() < 0.2
        links = [(t["Id"], round2(t["Balance"] / 2) if partial else t["Balance"]) for t in group]
        _pay(plan, party, target, links, day, number)
        budget -= 1
    for number in range(budget):
        _unapplied(plan, party, plan.rng.choice(parties), number)


def _siblings(
    plan: Plan, later: list[dict[str, Any]], first: dict[str, Any], ref_key: str, day: date
) -> list[dict]:
    if plan.rng.random() > 0.12:
        return []
    same = [
        t
        for t in later[:40]
        if t[ref_key]["value"] == first[ref_key]["value"]
        and t["Balance"] > 0
        and t["TxnDate"] <= day.isoformat()
    ]
    return same[:2]


def _pay(
    plan: Plan, party: str, target: dict[str, Any], links: list[tuple[str, Decimal]], day: date, n: int
) -> None:
    currency = target["CurrencyRef"]["value"]
    now = _stamp(day, n)
    total = sum((amount for _, amount in links), ZERO)
    common = {
        "entity_id": plan.take_id(),
        "now": now,
        "txn_date": day.isoformat(),
        "total": total,
        "links": links,
        "currency": currency,
        "rate": _rate(plan, currency),
    }
    if party == "Customer":
        body = build.build_payment(customer=dict(target["CustomerRef"]), **common)
        entity, target_type, txn_type = "Payment", "Invoice", "Payment"
    else:
        body = build.build_bill_payment(vendor=dict(target["VendorRef"]), doc_number=str(5001 + n), **common)
        entity, target_type, txn_type = "BillPayment", "Bill", "BillPaymentCheck"
    plan.add(entity, body)
    for txn_id, amount in links:
        build.apply_to(
            plan.by_id[target_type][txn_id], txn_id=body["Id"], txn_type=txn_type, amount=amount, now=now
        )


def _unapplied(plan: Plan, party: str, who: dict[str, Any], n: int) -> None:
    currency = who["CurrencyRef"]["value"]
    day = plan.today - timedelta(days=plan.rng.randint(0, 364))
    common = {
        "entity_id": plan.take_id(),
        "now": _stamp(day, n),
        "txn_date": day.isoformat(),
        "total": round2(_amount(plan, currency) / 4),
        "links": [],
        "currency": currency,
        "rate": _rate(plan, currency),
    }
    ref = {"value": who["Id"], "name": who["DisplayName"]}
    if party == "Customer":
        plan.add("Payment", build.build_payment(customer=ref, **common))
    else:
        plan.add("BillPayment", build.build_bill_payment(vendor=ref, **common))


def _balances(plan: Plan, parties: list[dict[str, Any]], entity: str, ref_key: str) -> None:
    totals: dict[str, Decimal] = {}
    for body in plan.rows.get(entity, []):
        key = body[ref_key]["value"]
        totals[key] = totals.get(key, ZERO) + body["Balance"]
    for party in parties:
        party["Balance"] = totals.get(party["Id"], ZERO)
        if "BalanceWithJobs" in party:
            party["BalanceWithJobs"] = party["Balance"]


def _write(store: Store, plan: Plan) -> None:
    with store.write() as db:
        for entity, bodies in plan.rows.items():
            models.save_entities(db, plan.realm_id, entity, bodies)
        doc = 1001 + len(plan.rows.get("Invoice", []))
        db.execute(
            "UPDATE realms SET next_id = ?, next_doc = ? WHERE id = ?", (plan.next_id, doc, plan.realm_id)
        )
