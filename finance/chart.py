"""An inline SVG line chart of an entity's monthly figures (no JavaScript, no chart library)."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 240, 70, 28, 12

SERIES = (
    ("revenue", "Revenue", "#2563eb"),
    ("expenses", "Expenses", "#dc2626"),
    ("ar_balance", "Open AR", "#059669"),
    ("ap_balance", "Open AP", "#d97706"),
)


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    points: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    x_labels: list[tuple[float, str]]
    y_labels: list[tuple[float, str]]


def _scale(value: Decimal, top: Decimal) -> float:
    usable = HEIGHT - PAD_BOTTOM - PAD_TOP
    return HEIGHT - PAD_BOTTOM - float(value / top) * usable if top else HEIGHT - PAD_BOTTOM


def figures_chart(snapshots) -> Chart | None:
    """Chart of the given snapshots, oldest month on the left; None when there is nothing to draw."""
    months = sorted(snapshots, key=lambda snapshot: snapshot.month)
    if not months:
        return None
    top = max(
        (max(getattr(s, field), Decimal(0)) for s in months for field, _, _ in SERIES), default=Decimal(0)
    )
    step = (WIDTH - PAD_LEFT - 30) / max(len(months) - 1, 1)
    xs = [PAD_LEFT + i * step for i in range(len(months))]
    lines = [
        Line(
            label,
            color,
            " ".join(
                f"{x:.1f},{_scale(max(getattr(s, field), Decimal(0)), top):.1f}"
                for x, s in zip(xs, months, strict=True)
            ),
        )
        for field, label, color in SERIES
    ]
    x_labels = [(x, f"{s.month:%b %y}") for x, s in zip(xs, months, strict=True)]
    y_labels = [(_scale(top * k / 4, top), f"{top * k / 4:,.0f}") for k in range(5)]
    return Chart(WIDTH, HEIGHT, lines, x_labels, y_labels)
