"""An admin's push settings of one connection, chosen from the QuickBooks company's own lists, and
the client-to-customer links they can move (docs/push.md, "Push settings").

The lists (active items, tax codes with their rates, the company's country and multicurrency) are
read from QuickBooks in one batch call when the settings page opens, and kept for
`CHOICES_SECONDS` so that saving the form does not call again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache

from finance.models import CustomerLink, PushSettings, QuickBooksConnection
from finance.quickbooks import customers
from finance.quickbooks.client import QuickBooksClient
from finance.quickbooks.errors import QuickBooksError
from finance.quickbooks.tokens import NotConnectedError, with_client

CHOICES_SECONDS = 300
US_CODES = ("TAX", "NON")


class Unavailable(Exception):
    """QuickBooks could not be asked (needs reconnect, unreachable, refused): the message says so."""


@dataclass(frozen=True)
class TaxChoice:
    id: str
    name: str
    rate: Decimal  # percent, the sum of the code's sales rates

    @property
    def label(self) -> str:
        return f"{self.name} ({self.rate.normalize():f}%)"


@dataclass(frozen=True)
class Choices:
    country: str
    home_currency: str
    multicurrency: bool
    items: tuple[tuple[str, str], ...]  # (Id, Name) of the active items
    tax_codes: tuple[TaxChoice, ...]  # active, non-US companies only

    @property
    def is_us(self) -> bool:
        return self.country == "US"

    def item_name(self, item_id: str) -> str | None:
        return next((name for i, name in self.items if i == item_id), None)

    def tax_code(self, code_id: str) -> TaxChoice | None:
        return next((code for code in self.tax_codes if code.id == code_id), None)


def _cache_key(connection: QuickBooksConnection) -> str:
    return f"quickbooks-push-choices:{connection.pk}:{connection.realm_id}"


def push_choices(connection: QuickBooksConnection, *, fresh: bool = False) -> Choices:
    """The company's lists, from the cache unless `fresh`; what QuickBooks said of its country and
    multicurrency is kept on the push settings (a push reads them before any call)."""
    choices = None if fresh else cache.get(_cache_key(connection))
    if choices is None:
        try:
            choices, _ = with_client(connection, read_choices)
        except (QuickBooksError, NotConnectedError) as error:
            raise Unavailable(f"QuickBooks could not be asked for the lists of {connection.entity}: {error}") from error
        cache.set(_cache_key(connection), choices, CHOICES_SECONDS)
        _remember_company(connection, choices)
    return choices


def _remember_company(connection: QuickBooksConnection, choices: Choices) -> None:
    """Keep what QuickBooks said of the company; choices made in another company are dropped."""
    facts = {"realm_id": connection.realm_id, "country": choices.country, "multicurrency": choices.multicurrency}
    updated = PushSettings.objects.filter(connection=connection, realm_id=connection.realm_id).update(**facts)
    if not updated:
        PushSettings.objects.update_or_create(
            connection=connection,
            defaults={
                **facts,
                "item_id": "",
                "item_name": "",
                "tax_code_id": "",
                "tax_code_name": "",
                "tax_rate": None,
                "amounts_include_tax": False,
                "us_taxable": False,
            },
        )


def read_choices(client: QuickBooksClient) -> Choices:
    """One batch call: CompanyInfo, Preferences, the items, the tax codes and the tax rates."""
    answers = client.query_many(
        {
            "company": "SELECT * FROM CompanyInfo",
            "preferences": "SELECT * FROM Preferences",
            "items": "SELECT * FROM Item WHERE Active = true MAXRESULTS 1000",
            "codes": "SELECT * FROM TaxCode MAXRESULTS 1000",
            "rates": "SELECT * FROM TaxRate MAXRESULTS 1000",
        }
    )
    company = (answers["company"].get("CompanyInfo") or [{}])[0]
    prefs = ((answers["preferences"].get("Preferences") or [{}])[0]).get("CurrencyPrefs") or {}
    country = str(company.get("Country") or "US")
    rates = {str(r["Id"]): Decimal(str(r.get("RateValue", 0))) for r in answers["rates"].get("TaxRate", [])}
    items = tuple(
        sorted(
            ((str(i["Id"]), str(i["Name"])) for i in answers["items"].get("Item", []) if i.get("Type") != "Category"),
            key=lambda pair: pair[1].lower(),
        )
    )
    codes = tuple(
        TaxChoice(str(code["Id"]), str(code["Name"]), _code_rate(code, rates))
        for code in answers["codes"].get("TaxCode", [])
        if code.get("Active", True) and not code.get("Hidden") and str(code["Id"]) not in US_CODES
    )
    return Choices(
        country=country,
        home_currency=str((prefs.get("HomeCurrency") or {}).get("value") or ""),
        multicurrency=bool(prefs.get("MultiCurrencyEnabled")),
        items=items,
        tax_codes=() if country == "US" else codes,
    )


def _code_rate(code: dict, rates: dict[str, Decimal]) -> Decimal:
    details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    return sum((rates.get(str(d["TaxRateRef"]["value"]), Decimal(0)) for d in details), Decimal(0))


class SettingsError(Exception):
    """The choice is not (or no longer) one of the company's; the message says which."""


def save_push_settings(
    *,
    connection: QuickBooksConnection,
    choices: Choices,
    item_id: str,
    tax_code_id: str,
    amounts_include_tax: bool,
    us_taxable: bool,
    user,
) -> PushSettings:
    item_name = choices.item_name(item_id)
    if item_name is None:
        raise SettingsError("Choose one of the company's active products and services.")
    values = {
        "realm_id": connection.realm_id,
        "country": choices.country,
        "multicurrency": choices.multicurrency,
        "item_id": item_id,
        "item_name": item_name,
        "updated_by": user,
    }
    if choices.is_us:
        values.update(tax_code_id="", tax_code_name="", tax_rate=None, amounts_include_tax=False, us_taxable=us_taxable)
    else:
        code = choices.tax_code(tax_code_id)
        if code is None:
            raise SettingsError("Choose one of the company's tax codes: QuickBooks refuses invoice lines without one.")
        values.update(
            tax_code_id=code.id,
            tax_code_name=code.name,
            tax_rate=code.rate,
            amounts_include_tax=amounts_include_tax,
            us_taxable=False,
        )
    push_settings, _ = PushSettings.objects.update_or_create(connection=connection, defaults=values)
    return push_settings


def relink_customer(*, link: CustomerLink, name: str, user) -> CustomerLink:
    """Point a client's link at the QuickBooks customer named `name` (one or two queries)."""
    connection = link.connection
    home = connection.qb_home_currency
    try:
        relinked, _ = with_client(
            connection, lambda client: customers.relink(client, link=link, name=name, home=home, user=user)
        )
    except (QuickBooksError, NotConnectedError) as error:
        raise Unavailable(f"QuickBooks could not be asked for the customer “{name.strip()}”: {error}") from error
    return relinked
