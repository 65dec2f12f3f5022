"""Push one closed sale to QuickBooks as an invoice, never twice (docs/push.md).

A push looks for the invoice before it creates one, in three layers:
1. the QuickBooks id stored on the sale (read back to check it still exists);
2. the marker `OW-Sale-{id}` in the invoice's PrivateNote. QBO cannot filter on PrivateNote (a
   400 fault), so invoices are narrowed by customer and TxnDate and the marker is checked here;
3. the create itself carries a `requestid` derived from the sale and the realm, so a retry after
   a lost response (timeout, refresh after a 401) gets the first invoice back instead of a second.
Concurrent pushes of one sale are serialised by a claim: the push records itself as the sale's
running push run in a short transaction, and a second push waits until that run has ended. No
database transaction stays open while QuickBooks is called.

Decisions (also in the docs):
- The customer is the one whose DisplayName equals the client's name with outer spaces removed
  (QBO trims DisplayName when it saves, so " Acme " can only ever exist as "Acme"); inner spaces,
  case, quotes and accents must match exactly. Inactive customers are found and reported.
- QBO's query parser has rejected non-ASCII characters in string literals (lexical error, 4000).
  When an exact-name query fails that way, the lookup narrows by the longest ASCII run of the name
  (`LIKE '%run%'`), or reads the whole list when there is none, and matches the name here.
- The line item is the company setting `invoice_item_name` (default "Services"). It is looked up,
  never created: a missing item is reported, since an item also decides the income account.
- A create that QuickBooks refused with a fault created nothing; the next push uses a new
  `requestid` (QBO answers a repeated one with the first answer, a fault included).
- No tax: the invoice carries no tax code or tax detail.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from finance.models import (
    QuickBooksConnection,
    QuickBooksSettings,
    RunTrigger,
    SyncAction,
    SyncDirection,
    SyncLogEntry,
    SyncRun,
)
from finance.money import CENT
from finance.quickbooks import runs
from finance.quickbooks.client import CallCounter, QuickBooksClient, quote
from finance.quickbooks.errors import QueryError, QuickBooksError, ValidationFault
from finance.quickbooks.tokens import NotConnectedError, ready_connection, with_client
from sales.models import Sale, SaleStatus

PUSH_CURRENCY = "USD"  # the sale's USD amount is what is pushed
DEFAULT_ITEM_NAME = "Services"
CLAIM_POLL_SECONDS = 0.25  # how often a second push of a sale looks whether the first one has ended
_ASCII_RUN = re.compile(r"[\x20-\x7e]+")
_NOT_FOUND = "610"
_DUPLICATE_NAME = "6240"


class PushError(Exception):
    """The sale was not pushed; the message tells the user why and what to do."""


class CreateRefused(PushError):
    """QuickBooks answered a create with a fault: nothing was made, so the next push may ask anew."""


@dataclass(frozen=True)
class PushResult:
    action: str  # SyncAction.CREATED or SyncAction.SKIPPED
    invoice_id: str
    invoice_number: str
    message: str


@dataclass(frozen=True)
class _Outcome:
    action: str
    invoice: dict
    found_by: str = ""  # for skipped: "stored id" or "marker"
    customer_created: dict | None = None


def invoice_marker(sale: Sale) -> str:
    return f"OW-Sale-{sale.pk}"


def customer_name(sale: Sale) -> str:
    return sale.client.name.strip()


def push_sale_as_invoice(*, sale: Sale, user) -> PushResult:
    """Push `sale` to the QuickBooks company of its entity; raises PushError when it was not pushed."""
    if sale.status != SaleStatus.CLOSED:
        raise PushError(f"Only closed sales can be pushed to QuickBooks; “{sale.name}” is {sale.get_status_display()}.")
    connection = _active_connection(sale)
    run = _claim(sale, connection, user)
    counter = runs.call_counter()
    claimed = Sale.objects.select_related("client", "entity").get(pk=sale.pk)  # as the claim found it
    try:
        outcome = _find_or_create(claimed, connection, counter)
    except (PushError, QuickBooksError, NotConnectedError) as failure:
        raise PushError(_record_failure(run, connection, claimed, failure, counter)) from failure
    except Exception as error:  # a bug: keep it on the run's record, then let it surface
        runs.fail(run, f"Unexpected error: {error!r}", counter=counter, log_message=f"Push failed: {error!r}")
        raise
    result = _record_success(run, connection, claimed, outcome, counter, user)
    sale.refresh_from_db()
    return result


def _active_connection(sale: Sale) -> QuickBooksConnection:
    connection = QuickBooksConnection.objects.filter(entity_id=sale.entity_id).first()
    if connection is None or not connection.is_active:
        raise PushError(
            f"{sale.entity} is not connected to QuickBooks, so the sale was not pushed. "
            "An admin can connect it on the QuickBooks page."
        )
    return connection


def _claim(sale: Sale, connection: QuickBooksConnection, user) -> SyncRun:
    """Record the push as the sale's running push run, in a short transaction under the sale's row
    lock. While another push of the sale runs, wait for it to end (a double click, a second tab):
    this push then finds its invoice by the stored id. No transaction stays open while QuickBooks
    is called, so nobody else waits on the database meanwhile."""
    deadline = time.monotonic() + runs.longest_run().total_seconds()
    while True:
        with transaction.atomic():
            Sale.objects.select_for_update(of=("self",)).filter(pk=sale.pk).exists()
            runs.close_lost_pushes(sale.pk)
            if not runs.push_under_way(sale.pk) or time.monotonic() > deadline:
                return runs.record(
                    connection=connection,
                    direction=SyncDirection.PUSH,
                    trigger=RunTrigger.PUSH,
                    started_by=user,
                    running=True,
                    sale=sale,
                )
        time.sleep(CLAIM_POLL_SECONDS)


def _find_or_create(sale: Sale, connection: QuickBooksConnection, counter: CallCounter) -> _Outcome:
    """The QuickBooks calls of a claimed push, outside any transaction."""
    if sale.status != SaleStatus.CLOSED:
        raise PushError(f"“{sale.name}” is no longer closed; it was not pushed.")
    if sale.qb_invoice_id and sale.qb_realm_id and sale.qb_realm_id != connection.realm_id:
        raise PushError(
            f"“{sale.name}” was already pushed to another QuickBooks company (realm {sale.qb_realm_id}, "
            f"invoice {sale.qb_invoice_number or sale.qb_invoice_id}); it is not pushed again."
        )
    # A refresh (if due) commits the rotated token pair on its own, before any call.
    connection = ready_connection(connection)
    plan = _Plan.for_sale(sale, connection)
    outcome, _ = with_client(connection, plan.run, counter=counter)
    return outcome


@dataclass(frozen=True)
class _Plan:
    """What one push needs to know before it calls QuickBooks."""

    sale: Sale
    realm_id: str
    home_currency: str
    item_name: str
    attempt: int  # how many earlier creates of this sale QuickBooks refused

    @classmethod
    def for_sale(cls, sale: Sale, connection: QuickBooksConnection) -> _Plan:
        qb_settings = QuickBooksSettings.objects.filter(company_id=sale.company_id).first()
        return cls(
            sale=sale,
            realm_id=connection.realm_id,
            home_currency=connection.qb_home_currency,
            item_name=(qb_settings.invoice_item_name if qb_settings else "") or DEFAULT_ITEM_NAME,
            attempt=_refused_creates(sale, connection.realm_id),
        )

    def run(self, client: QuickBooksClient) -> _Outcome:
        stored = self._stored_invoice(client)
        if stored is not None:
            return _Outcome(SyncAction.SKIPPED, stored, found_by="stored id")
        currency = self._invoice_currency(client)
        name = customer_name(self.sale)
        customer = find_customer(client, name)
        _check_customer(customer, name)
        item = self._item(client)
        created_customer = None
        if customer is None:
            customer = created_customer = self._create_customer(client, name, currency)
        else:
            marked = self._marked_invoice(client, customer["Id"])
            if marked is not None:
                return _Outcome(SyncAction.SKIPPED, marked, found_by="marker")
        body = invoice_body(self.sale, customer, item, currency)
        try:
            invoice = client.create("Invoice", body, request_id=self._request_id("invoice"))
        except ValidationFault as fault:
            raise CreateRefused(f"QuickBooks refused the invoice. {fault}") from fault
        return _Outcome(SyncAction.CREATED, invoice, customer_created=created_customer)

    def _stored_invoice(self, client: QuickBooksClient) -> dict | None:
        if not self.sale.qb_invoice_id:
            return None
        try:
            invoice = client.read("Invoice", self.sale.qb_invoice_id)
        except ValidationFault as fault:
            if fault.code == _NOT_FOUND:
                return None  # deleted in QuickBooks: look for the marker, then create
            raise
        return invoice or None

    def _invoice_currency(self, client: QuickBooksClient) -> str | None:
        """None for a plain invoice (home currency USD), else the CurrencyRef to send."""
        if self.home_currency == PUSH_CURRENCY:
            return None
        prefs = client.preferences().get("CurrencyPrefs") or {}
        home = (prefs.get("HomeCurrency") or {}).get("value") or self.home_currency
        if home == PUSH_CURRENCY:
            return None
        if not prefs.get("MultiCurrencyEnabled"):
            raise PushError(
                f"The QuickBooks company of {self.sale.entity} keeps its books in {home} and has multicurrency "
                f"off, so a USD invoice cannot be booked there. Turn multicurrency on in QuickBooks "
                f"(Account and settings → Advanced → Currency), then push again."
            )
        return PUSH_CURRENCY

    def _item(self, client: QuickBooksClient) -> dict:
        items = find_named(client, "Item", "Name", self.item_name, include_inactive=False)
        if not items:
            raise PushError(
                f"QuickBooks has no active product or service named “{self.item_name}”, which pushed invoices "
                f"use as their line item. Create it in QuickBooks, or choose another item name in the "
                f"QuickBooks settings, then push again."
            )
        return items[0]

    def _create_customer(self, client: QuickBooksClient, name: str, currency: str | None) -> dict:
        body: dict[str, Any] = {"DisplayName": name}
        if currency:
            body["CurrencyRef"] = {"value": currency}
        try:
            return client.create("Customer", body, request_id=self._request_id("customer", name))
        except ValidationFault as fault:
            if fault.code != _DUPLICATE_NAME:
                raise
            # Another push may just have created this customer: use it if so.
            customer = find_customer(client, name)
            if customer is not None and customer.get("Active", True):
                return customer
            raise CreateRefused(_duplicate_name_message(client, name, customer)) from fault

    def _marked_invoice(self, client: QuickBooksClient, customer_id: str) -> dict | None:
        where = f"CustomerRef = {quote(customer_id)} AND TxnDate = {quote(self.sale.signed_date.isoformat())}"
        marker = invoice_marker(self.sale)
        return next((row for row in client.query_all("Invoice", where) if row.get("PrivateNote") == marker), None)

    def _request_id(self, kind: str, *parts: str) -> str:
        """Stable across retries of one push; new only after QuickBooks refused a create of this sale."""
        seed = "|".join(("otiumwork", kind, self.realm_id, str(self.sale.pk), str(self.attempt), *parts))
        return f"ow-{kind[:3]}-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:40]


def invoice_body(sale: Sale, customer: dict, item: dict, currency: str | None) -> dict:
    """The QBO Invoice for a sale: one service line for the USD amount, the marker, no tax."""
    amount = sale.amount_usd.quantize(CENT)
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer["Id"]},
        "TxnDate": sale.signed_date.isoformat(),
        "PrivateNote": invoice_marker(sale),
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": amount,
                "Description": sale.name,
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item["Id"], "name": item.get("Name", "")},
                    "Qty": 1,
                    "UnitPrice": amount,
                },
            }
        ],
    }
    if currency:
        body["CurrencyRef"] = {"value": currency}
    return body


# -- names ---------------------------------------------------------------------------------------


def find_customer(client: QuickBooksClient, name: str) -> dict | None:
    """The customer whose DisplayName is exactly `name`, active or not."""
    matches = find_named(client, "Customer", "DisplayName", name, include_inactive=True)
    return matches[0] if matches else None


def find_named(client: QuickBooksClient, entity: str, field: str, name: str, *, include_inactive: bool) -> list[dict]:
    """Rows of a name list (Customer, Vendor, Employee, Item) whose `field` equals `name` exactly."""
    active = " AND Active IN (true, false)" if include_inactive else ""
    try:
        rows = client.query_all(entity, f"{field} = {quote(name)}{active}")
    except QueryError:
        if name.isascii():
            raise
        rows = client.query_all(entity, _ascii_narrowing(field, name) + active)
    return [row for row in rows if row.get(field) == name]


def _ascii_narrowing(field: str, name: str) -> str:
    """A WHERE clause QBO's parser accepts that still includes every row named `name`."""
    runs = sorted((run.strip() for run in _ASCII_RUN.findall(name)), key=len, reverse=True)
    longest = runs[0].replace("%", "") if runs else ""
    if len(longest) >= 3:
        return f"{field} LIKE {quote('%' + longest + '%')}"
    # Too short to narrow by: every row of the list (paged), matched in Python.
    return "Active IN (true, false)" if field == "DisplayName" else "Active = true"


def _check_customer(customer: dict | None, name: str) -> None:
    if customer is None:
        return
    if customer.get("Active") is False:
        raise PushError(f"The QuickBooks customer “{name}” is inactive. Make it active in QuickBooks, then push again.")
    currency = (customer.get("CurrencyRef") or {}).get("value")
    if currency and currency != PUSH_CURRENCY:
        raise PushError(
            f"The QuickBooks customer “{name}” is kept in {currency}, and QuickBooks books a customer's invoices "
            f"in the customer's currency; this USD sale was not pushed so that it is not booked as {currency}. "
            f"Use a USD customer in QuickBooks for this client, then push again."
        )


def _duplicate_name_message(client: QuickBooksClient, name: str, customer: dict | None) -> str:
    holder = "an inactive customer" if customer is not None else _name_holder(client, name)
    return (
        f"QuickBooks already uses the name “{name}” for {holder}, and a customer cannot share it "
        f"(QuickBooks names are unique across customers, vendors and employees). Rename the client in "
        f"OtiumWork or the other record in QuickBooks, then push again."
    )


def _name_holder(client: QuickBooksClient, name: str) -> str:
    for entity, what in (("Vendor", "a vendor"), ("Employee", "an employee")):
        try:
            if find_named(client, entity, "DisplayName", name, include_inactive=True):
                return what
        except QuickBooksError:
            break
    return "a vendor, an employee or another customer (letter case aside)"


# -- records -------------------------------------------------------------------------------------


def _refused_creates(sale: Sale, realm_id: str) -> int:
    return SyncLogEntry.objects.filter(
        entity_id=sale.entity_id,
        direction=SyncDirection.PUSH,
        action=SyncAction.ERROR,
        object_ref=invoice_marker(sale),
        details__realm_id=realm_id,
        details__create_refused=True,
    ).count()


def _store_on_sale(sale: Sale, outcome: _Outcome, connection: QuickBooksConnection, user) -> None:
    invoice = outcome.invoice
    sale.qb_realm_id = connection.realm_id
    sale.qb_invoice_id = str(invoice["Id"])
    sale.qb_invoice_number = str(invoice.get("DocNumber") or "")
    if not sale.qb_pushed_at:
        sale.qb_pushed_at, sale.qb_pushed_by = timezone.now(), user
    sale.save(update_fields=["qb_realm_id", "qb_invoice_id", "qb_invoice_number", "qb_pushed_at", "qb_pushed_by"])


def _invoice_label(invoice: dict) -> str:
    return invoice.get("DocNumber") or f"id {invoice.get('Id')}"


def _record_success(
    run: SyncRun, connection: QuickBooksConnection, sale: Sale, outcome: _Outcome, counter: CallCounter, user
) -> PushResult:
    """Store the invoice on the sale, log the push and end the run, in one short transaction."""
    invoice, label = outcome.invoice, _invoice_label(outcome.invoice)
    details = {"realm_id": connection.realm_id, "invoice_id": str(invoice["Id"]), "sale_id": sale.pk}
    if outcome.action == SyncAction.CREATED:
        message = f"Sale “{sale.name}” pushed to QuickBooks as invoice {label}."
    else:
        how = "the invoice id stored on the sale" if outcome.found_by == "stored id" else "its marker"
        message = (
            f"Sale “{sale.name}” is already in QuickBooks as invoice {label} (found by {how}); nothing was created."
        )
    with transaction.atomic():
        _store_on_sale(Sale.objects.select_for_update(of=("self",)).get(pk=sale.pk), outcome, connection, user)
        if outcome.customer_created:
            customer = outcome.customer_created
            runs.log(
                run,
                SyncAction.CREATED,
                f"Customer “{customer.get('DisplayName')}” created in QuickBooks for sale “{sale.name}”.",
                object_type="Customer",
                object_ref=str(customer.get("Id", "")),
                details={"realm_id": connection.realm_id, "sale_id": sale.pk},
            )
        runs.log(run, outcome.action, message, object_type="Invoice", object_ref=invoice_marker(sale), details=details)
        run.counts = {outcome.action: 1}
        runs.succeed(run, counter=counter, fields=("counts",))
    return PushResult(outcome.action, str(invoice["Id"]), str(invoice.get("DocNumber") or ""), message)


def _record_failure(
    run: SyncRun, connection: QuickBooksConnection, sale: Sale, failure: Exception, counter: CallCounter
) -> str:
    """End the run as failed with its log line; returns the message for the user."""
    message = f"Sale “{sale.name}” was not pushed to QuickBooks: {failure}"
    details: dict[str, Any] = {"realm_id": connection.realm_id, "sale_id": sale.pk}
    cause = failure.__cause__ if isinstance(failure, CreateRefused) else failure
    if isinstance(cause, QuickBooksError):
        details.update(code=cause.code, intuit_tid=cause.intuit_tid)
    # A refused create made nothing; the next push must not replay that answer with the same requestid.
    details["create_refused"] = isinstance(failure, CreateRefused)
    runs.fail(
        run,
        message,
        counter=counter,
        log_message=message,
        object_type="Invoice",
        object_ref=invoice_marker(sale),
        details=details,
    )
    return message
