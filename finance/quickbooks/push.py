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
- Refused before any call, with a message for the salesperson: a sale not closed, an entity not
  connected, a non-US company whose push settings name no tax code yet, a sale in a currency the
  company cannot book (not its home currency, and multicurrency off as last read).
- The customer is resolved by `customers.py`: the client's link by Id, else the exact name in the
  invoice's currency, else a new one.
- The line item is the connection's push settings' item (by Id); without settings, the company
  setting `invoice_item_name` (default "Services") looked up by name. Never created: an item also
  decides the income account, the bookkeeper's choice.
- Tax: US lines carry `TAX` or `NON`; other countries' lines the chosen TaxCode and the invoice
  `GlobalTaxCalculation` (`TaxExcluded`: the sale's amount is before tax, QuickBooks adds it;
  `TaxInclusive`: the amount includes it, and the line's net is worked out here at the code's rate).
- The invoice is in the sale's currency, never converted: a figure is booked in the currency it
  was agreed in.
- A create that QuickBooks refused with a fault created nothing; the next push uses a new
  `requestid` (QBO answers a repeated one with the first answer, a fault included).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from finance.models import (
    PushSettings,
    QuickBooksConnection,
    QuickBooksSettings,
    RunTrigger,
    SyncAction,
    SyncDirection,
    SyncLogEntry,
    SyncRun,
)
from finance.money import CENT
from finance.quickbooks import customers, runs
from finance.quickbooks.client import CallCounter, QuickBooksClient, quote
from finance.quickbooks.customers import CustomerError, NameTaken, find_named
from finance.quickbooks.errors import QuickBooksError, ValidationFault
from finance.quickbooks.tokens import NotConnectedError, ready_connection, with_client
from sales.models import Sale, SaleStatus

DEFAULT_ITEM_NAME = "Services"
CLAIM_POLL_SECONDS = 0.25  # how often a second push of a sale looks whether the first one has ended
_NOT_FOUND = "610"


class PushError(Exception):
    """The sale was not pushed; the message tells the user why and what to do. `settings_entity`:
    the entity whose push settings an admin can fix it in (the page links there)."""

    def __init__(self, message: str, *, settings_entity_id: int | None = None) -> None:
        super().__init__(message)
        self.settings_entity_id = settings_entity_id


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
    customer: customers.Customer | None = None  # resolved by this push (None when found by stored id)


def invoice_marker(sale: Sale) -> str:
    return f"OW-Sale-{sale.pk}"


def customer_name(sale: Sale) -> str:
    return sale.client.name.strip()


def push_sale_as_invoice(*, sale: Sale, user) -> PushResult:
    """Push `sale` to the QuickBooks company of its entity; raises PushError when it was not pushed."""
    connection = check_pushable(sale)
    run = _claim(sale, connection, user)
    counter = runs.call_counter()
    claimed = Sale.objects.select_related("client", "entity").get(pk=sale.pk)  # as the claim found it
    try:
        outcome = _find_or_create(claimed, connection, counter)
    except (PushError, CustomerError, QuickBooksError, NotConnectedError) as failure:
        raise PushError(_record_failure(run, connection, claimed, failure, counter)) from failure
    except Exception as error:  # a bug: keep it on the run's record, then let it surface
        runs.fail(run, f"Unexpected error: {error!r}", counter=counter, log_message=f"Push failed: {error!r}")
        raise
    result = _record_success(run, connection, claimed, outcome, counter, user)
    sale.refresh_from_db()
    return result


def check_pushable(sale: Sale) -> QuickBooksConnection:
    """The sale's connection, if a push may call QuickBooks at all; else PushError, before any call
    (the sale page asks the same question to explain why it offers no button)."""
    if sale.status != SaleStatus.CLOSED:
        raise PushError(f"Only closed sales can be pushed to QuickBooks; “{sale.name}” is {sale.get_status_display()}.")
    connection = _active_connection(sale)
    push_settings = PushSettings.of(connection)
    if not _is_us(connection, push_settings) and not (push_settings and push_settings.tax_code_id):
        raise PushError(
            f"QuickBooks needs a tax code on every invoice line of {sale.entity}, and none is chosen yet, so "
            f"the sale was not pushed. Ask an admin to choose the tax code for {sale.entity}.",
            settings_entity_id=sale.entity_id,
        )
    home = connection.qb_home_currency
    if sale.currency != home and push_settings is not None and not push_settings.multicurrency:
        raise PushError(
            f"“{sale.name}” was agreed in {sale.currency}, and the QuickBooks company of {sale.entity} keeps its "
            f"books in {home} with multicurrency off, so a {sale.currency} invoice cannot be booked there (and a "
            f"figure is never booked in a currency it was not agreed in). An admin can turn multicurrency on in "
            f"QuickBooks (Account and settings → Advanced → Currency), then open the push settings of "
            f"{sale.entity} so that OtiumWork sees it, and push again.",
            settings_entity_id=sale.entity_id,
        )
    return connection


@dataclass(frozen=True)
class PushPreview:
    """What the sale page says before a push: why it cannot be pushed (and where an admin fixes it),
    or the tax the invoice will carry."""

    blocker: str = ""
    settings_entity_id: int | None = None
    tax: str = ""


def push_preview(sale: Sale) -> PushPreview:
    """For a closed, not yet pushed sale of a connected entity; no call to QuickBooks."""
    try:
        connection = check_pushable(sale)
    except PushError as refusal:
        return PushPreview(blocker=str(refusal), settings_entity_id=refusal.settings_entity_id)
    push_settings = PushSettings.of(connection)
    if _is_us(connection, push_settings):
        taxable = push_settings is not None and push_settings.us_taxable
        return PushPreview(tax="taxable: QuickBooks adds the sales tax" if taxable else "not taxable")
    assert push_settings is not None
    code = push_settings.tax_code_name
    if push_settings.amounts_include_tax:
        return PushPreview(tax=f"including {code}")
    return PushPreview(tax=f"before tax: QuickBooks adds {code}")


def _is_us(connection: QuickBooksConnection, push_settings: PushSettings | None) -> bool:
    """US tax model (TAX/NON): the country QuickBooks gave on the settings page; until then a USD
    company is taken as a US one."""
    if push_settings is not None and push_settings.country:
        return push_settings.is_us
    return connection.qb_home_currency == "USD"


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
    connection: QuickBooksConnection
    realm_id: str
    home_currency: str
    item_name: str
    settings: PushSettings | None
    us: bool
    linked_customer_id: str
    attempt: int  # how many earlier creates of this sale QuickBooks refused

    @classmethod
    def for_sale(cls, sale: Sale, connection: QuickBooksConnection) -> _Plan:
        qb_settings = QuickBooksSettings.objects.filter(company_id=sale.company_id).first()
        push_settings = PushSettings.of(connection)
        return cls(
            sale=sale,
            connection=connection,
            realm_id=connection.realm_id,
            home_currency=connection.qb_home_currency,
            item_name=(qb_settings.invoice_item_name if qb_settings else "") or DEFAULT_ITEM_NAME,
            settings=push_settings,
            us=_is_us(connection, push_settings),
            linked_customer_id=customers.linked_id(sale.client_id, connection, sale.currency),
            attempt=_refused_creates(sale, connection.realm_id),
        )

    def run(self, client: QuickBooksClient) -> _Outcome:
        stored = self._stored_invoice(client)
        if stored is not None:
            return _Outcome(SyncAction.SKIPPED, stored, found_by="stored id")
        currency = self._invoice_currency(client)
        item = self._item(client)
        customer = customers.resolve(
            client,
            name=customer_name(self.sale),
            currency=self.sale.currency,
            home=self.home_currency,
            linked_id=self.linked_customer_id,
            create=lambda body: client.create(
                "Customer", body, request_id=self._request_id("customer", body["DisplayName"])
            ),
        )
        if not customer.created:
            marked = self._marked_invoice(client)
            if marked is not None:
                return _Outcome(SyncAction.SKIPPED, marked, found_by="marker", customer=customer)
        body = invoice_body(self.sale, customer.id, item, currency, self._tax())
        try:
            invoice = client.create("Invoice", body, request_id=self._request_id("invoice"))
        except ValidationFault as fault:
            raise CreateRefused(f"QuickBooks refused the invoice. {fault}") from fault
        return _Outcome(SyncAction.CREATED, invoice, customer=customer)

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
        """None for an invoice in the home currency, else the CurrencyRef to send. Multicurrency as
        the push settings last read it (refused before any call when off), else read now."""
        if self.sale.currency == self.home_currency:
            return None
        if self.settings is not None:
            return self.sale.currency  # check_pushable refused it when multicurrency is off
        prefs = client.preferences().get("CurrencyPrefs") or {}
        home = (prefs.get("HomeCurrency") or {}).get("value") or self.home_currency
        if home == self.sale.currency:
            return None
        if not prefs.get("MultiCurrencyEnabled"):
            raise PushError(
                f"“{self.sale.name}” was agreed in {self.sale.currency}, and the QuickBooks company of "
                f"{self.sale.entity} keeps its books in {home} and has multicurrency off, so a "
                f"{self.sale.currency} invoice cannot be booked there. An admin can turn multicurrency on in "
                f"QuickBooks (Account and settings → Advanced → Currency), then push again.",
                settings_entity_id=self.sale.entity_id,
            )
        return self.sale.currency

    def _item(self, client: QuickBooksClient) -> dict:
        if self.settings is not None and self.settings.item_id:
            return {"Id": self.settings.item_id, "Name": self.settings.item_name}
        items = find_named(client, "Item", "Name", self.item_name, include_inactive=False)
        if not items:
            raise PushError(
                f"QuickBooks has no active product or service named “{self.item_name}”, which pushed invoices "
                f"use as their line item. Create it in QuickBooks, or choose another item in the push "
                f"settings of {self.sale.entity}, then push again.",
                settings_entity_id=self.sale.entity_id,
            )
        return items[0]

    def _tax(self) -> LineTax:
        if self.us:
            return LineTax(code="TAX" if self.settings and self.settings.us_taxable else "NON")
        assert self.settings is not None  # check_pushable refused a non-US push without settings
        return LineTax(
            code=self.settings.tax_code_id,
            calculation="TaxInclusive" if self.settings.amounts_include_tax else "TaxExcluded",
            rate=self.settings.tax_rate or Decimal(0),
        )

    def _marked_invoice(self, client: QuickBooksClient) -> dict | None:
        """The invoice of the signed date carrying the sale's marker, whoever its customer (it may
        have been pushed to the customer a client was linked to before)."""
        where = f"TxnDate = {quote(self.sale.signed_date.isoformat())}"
        marker = invoice_marker(self.sale)
        return next((row for row in client.query_all("Invoice", where) if row.get("PrivateNote") == marker), None)

    def _request_id(self, kind: str, *parts: str) -> str:
        """Stable across retries of one push; new only after QuickBooks refused a create of this sale."""
        seed = "|".join(("otiumwork", kind, self.realm_id, str(self.sale.pk), str(self.attempt), *parts))
        return f"ow-{kind[:3]}-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class LineTax:
    """The tax of a pushed line: US `TAX`/`NON` (calculation empty), else a TaxCode Id, the
    invoice's GlobalTaxCalculation and the code's total rate in percent."""

    code: str
    calculation: str = ""
    rate: Decimal = Decimal(0)


def invoice_body(sale: Sale, customer_id: str, item: dict, currency: str | None, tax: LineTax) -> dict:
    """The QBO Invoice for a sale: one service line for the sale's amount in its currency, the
    marker, and the line's tax code. With amounts including tax, the line's net is the amount less
    the tax at the code's rate, and TaxInclusiveAmt the amount itself, so the total is the amount."""
    amount = sale.amount.quantize(CENT)
    net = amount
    detail: dict[str, Any] = {"ItemRef": {"value": item["Id"], "name": item.get("Name", "")}, "Qty": 1}
    if tax.calculation == "TaxInclusive":
        net = (amount * 100 / (100 + tax.rate)).quantize(CENT)
        detail["TaxInclusiveAmt"] = amount
    detail["UnitPrice"] = net
    detail["TaxCodeRef"] = {"value": tax.code}
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer_id},
        "TxnDate": sale.signed_date.isoformat(),
        "PrivateNote": invoice_marker(sale),
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": net,
                "Description": sale.name,
                "SalesItemLineDetail": detail,
            }
        ],
    }
    if tax.calculation:
        body["GlobalTaxCalculation"] = tax.calculation
    if currency:
        body["CurrencyRef"] = {"value": currency}
    return body


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
    fields = ["qb_realm_id", "qb_invoice_id", "qb_invoice_number", "qb_pushed_at", "qb_pushed_by"]
    if sale.qb_checked_at is None and invoice.get("TotalAmt") is not None:
        # The invoice as QuickBooks answered it, until the next sync looks again.
        sale.qb_currency = (invoice.get("CurrencyRef") or {}).get("value") or connection.qb_home_currency
        sale.qb_total = Decimal(str(invoice["TotalAmt"]))
        sale.qb_balance = Decimal(str(invoice.get("Balance", invoice["TotalAmt"])))
        sale.qb_invoice_gone = ""
        fields += ["qb_currency", "qb_total", "qb_balance", "qb_invoice_gone"]
    sale.save(update_fields=fields)


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
        customer = outcome.customer
        if customer is not None:
            customers.remember(
                client_id=sale.client_id, connection=connection, currency=sale.currency, customer=customer, user=user
            )
        if customer is not None and customer.created:
            runs.log(
                run,
                SyncAction.CREATED,
                f"Customer “{customer.name}” created in QuickBooks for sale “{sale.name}”.",
                object_type="Customer",
                object_ref=customer.id,
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
    refused = isinstance(failure, CreateRefused | NameTaken)
    cause = failure.__cause__ if refused else failure
    if isinstance(cause, QuickBooksError):
        details.update(code=cause.code, intuit_tid=cause.intuit_tid)
    # A refused create made nothing; the next push must not replay that answer with the same requestid.
    details["create_refused"] = refused
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
