"""Handlers of the Accounting API v3 (`/v3/company/{realmId}/...`): token check, call counting,
injected faults, then query / read / create / batch / companyinfo / preferences / reports."""

from __future__ import annotations

import time
from typing import Any

from qbsandbox import cdc, faults, models, reports, revisions, webhooks, writes
from qbsandbox import entities as build
from qbsandbox.catalog import BY_LOWER, CREATABLE, KNOWN
from qbsandbox.clock import response_time
from qbsandbox.exceptions import (
    QboFault,
    business_validation,
    internal_error_fault,
    object_not_found,
    throttle_response,
    unsupported_operation,
)
from qbsandbox.responses import JSON_FAULT, JSON_OK, Request, Response, json_response
from qbsandbox.store import Store
from qbsandbox.tokens import check_access, revoke_realm

BATCH_LIMIT = 30


def call_kind(method: str, rest: str) -> str:
    head = rest.split("/")[0].lower()
    if head in ("query", "batch", "companyinfo", "preferences", "cdc"):
        return head
    if head == "reports":
        return "report"
    return "create" if method == "POST" else "read"


def handle(req: Request, store: Store, realm_id: str, rest: str) -> Response:
    """Everything under `/v3/company/{realmId}/`."""
    models.count_call(store, realm_id, call_kind(req.method, rest))
    check_access(store, req.headers, realm_id)
    injected = _injected_fault(store, realm_id)
    if injected is not None:
        return injected
    request_id = req.query.get("requestid") if req.method == "POST" else None
    if request_id:
        seen = models.recall_request(store, realm_id, request_id)
        if seen is not None:
            status, body = seen
            return Response(status, body.encode("utf-8"), JSON_OK if status == 200 else JSON_FAULT)
    response = _route(req, store, realm_id, rest)
    if request_id and response.status in (200, 400):
        models.remember_request(store, realm_id, request_id, response.status, response.body.decode("utf-8"))
    return response


def _injected_fault(store: Store, realm_id: str) -> Response | None:
    fault = faults.take_fault(store, realm_id)
    if fault is None:
        return None
    if fault["kind"] == "throttle":
        return throttle_response(store.now(realm_id), fault["retry_after"])
    if fault["kind"] == "error":
        raise internal_error_fault()
    if fault["kind"] == "hang":
        time.sleep(fault["seconds"])  # only this request's thread waits
    if fault["kind"] == "revoke":
        revoke_realm(store, realm_id)
    return None


def _route(req: Request, store: Store, realm_id: str, rest: str) -> Response:
    parts = [p for p in rest.split("/") if p]
    head = parts[0].lower() if parts else ""
    try:
        if head == "query" and len(parts) == 1:
            text = req.query.get("query") if req.method == "GET" else req.text()
            return _envelope(
                store, realm_id, "QueryResponse", models.query_entities(store, realm_id, text or "", raw=True)
            )
        if head == "batch" and len(parts) == 1 and req.method == "POST":
            return _batch(req, store, realm_id)
        if head == "companyinfo" and len(parts) == 2 and req.method == "GET":
            if parts[1] != realm_id:
                raise object_not_found()
            return _entity(
                store, realm_id, "CompanyInfo", models.read_entity(store, realm_id, "CompanyInfo", "1")
            )
        if head == "preferences" and len(parts) == 1 and req.method == "GET":
            return _entity(
                store, realm_id, "Preferences", models.read_entity(store, realm_id, "Preferences", "1")
            )
        if head == "preferences" and len(parts) == 1 and req.method == "POST":
            return _entity(store, realm_id, "Preferences", revisions.update_preferences(store, realm_id, req.json()))
        if head == "cdc" and len(parts) == 1 and req.method == "GET":
            return _envelope(store, realm_id, "CDCResponse", [cdc.changes(store, realm_id, req.query)])
        if head == "exchangerate" and len(parts) == 1 and req.method == "GET":
            return _entity(store, realm_id, "ExchangeRate", _exchange_rate(store, realm_id, req.query))
        if head == "reports" and len(parts) == 2 and req.method == "GET" and parts[1] in reports.AGING:
            return json_response(reports.aging_report(store, realm_id, parts[1], req.query))
        entity = BY_LOWER.get(head)
        if entity and len(parts) == 2 and req.method == "GET":
            body = models.read_entity(store, realm_id, entity, parts[1])
            if entity == "Invoice" and "invoicelink" in req.query.get("include", "").lower():
                body = build.with_invoice_link(body, realm_id)
            return _entity(store, realm_id, entity, body)
        if entity and len(parts) == 1 and req.method == "POST":
            return _entity(store, realm_id, entity, _write(store, realm_id, entity, req.json(), req.query))
    except ValueError as exc:  # a body that is not JSON
        raise QboFault("2010", "Request has invalid or unsupported property", str(exc)[:200]) from exc
    raise unsupported_operation(f"/v3/company/{realm_id}/{rest}", req.base_url)


def _write(store: Store, realm_id: str, entity: str, body: Any, query: dict[str, str]) -> dict[str, Any]:
    operation = query.get(
        "operation", "create" if not (isinstance(body, dict) and body.get("Id")) else "update"
    )
    # Payments and bill payments are voided as an update with `include=void` (Intuit's reference).
    if operation == "update" and query.get("include", "").lower() == "void":
        operation = "void"
    return _operate(store, realm_id, entity, operation, body)


def _operate(store: Store, realm_id: str, entity: str, operation: str, body: Any) -> dict[str, Any]:
    """One write; once it is saved, its webhook notification goes out (if anyone subscribed)."""
    result = _change(store, realm_id, entity, operation, body)
    webhooks.notify(store, realm_id, entity, result, operation)
    return result


def _change(store: Store, realm_id: str, entity: str, operation: str, body: Any) -> dict[str, Any]:
    if operation == "create":
        return writes.create_entity(store, realm_id, entity, body)
    if operation == "update":
        sparse = isinstance(body, dict) and body.get("sparse") in (True, "true")
        return revisions.update_entity(store, realm_id, entity, body, sparse=sparse)
    if operation == "delete":
        return revisions.delete_entity_op(store, realm_id, entity, body)
    if operation == "void":
        return revisions.void_entity(store, realm_id, entity, body)
    raise QboFault(
        "500",
        "Unsupported Operation",
        f"Operation {operation} is not supported for {entity} by the local sandbox.",
        None,
    )


def _exchange_rate(store: Store, realm_id: str, query: dict[str, str]) -> dict[str, Any]:
    """`GET exchangerate?sourcecurrencycode=EUR&asofdate=2025-06-30`: the rate into the home currency."""
    source = query.get("sourcecurrencycode", "").upper()
    if not source:
        raise QboFault("2020", "Required param missing, need to supply the required value for the API",
                       "Required parameter sourcecurrencycode is missing in the request", "sourcecurrencycode")
    rates = models.exchange_rates(store, realm_id, query.get("asofdate") or None)
    found = next((rate for rate in rates if rate["SourceCurrencyCode"] == source), None)
    if found is None:
        raise object_not_found()
    return found


def _entity(store: Store, realm_id: str, entity: str, body: dict[str, Any]) -> Response:
    return _envelope(store, realm_id, entity, body)


def _envelope(store: Store, realm_id: str, key: str, value: Any) -> Response:
    return json_response({key: value, "time": response_time(store.now(realm_id))})


def _batch(req: Request, store: Store, realm_id: str) -> Response:
    items = (req.json() or {}).get("BatchItemRequest") or []
    if len(items) > BATCH_LIMIT:
        raise business_validation(f"A batch holds at most {BATCH_LIMIT} items; this one has {len(items)}.")
    out = [_batch_item(store, realm_id, item) for item in items]
    return _envelope(store, realm_id, "BatchItemResponse", out)


def _batch_item(store: Store, realm_id: str, item: dict[str, Any]) -> dict[str, Any]:
    try:
        if "Query" in item:
            result: dict[str, Any] = {
                "QueryResponse": models.query_entities(store, realm_id, str(item["Query"]), raw=True)
            }
        else:
            entity = next((key for key in item if key in KNOWN), None)
            if entity not in CREATABLE:
                raise QboFault("500", "Unsupported Operation", "No supported entity in the batch item.", "")
            operation = str(item.get("operation", "create"))
            result = {entity: _operate(store, realm_id, entity, operation, item[entity])}
    except QboFault as fault:
        if fault.element is None:  # batch items always carry `element`, empty when nothing applies
            fault.element = ""
        result = {"Fault": fault.fault_body()}
    result["bId"] = item.get("bId")
    return result
