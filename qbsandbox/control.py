"""The sandbox's own control API under `/_sandbox/` (not an Intuit path; JSON in and out), and the
`/app/{entity}?txnId=` page standing in for QuickBooks' web app."""

from __future__ import annotations

from typing import Any

from qbsandbox import demo, faults, generate, models, pages, revisions, webhooks, writes
from qbsandbox.catalog import BY_LOWER, CREATABLE
from qbsandbox.exceptions import QboFault
from qbsandbox.responses import HTML, Request, Response, json_response, redirect, text_response
from qbsandbox.store import Store


def _json(body: Any, status: int = 200) -> Response:
    return json_response(body, status, "application/json")


def _body(req: Request) -> dict[str, Any]:
    try:
        body = req.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def apps(req: Request, store: Store) -> Response:
    body = _body(req)
    if not body.get("client_id") or not body.get("client_secret"):
        return _json({"error": "client_id and client_secret are required"}, 400)
    models.register_app(
        store,
        str(body["client_id"]),
        str(body["client_secret"]),
        body.get("redirect_uris") or [],
        rotate_refresh_tokens=bool(body.get("rotate_refresh_tokens", False)),
    )
    return _json(models.get_app(store, str(body["client_id"])), 201)


def realms(req: Request, store: Store) -> Response:
    if req.method == "GET":
        return _json({"realms": models.list_realms(store)})
    body = _body(req)
    realm_id = generate.create_realm(
        store,
        name=str(body.get("name") or "Sandbox Company"),
        currency=str(body.get("currency") or "USD"),
        multicurrency=bool(body.get("multicurrency", False)),
        seed=int(body.get("seed", 0)),
        size=int(body.get("size", 0)),
        today=body.get("today"),
        realm_id=body.get("realm_id"),
    )
    return _json(models.get_realm(store, realm_id), 201)


def clock(req: Request, store: Store) -> Response:
    body = _body(req)
    realm_id = body.get("realm_id") or req.query.get("realm_id")
    if req.method == "POST":
        if "offset_seconds" in body:
            models.set_clock_offset(store, float(body["offset_seconds"]), realm_id)
        models.advance_clock(store, float(body.get("advance_seconds", 0)), realm_id)
    return _json(models.clock(store, realm_id))


def _known_realm(store: Store, realm_id: str) -> Response | None:
    if models.get_realm(store, realm_id) is None:
        return _json({"error": f"unknown realm {realm_id}"}, 404)
    return None


def realm_faults(req: Request, store: Store, realm_id: str) -> Response:
    missing = _known_realm(store, realm_id)
    if missing:
        return missing
    body = _body(req)
    try:
        faults.inject_fault(
            store,
            realm_id,
            str(body.get("kind")),
            count=int(body.get("count", 1)),
            after=int(body.get("after", 0)),
            seconds=float(body.get("seconds", 30)),
            retry_after=body.get("retry_after"),
        )
    except ValueError as exc:
        return _json({"error": str(exc)}, 400)
    return _json({"realm_id": realm_id, **body}, 201)


def calls(req: Request, store: Store, realm_id: str) -> Response:
    return _known_realm(store, realm_id) or _json(models.calls(store, realm_id))


def entities(req: Request, store: Store, realm_id: str, entity: str) -> Response:
    missing = _known_realm(store, realm_id)
    if missing:
        return missing
    name = BY_LOWER.get(entity.lower())
    if name not in CREATABLE:
        return _json({"error": f"cannot insert {entity}"}, 400)
    try:
        inserted = writes.insert_entity(store, realm_id, name, _body(req))
    except QboFault as fault:
        return _json({"Fault": fault.fault_body()}, 400)
    webhooks.notify(store, realm_id, name, inserted, "create")  # a change made "in QuickBooks"
    return _json({name: inserted}, 201)


def change(req: Request, store: Store, realm_id: str, entity: str, entity_id: str, operation: str) -> Response:
    """`POST /_sandbox/realms/{id}/entities/{Type}/{Id}/update|delete|void`: a change made "in
    QuickBooks" (no token), as the Accounting API makes it (SyncToken checked if given, else the
    current one), webhooks notified. `update` takes the fields to change (a sparse update)."""
    missing = _known_realm(store, realm_id)
    if missing:
        return missing
    name = BY_LOWER.get(entity.lower(), entity)
    current = models.load_entity(store.read(), realm_id, name, entity_id)
    if current is None:
        return _json({"error": f"no {name} {entity_id} in realm {realm_id}"}, 404)
    body = {"SyncToken": current["SyncToken"], **_body(req), "Id": current["Id"]}
    try:
        if operation == "update":
            result = revisions.update_entity(store, realm_id, name, {**body, "sparse": True}, sparse=True)
        elif operation == "delete":
            result = revisions.delete_entity_op(store, realm_id, name, body)
        else:
            result = revisions.void_entity(store, realm_id, name, body)
    except QboFault as fault:
        return _json({"Fault": fault.fault_body()}, 400)
    webhooks.notify(store, realm_id, name, result, operation)
    return _json({name: result})


def query(req: Request, store: Store, realm_id: str) -> Response:
    """`GET /_sandbox/realms/{id}/query?query=...`: the QueryResponse object, no token needed (tests'
    look at what the books hold, not counted as an API call)."""
    missing = _known_realm(store, realm_id)
    if missing:
        return missing
    try:
        return _json(models.query_entities(store, realm_id, req.query.get("query", "")))
    except QboFault as fault:
        return _json({"Fault": fault.fault_body()}, 400)


def read(req: Request, store: Store, realm_id: str, entity: str, entity_id: str) -> Response:
    """`GET /_sandbox/realms/{id}/entities/{Type}/{Id}`: one stored entity, as a read answers it."""
    missing = _known_realm(store, realm_id)
    if missing:
        return missing
    name = BY_LOWER.get(entity.lower(), entity)
    try:
        return _json({name: models.read_entity(store, realm_id, name, entity_id)})
    except QboFault as fault:
        return _json({"Fault": fault.fault_body()}, 404 if fault.code == "610" else 400)


def webhook_subscription(req: Request, store: Store) -> Response:
    """`POST /_sandbox/webhooks` `{"url", "verifier_token", "format": "classic"|"cloudevents"}`: where
    notifications of changes go (an empty url stops them). `GET`: the subscription (never the
    token) and the latest deliveries with their outcome."""
    if req.method == "POST":
        body = _body(req)
        try:
            webhooks.subscribe(
                store,
                url=str(body.get("url") or ""),
                verifier_token=str(body.get("verifier_token") or ""),
                body_format=str(body.get("format") or "classic"),
            )
        except ValueError as error:
            return _json({"error": str(error)}, 400)
    return _json({**webhooks.subscription(store), "deliveries": webhooks.deliveries(store)})


def seed_demo(req: Request, store: Store) -> Response:
    """`POST /_sandbox/demo` `{"today": "2025-06-30"}`: the demo companies and app (idempotent)."""
    return _json({"realms": demo.seed_demo_realms(store, today=_body(req).get("today"))}, 201)


# QuickBooks' web app paths of transaction pages (`https://app.qbo.intuit.com/app/{path}?txnId=ID`, and
# `app.sandbox.qbo.intuit.com` for Intuit's sandbox companies) and the entity each one shows.
APP_PATHS = {
    "invoice": "Invoice",
    "recvpayment": "Payment",
    "bill": "Bill",
    "billpayment": "BillPayment",
    "creditmemo": "CreditMemo",
}


def app_page(req: Request, store: Store, entity: str) -> Response:
    """`/app/invoice?txnId=12&realmId=...` (realmId optional: the first realm holding that id); also
    `/app/recvpayment`, `/app/bill`, `/app/billpayment`, `/app/creditmemo` as in QuickBooks."""
    name = APP_PATHS.get(entity.lower()) or BY_LOWER.get(entity.lower(), entity)
    txn_id = req.query.get("txnId", "")
    realm_ids = (
        [req.query["realmId"]]
        if req.query.get("realmId")
        else [r["realm_id"] for r in models.list_realms(store)]
    )
    for realm_id in realm_ids:
        body = models.load_entity(store.read(), realm_id, name, txn_id)
        if body is not None:
            realm = models.get_realm(store, realm_id) or {"name": realm_id}
            return text_response(pages.transaction_page(name, realm["name"], body, realm_id), 200, HTML)
    return text_response(pages.transaction_page(name, "", None), 404, HTML)


def app_change(req: Request, store: Store, entity: str) -> Response:
    """`POST /app/{entity}/change?txnId=&realmId=` from a transaction's page: `change` = `pay` (with
    `amount`; invoices), `void` or `delete`, made as the Accounting API makes them, webhooks
    notified; then back to the page."""
    name = APP_PATHS.get(entity.lower()) or BY_LOWER.get(entity.lower(), entity)
    realm_id, txn_id = req.query.get("realmId", ""), req.query.get("txnId", "")
    body = models.load_entity(store.read(), realm_id, name, txn_id) if realm_id else None
    if body is None:
        return text_response(pages.transaction_page(name, "", None), 404, HTML)
    form = req.form()
    try:
        if form.get("change") == "pay" and name == "Invoice":
            line = {"Amount": form.get("amount", ""), "LinkedTxn": [{"TxnId": body["Id"], "TxnType": "Invoice"}]}
            payment = {"CustomerRef": body["CustomerRef"], "TotalAmt": form.get("amount", ""), "Line": [line]}
            if body.get("CurrencyRef"):
                payment["CurrencyRef"] = body["CurrencyRef"]
            created = writes.create_entity(store, realm_id, "Payment", payment)
            webhooks.notify(store, realm_id, "Payment", created, "create")
        elif form.get("change") in ("void", "delete"):
            identity = {"Id": body["Id"], "SyncToken": body["SyncToken"]}
            change = revisions.void_entity if form["change"] == "void" else revisions.delete_entity_op
            webhooks.notify(store, realm_id, name, change(store, realm_id, name, identity), form["change"])
        else:
            return text_response(pages.error_page("Unknown change."), 400, HTML)
    except QboFault as fault:
        return text_response(pages.error_page(f"{fault.message}: {fault.detail}"), 400, HTML)
    back = req.path.rsplit("/change", 1)[0]
    return redirect(f"{req.base_url}{back}?txnId={txn_id}&realmId={realm_id}")
