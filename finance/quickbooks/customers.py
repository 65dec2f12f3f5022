"""The QuickBooks customer a client's invoice goes to (docs/push.md, "The customer").

QuickBooks books a customer's invoices in the customer's one currency, so a client has one customer
per connection and currency, remembered by Id in `CustomerLink`. A push resolves, in this order:
1. the linked customer, read by Id: renamed in QuickBooks, it still gets the invoice;
2. the customer whose DisplayName is exactly the client's name (outer spaces removed: QBO trims
   DisplayName when it saves), active or inactive, in the invoice's currency;
3. a new customer. A name already held by a customer in another currency gets the currency appended
   ("Acme Turbines (EUR)"), as QuickBooks users name them; a name held by a vendor or an employee
   (fault 6240: names are unique across the three lists) stays an error that names the holder.

QBO's query parser has rejected non-ASCII characters in string literals (lexical error, 4000): an
exact-name query that fails that way narrows by the longest ASCII run of the name (`LIKE '%run%'`),
or reads the whole list when there is none, and matches the name here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from finance.models import CustomerLink, QuickBooksConnection
from finance.quickbooks.client import QuickBooksClient, quote
from finance.quickbooks.errors import QueryError, QuickBooksError, ValidationFault

NOT_FOUND = "610"
DUPLICATE_NAME = "6240"
_ASCII_RUN = re.compile(r"[\x20-\x7e]+")


class CustomerError(Exception):
    """No customer could be used; the message tells the user why and what to do."""


class NameTaken(CustomerError):
    """QuickBooks refused to create the customer (nothing was made): the next push may ask anew."""


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    created: bool = False
    found_by: str = ""  # "link", "name" or "" when created


def customer_currency(row: dict, home: str) -> str:
    return (row.get("CurrencyRef") or {}).get("value") or home


def resolve(
    client: QuickBooksClient,
    *,
    name: str,
    currency: str,
    home: str,
    linked_id: str,
    create: Callable[[dict], dict],
) -> Customer:
    """The customer of `name` in `currency`: linked, found by name, or made with `create(body)`."""
    linked = _linked(client, linked_id, currency, home) if linked_id else None
    if linked is not None:
        return linked
    found, name_used = _by_name(client, name, currency, home)
    if found is not None:
        return found
    new_name = f"{name} ({currency})" if name_used else name
    body: dict[str, Any] = {"DisplayName": new_name}
    if currency != home:
        body["CurrencyRef"] = {"value": currency}
    try:
        row = create(body)
    except ValidationFault as fault:
        if fault.code != DUPLICATE_NAME:
            raise
        # Another push may just have created it: use it if so.
        again, _ = _by_name(client, new_name, currency, home)
        if again is not None:
            return again
        raise NameTaken(duplicate_name_message(client, new_name)) from fault
    return Customer(str(row["Id"]), str(row.get("DisplayName") or new_name), created=True)


def _linked(client: QuickBooksClient, customer_id: str, currency: str, home: str) -> Customer | None:
    try:
        row = client.read("Customer", customer_id)
    except ValidationFault as fault:
        if fault.code == NOT_FOUND:
            return None  # merged away in QuickBooks: look by name
        raise
    if not row or customer_currency(row, home) != currency:
        return None
    _check_active(row)
    return Customer(str(row["Id"]), str(row.get("DisplayName", "")), found_by="link")


def _by_name(client: QuickBooksClient, name: str, currency: str, home: str) -> tuple[Customer | None, bool]:
    """The customer named `name` in `currency`, else one named "name (currency)" when `name` is
    held by a customer in another currency; and whether `name` is held by such a customer."""
    rows = find_named(client, "Customer", "DisplayName", name, include_inactive=True)
    match = next((r for r in rows if customer_currency(r, home) == currency), None)
    if match is None and rows:
        suffixed = find_named(client, "Customer", "DisplayName", f"{name} ({currency})", include_inactive=True)
        match = next((r for r in suffixed if customer_currency(r, home) == currency), None)
    if match is None:
        return None, bool(rows)
    _check_active(match)
    return Customer(str(match["Id"]), str(match["DisplayName"]), found_by="name"), bool(rows)


def _check_active(row: dict) -> None:
    if row.get("Active") is False:
        raise CustomerError(
            f"The QuickBooks customer “{row.get('DisplayName')}” is inactive. Make it active in QuickBooks, "
            "then push again."
        )


# -- names ---------------------------------------------------------------------------------------


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


def duplicate_name_message(client: QuickBooksClient, name: str) -> str:
    return (
        f"QuickBooks already uses the name “{name}” for {_name_holder(client, name)}, and a customer cannot "
        f"share it (QuickBooks names are unique across customers, vendors and employees). Rename the client "
        f"in OtiumWork or the other record in QuickBooks, then push again."
    )


def _name_holder(client: QuickBooksClient, name: str) -> str:
    for entity, what in (("Vendor", "a vendor"), ("Employee", "an employee")):
        try:
            if find_named(client, entity, "DisplayName", name, include_inactive=True):
                return what
        except QuickBooksError:
            break
    return "a vendor, an employee or another customer (letter case aside)"


# -- links ---------------------------------------------------------------------------------------


def linked_id(client_id: int, connection: QuickBooksConnection, currency: str) -> str:
    link = CustomerLink.objects.filter(
        client_id=client_id, connection=connection, realm_id=connection.realm_id, currency=currency
    ).first()
    return link.qb_customer_id if link else ""


def remember(*, client_id: int, connection: QuickBooksConnection, currency: str, customer: Customer, user) -> None:
    """Keep (or move) the link; called inside the push's storing transaction."""
    CustomerLink.objects.update_or_create(
        client_id=client_id,
        connection=connection,
        currency=currency,
        defaults={
            "realm_id": connection.realm_id,
            "qb_customer_id": customer.id,
            "qb_customer_name": customer.name,
            "updated_by": user,
        },
    )


def relink(client: QuickBooksClient, *, link: CustomerLink, name: str, home: str, user) -> CustomerLink:
    """Point `link` at the QuickBooks customer named exactly `name` (its currency must be the link's)."""
    name = name.strip()
    rows = find_named(client, "Customer", "DisplayName", name, include_inactive=True)
    if not rows:
        raise CustomerError(f"QuickBooks has no customer named “{name}”. Check the spelling, then try again.")
    right = [r for r in rows if customer_currency(r, home) == link.currency]
    if not right:
        kept_in = customer_currency(rows[0], home)
        raise CustomerError(
            f"The QuickBooks customer “{name}” is kept in {kept_in}, and this link is for {link.currency} "
            f"invoices; QuickBooks books a customer's invoices in the customer's currency. Pick a "
            f"{link.currency} customer."
        )
    _check_active(right[0])
    with transaction.atomic():
        link.qb_customer_id, link.qb_customer_name = str(right[0]["Id"]), str(right[0]["DisplayName"])
        link.updated_by = user
        link.save(update_fields=["qb_customer_id", "qb_customer_name", "updated_by", "updated_at"])
    return link
