"""Money as the finance module keeps it: ``Decimal`` from parse to database, rounded once to the cent
(half up), and written for people with its currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")


def rounded(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    """``1,234.50``: thousands separated, two decimals."""
    return f"{amount:,.2f}"
