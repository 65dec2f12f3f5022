"""An inline SVG line chart of an entity's monthly figures, drawn on the server (no JavaScript, no
chart library): round ticks in the entity's currency, a point per month whose hover title gives its
value with the currency, and the current month, not yet over, drawn dashed and labelled "to date"."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 240, 70, 28, 16

SERIES = (
    ("revenue", "Revenue", "#2563eb"),
    ("expenses", "Expenses", "#dc2626"),
    ("ar_balance", "Open AR", "#059669"),
    ("ap_balance", "Open AP", "#d97706"),
)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    points: str  # the full months, solid
    partial: str  # the last full month to the current month, dashed ("" when the last month is over)
    dots: list[Point]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    x_labels: list[tuple[float, str]]
    y_labels: list[tuple[float, str]]
    currency: str
    partial_month: str
    partial_x: float = 0.0  # where "to date" is written, above the current month


def nice_step(top: float, ticks: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) so that ``ticks`` steps cover ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def tick_text(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            number = value / size
            return f"{number:,.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:,.0f}"


def figures_chart(snapshots, *, currency: str = "", current: date | None = None) -> Chart | None:
    """Chart of the given snapshots, oldest month on the left; None when there is nothing to draw.
    ``current``: the entity's current month, drawn as partial."""
    months = sorted(snapshots, key=lambda snapshot: snapshot.month)
    if not months:
        return None
    highest = max((max(getattr(s, field), Decimal(0)) for s in months for field, _, _ in SERIES), default=Decimal(0))
    step = nice_step(float(highest))
    top = step * max(1, math.ceil(float(highest) / step))
    usable = HEIGHT - PAD_BOTTOM - PAD_TOP

    def y_of(value: Decimal) -> float:
        return HEIGHT - PAD_BOTTOM - float(max(value, Decimal(0))) / top * usable

    x_step = (WIDTH - PAD_LEFT - 40) / max(len(months) - 1, 1)
    xs = [PAD_LEFT + i * x_step for i in range(len(months))]
    partial = bool(current and months[-1].month == current)
    lines = []
    for field, label, color in SERIES:
        coords = [(x, y_of(getattr(s, field))) for x, s in zip(xs, months, strict=True)]
        full = coords[:-1] if partial and len(coords) > 1 else coords
        dashed = coords[-2:] if partial and len(coords) > 1 else []
        dots = [
            Point(x, y, f"{label}, {s.month:%B %Y}{' (to date)' if partial and s is months[-1] else ''}: "
                        f"{currency} {getattr(s, field):,.2f}".replace(":  ", ": "))
            for (x, y), s in zip(coords, months, strict=True)
        ]  # fmt: skip
        lines.append(Line(label, color, _points(full), _points(dashed), dots))
    x_labels = [(x, f"{s.month:%b %y}") for x, s in zip(xs, months, strict=True)]
    ticks = round(top / step)
    y_labels = [(HEIGHT - PAD_BOTTOM - k / ticks * usable, tick_text(step * k)) for k in range(ticks + 1)]
    partial_month = f"{months[-1].month:%B %Y}" if partial else ""
    return Chart(WIDTH, HEIGHT, lines, x_labels, y_labels, currency, partial_month, xs[-1] if partial else 0.0)


def _points(coords: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
