"""The snapshot table tells where each figure comes from (synced, edited by hand inside the window and
replaced at the next sync, entered by hand and kept outside it), marks the current month "to date",
names each column's currency; the drill-down of a month never synced says so, and one outside the
window does not promise a replacement. Amounts beyond what every database gives back exactly are
refused with a clear error; the chart has round ticks, hover values with the currency and the
current month drawn as partial."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finance.chart import figures_chart, nice_step, tick_text
from finance.drilldown_pages import spreadsheet_safe
from finance.models import MonthlySnapshot, QuickBooksConnection
from finance.quickbooks.figures import month_start
from finance.quickbooks.pull import sync_connection
from tests import qbo
from tests.builders import make_snapshot
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced_entity(client, admin_user, entity, local_quickbooks):
    """The entity synced today, with one invoice of 100.00 this month, and a month two years ago
    entered by hand."""
    client.force_login(admin_user)
    today = timezone.localdate(timezone=entity.zone)
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Source Books"))
    books.invoice(today.isoformat(), "100.00")
    qbo.connect(client, entity, books.realm)
    run = sync_connection(connection=QuickBooksConnection.objects.get(entity=entity), trigger="manual")
    assert run.status == "success", run.error_message
    make_snapshot(entity, date(today.year - 2, 1, 1), revenue=Decimal("5"))
    return month_start(today)


def row(html: str, month: date) -> str:
    return html.split(f'id="month-{month:%Y-%m}"', 1)[1].split("</tr>", 1)[0]


def test_each_month_says_where_its_figures_come_from(client, entity, synced_entity):
    current = synced_entity
    previous = month_start(current - timedelta(days=1))
    MonthlySnapshot.objects.filter(entity=entity, month=previous).update(revenue=Decimal("42.00"))
    html = client.get(reverse("finance:snapshots", args=[entity.pk])).content.decode()
    assert "Open AR · USD" in html and "Revenue · USD" in html and "Expenses · USD" in html
    assert "QuickBooks sync" in row(html, current) and "to date" in row(html, current)
    assert "Edited by hand after the sync: replaced at the next sync" in row(html, previous)
    assert 'class="num edited"' in row(html, previous)
    old = date(current.year - 2, 1, 1)
    assert "Entered by hand: kept" in row(html, old) and "to date" not in row(html, old)


def test_a_month_never_synced_says_so_in_its_drilldown(client, entity, synced_entity):
    old = date(synced_entity.year - 2, 1, 1)
    page = client.get(reverse("finance:figure_sources", args=[entity.pk, f"{old:%Y-%m}", "revenue"])).content.decode()
    assert f"{old:%B %Y} was never synced from QuickBooks" in page and "are kept" in page
    assert "the next sync replaces" not in page and "showed no row" not in page
    assert "Download CSV" not in page


def test_a_month_past_the_window_edited_by_hand_keeps_the_edit(client, admin_user, entity, synced_entity, monkeypatch):
    current = synced_entity
    MonthlySnapshot.objects.filter(entity=entity, month=current).update(revenue=Decimal("1.00"))
    later = timezone.now() + timedelta(days=200)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the month is now older than the window
    client.force_login(admin_user)  # the session of months ago has expired
    url = reverse("finance:figure_sources", args=[entity.pk, f"{current:%Y-%m}", "revenue"])
    page = client.get(url).content.decode()
    assert "outside the sync window, so the edit is kept" in page and "the next sync replaces" not in page


@pytest.mark.parametrize("value", ["99999999999999.99", "12345678901234.56", "-10000000000000.00"])
def test_amounts_a_database_would_not_give_back_exactly_are_refused(client, entity, finance_user, value):
    client.force_login(finance_user)
    url = reverse("finance:snapshot_edit", args=[entity.pk, "2026-01"])
    form = {"ar_balance": "0", "revenue": value, "ap_balance": "0", "expenses": "0"}
    page = client.post(url, form)
    assert page.status_code == 200 and "at most 13 digits before the decimal point" in page.content.decode()
    assert not MonthlySnapshot.objects.filter(entity=entity).exists()


def test_the_largest_accepted_amount_comes_back_exactly(client, entity, finance_user):
    client.force_login(finance_user)
    url = reverse("finance:snapshot_edit", args=[entity.pk, "2026-01"])
    form = {"ar_balance": "9999999999999.99", "revenue": "1234567890123.45", "ap_balance": "0", "expenses": "0"}
    assert client.post(url, form).status_code == 302
    saved = MonthlySnapshot.objects.get(entity=entity)
    assert (saved.ar_balance, saved.revenue) == (Decimal("9999999999999.99"), Decimal("1234567890123.45"))
    assert client.get(reverse("finance:snapshots", args=[entity.pk])).status_code == 200


@pytest.mark.parametrize(
    "text,expected",
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
     ("  =1", "'  =1"), ("\tx", "'\tx"), ("1073", "1073"), ("O'Brien", "O'Brien")],
)  # fmt: skip
def test_every_text_cell_of_the_csv_is_safe_from_formulas(text, expected):
    assert spreadsheet_safe(text) == expected


class Month:
    def __init__(self, month, revenue, expenses=Decimal(0), ar=Decimal(0), ap=Decimal(0)):
        self.month, self.revenue, self.expenses, self.ar_balance, self.ap_balance = month, revenue, expenses, ar, ap


def test_the_chart_has_round_ticks_currency_hover_values_and_a_partial_current_month():
    months = [Month(date(2026, m, 1), Decimal("208429.37") * (m - 8) / 4) for m in range(9, 13)]
    chart = figures_chart(months, currency="CHF", current=date(2026, 12, 1))
    assert [label for _, label in chart.y_labels] == ["0", "100k", "200k", "300k"]
    revenue = chart.lines[0]
    assert revenue.dots[0].title == f"Revenue, September 2026: CHF {months[0].revenue:,.2f}"
    assert revenue.dots[-1].title.startswith("Revenue, December 2026 (to date): CHF ")
    assert revenue.partial and len(revenue.points.split()) == 3  # full months solid, the last segment dashed
    assert chart.x_labels[-1] == (chart.partial_x, "Dec 26") and chart.partial_month == "December 2026"
    assert nice_step(208429) == 100000 and tick_text(2_500_000) == "2.5M"
