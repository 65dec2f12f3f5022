"""Changes to stored entities as QBO makes them: full and sparse update, delete and void, for every
entity the sandbox creates, keeping `SyncToken`, `MetaData.LastUpdatedTime`, balances and links right.

One path for all of them: check the SyncToken (a stale one is QBO's fault 5010), undo what the old
version did to other rows (a payment's credit to its invoices, a transaction's links), build the new
version through the entity's own creator (so an update is validated exactly as a create), then
recompute the balances of the customers and vendors involved from their documents. Every row a
change touches gets SyncToken + 1 and a new `MetaData.LastUpdatedTime`, which is what a change data
capture endpoint reads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbsandbox import entities as build
from qbsandbox.catalog import CREATABLE
from qbsandbox.clock import meta_time
from qbsandbox.exceptions import QboFault, business_validation, object_not_found, required_param, stale_object
from qbsandbox.models import delete_entity
from qbsandbox.store import Store
from qbsandbox.writes import Ctx, build_entity

# Fields a client may not change: QBO keeps its own values whatever the request says.
SYSTEM = ("Id", "SyncToken", "MetaData", "domain", "sparse")
# What a payment applies to, and the link type the target records.
APPLIES = {"Payment": ("Invoice", "Payment"), "BillPayment": ("Bill", "BillPaymentCheck")}
PAID_BY = {"Invoice": "Payment", "Bill": "BillPayment"}
PARTY = {
    "Invoice": ("Customer", "CustomerRef"),
    "CreditMemo": ("Customer", "CustomerRef"),
    "Payment": ("Customer", "CustomerRef"),
    "Bill": ("Vendor", "VendorRef"),
    "BillPayment": ("Vendor", "VendorRef"),
}
VOIDABLE = {"Invoice", "Payment", "BillPayment"}
DELETABLE = {"Invoice", "CreditMemo", "Payment", "Bill", "BillPayment"}
NAMES = {"Customer", "Vendor", "Employee", "Item"}  # QBO never deletes these: they are made inactive


def _check_request(entity: str, req: Any, operation: str) -> None:
    if entity not in CREATABLE:
        raise QboFault("500", "Unsupported Operation", f"Operation {operation} is not supported for {entity}.", None)
    if not isinstance(req, dict):
        raise QboFault("2010", "Request has invalid or unsupported property", "The request body is not an object")
    if not req.get("Id"):
        raise required_param("Id")
    if req.get("SyncToken") in (None, ""):
        raise required_param("SyncToken")


def _current(ctx: Ctx, entity: str, req: dict[str, Any]) -> dict[str, Any]:
    body = ctx.load(entity, req["Id"])
    if body is None:
        raise object_not_found()
    if str(req["SyncToken"]) != str(body["SyncToken"]):
        raise stale_object()
    return body


def _run(store: Store, realm_id: str, entity: str, req: Any, operation: str, change: Any) -> dict[str, Any]:
    _check_request(entity, req, operation)
    now, today = store.now(realm_id), store.today(realm_id)
    with store.write() as db:
        realm = db.execute("SELECT * FROM realms WHERE id = ?", (realm_id,)).fetchone()
        ctx = Ctx(db, realm, now, today)
        old = _current(ctx, entity, req)
        return change(ctx, entity, old, req)


def update_entity(store: Store, realm_id: str, entity: str, req: Any, *, sparse: bool) -> dict[str, Any]:
    """`POST /{entity}` with Id and SyncToken. Sparse: only the fields sent change. Full: the request
    is the whole new entity (optional fields it leaves out are cleared)."""
    return _run(store, realm_id, entity, req, "update", lambda c, e, old, r: _update(c, e, old, r, sparse))


def delete_entity_op(store: Store, realm_id: str, entity: str, req: Any) -> dict[str, Any]:
    """`?operation=delete`: the row is gone; QBO answers a stub with `status` Deleted."""
    if entity in NAMES:
        raise QboFault(
            "500", "Unsupported Operation",
            f"Operation delete is not supported for {entity}: QuickBooks makes it inactive (Active false).", None,
        )
    return _run(store, realm_id, entity, req, "delete", _delete)


def void_entity(store: Store, realm_id: str, entity: str, req: Any) -> dict[str, Any]:
    """Void: the row stays with every amount 0 and `PrivateNote` "Voided"; what it paid is open again."""
    if entity not in VOIDABLE:
        raise QboFault("500", "Unsupported Operation", f"Operation void is not supported for {entity}.", None)
    return _run(store, realm_id, entity, req, "void", _void)


# -- the three changes ---------------------------------------------------------------------------------
def _update(ctx: Ctx, entity: str, old: dict[str, Any], req: dict[str, Any], sparse: bool) -> dict[str, Any]:
    wanted = {k: v for k, v in req.items() if k not in SYSTEM}
    merged = {**old, **wanted} if sparse else {**_identity(old), **wanted}
    _unapply(ctx, entity, old)
    ctx.fixed_id = int(old["Id"])
    body = build_entity(ctx, entity, merged)
    _carry_payments(entity, old, body)
    _stamp(ctx, body, old)
    ctx.save(entity, body)
    _refresh_parties(ctx, entity, old, body)
    return body


def _identity(old: dict[str, Any]) -> dict[str, Any]:
    """What a full update keeps when the request leaves it out: numbering and dates QBO assigned."""
    return {k: old[k] for k in ("DocNumber", "TxnDate", "DueDate", "CurrencyRef", "ExchangeRate") if k in old}


def _delete(ctx: Ctx, entity: str, old: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
    _unapply(ctx, entity, old)
    _unlink_payments(ctx, entity, old)
    delete_entity(ctx.db, ctx.realm_id, entity, old["Id"], when=ctx.now)
    _refresh_parties(ctx, entity, old, old)
    return {"domain": "QBO", "status": "Deleted", "Id": old["Id"]}


def _void(ctx: Ctx, entity: str, old: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
    _unapply(ctx, entity, old)
    _unlink_payments(ctx, entity, old)
    body = dict(old)
    if entity == "Invoice":
        build.void_invoice(body, ctx.now)
    else:
        body.update(TotalAmt=build.ZERO, Line=[], PrivateNote="Voided")
        if "UnappliedAmt" in body:
            body["UnappliedAmt"] = build.ZERO
        if "HomeTotalAmt" in body:
            body["HomeTotalAmt"] = build.ZERO
        build.touch(body, ctx.now)
    ctx.save(entity, body)
    _refresh_parties(ctx, entity, old, body)
    return body


# -- links and balances --------------------------------------------------------------------------------
def _applied(payment: dict[str, Any], target: str) -> list[tuple[str, Decimal]]:
    return [
        (str(link["TxnId"]), Decimal(str(line["Amount"])))
        for line in payment.get("Line") or []
        for link in line.get("LinkedTxn") or []
        if link.get("TxnType") == target
    ]


def _unapply(ctx: Ctx, entity: str, payment: dict[str, Any]) -> None:
    """Give back to each invoice (bill) what this payment paid on it, and drop the link."""
    if entity not in APPLIES:
        return
    target, txn_type = APPLIES[entity]
    for txn_id, amount in _applied(payment, target):
        body = ctx.load(target, txn_id)
        if body is None:
            continue
        build.set_balance(body, body["Balance"] + amount)
        body["LinkedTxn"] = [
            link for link in body.get("LinkedTxn") or []
            if not (link.get("TxnId") == payment["Id"] and link.get("TxnType") == txn_type)
        ]
        build.touch(body, ctx.now)
        ctx.save(target, body)


def _unlink_payments(ctx: Ctx, entity: str, target: dict[str, Any]) -> None:
    """An invoice (bill) that is voided or deleted leaves its payments' amounts unapplied, as QBO does."""
    if entity not in PAID_BY:
        return
    payment_type = PAID_BY[entity]
    for link in target.get("LinkedTxn") or []:
        payment = ctx.load(payment_type, link.get("TxnId"))
        if payment is None:
            continue
        kept, freed = [], build.ZERO
        for line in payment.get("Line") or []:
            links = line.get("LinkedTxn") or []
            if any(lt.get("TxnId") == target["Id"] and lt.get("TxnType") == entity for lt in links):
                freed += Decimal(str(line["Amount"]))
            else:
                kept.append(line)
        payment["Line"] = kept
        if "UnappliedAmt" in payment:
            payment["UnappliedAmt"] = Decimal(str(payment["UnappliedAmt"])) + freed
        build.touch(payment, ctx.now)
        ctx.save(payment_type, payment)


def _carry_payments(entity: str, old: dict[str, Any], body: dict[str, Any]) -> None:
    """An updated invoice (bill) keeps what was already paid on it and its payment links."""
    if entity not in PAID_BY:
        return
    paid = Decimal(str(old["TotalAmt"])) - Decimal(str(old["Balance"]))
    if paid > body["TotalAmt"]:
        raise business_validation(f"The new total is less than the {paid} already paid on {entity} {old['Id']}.")
    links = [link for link in old.get("LinkedTxn") or [] if link.get("TxnType") in ("Payment", "BillPaymentCheck")]
    if links and body[PARTY[entity][1]]["value"] != old[PARTY[entity][1]]["value"]:
        raise business_validation(f"{entity} {old['Id']} has payments: its {PARTY[entity][0].lower()} cannot change.")
    build.set_balance(body, body["TotalAmt"] - paid)
    body["LinkedTxn"] = [*(link for link in body.get("LinkedTxn") or [] if link not in links), *links]


def _stamp(ctx: Ctx, body: dict[str, Any], old: dict[str, Any]) -> None:
    body["MetaData"] = {**old["MetaData"], "LastUpdatedTime": meta_time(ctx.now)}
    body["SyncToken"] = str(int(old["SyncToken"]) + 1)


def _refresh_parties(ctx: Ctx, entity: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    if entity in ("Customer", "Vendor"):
        refresh_balance(ctx, entity, new["Id"])
        return
    if entity not in PARTY:
        return
    party, key = PARTY[entity]
    for party_id in {old[key]["value"], new[key]["value"]}:
        refresh_balance(ctx, party, party_id)


def refresh_balance(ctx: Ctx, party: str, party_id: str) -> None:
    """A customer's Balance is its open invoices less its open credit memos; a vendor's its open bills."""
    body = ctx.load(party, party_id)
    if body is None:
        return
    docs = ("Invoice", "CreditMemo") if party == "Customer" else ("Bill",)
    column = "customer_ref" if party == "Customer" else "vendor_ref"
    total = build.ZERO
    for doc, sign in zip(docs, (1, -1), strict=False):
        cents = ctx.db.execute(
            f"SELECT COALESCE(SUM(balance), 0) FROM entities WHERE realm_id = ? AND type = ? AND {column} = ?",  # noqa: S608
            (ctx.realm_id, doc, int(party_id)),
        ).fetchone()[0]
        total += sign * (Decimal(cents) / 100)
    body["Balance"] = build.round2(total) if total else build.ZERO
    if "BalanceWithJobs" in body:
        body["BalanceWithJobs"] = body["Balance"]
    ctx.save(party, body)


# -- preferences ---------------------------------------------------------------------------------------
# Blocks of Preferences a client may change through the API (Intuit: "mostly read-only"); the rest
# (currency, tax, accounting basics) keep the company's values whatever the request says.
WRITABLE_PREFERENCES = (
    "EmailMessagesPrefs", "SalesFormsPrefs", "ProductAndServicesPrefs", "VendorAndPurchasesPrefs",
    "TimeTrackingPrefs", "ReportPrefs", "OtherPrefs",
)


def update_preferences(store: Store, realm_id: str, req: Any) -> dict[str, Any]:
    """`POST /preferences` with the SyncToken read: the writable blocks sent are merged in."""
    if not isinstance(req, dict):
        raise QboFault("2010", "Request has invalid or unsupported property", "The request body is not an object")
    now = store.now(realm_id)
    with store.write() as db:
        realm = db.execute("SELECT * FROM realms WHERE id = ?", (realm_id,)).fetchone()
        ctx = Ctx(db, realm, now, "")
        old = _current(ctx, "Preferences", {"Id": "1", "SyncToken": req.get("SyncToken", "")})
        body = dict(old)
        for block in WRITABLE_PREFERENCES:
            if isinstance(req.get(block), dict):
                body[block] = _merge(old.get(block) or {}, req[block])
        _stamp(ctx, body, old)
        ctx.save("Preferences", body)
        return body


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
