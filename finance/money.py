"""Money as the finance module keeps it: ``Decimal`` from parse to database, rounded once to the cent
(half up), and written for people with its currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")


def rounded(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal | str, currency: str = "") -> str:
    """``1,234.50``: thousands separated, two decimals; ``CHF 1,234.50`` with a ``currency``. Text
    (as stored in JSON) is read as the exact decimal it holds."""
    text = f"{Decimal(amount):,.2f}"
    return f"{currency} {text}" if currency else text
