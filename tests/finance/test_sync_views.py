"""The dashboard's sync parts: Sync now (roles, other companies, progress polling, last sync) and the
sync log table (newest first, filters, keyset pages, a constant query count with 100,000+ rows)."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from finance.models import MonthlySnapshot, QuickBooksConnection, RunStatus, SyncLogEntry, SyncRun
from tests import qbo
from tests.builders import make_company, make_entity, make_user
from tests.finance.qbo_books import Books

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def connected(admin, entity, local_quickbooks):
    """The entity connected to a realm with one invoice of 100.00 dated today, 40.00 of it paid today."""
    today = timezone.localdate(timezone=entity.zone).isoformat()
    books = Books.start(local_quickbooks.sandbox, local_quickbooks.realm(name="Sync Now Co"))
    invoice = books.invoice(today, "100.00")
    books.payment(today, (invoice, "40.00"))
    qbo.connect(admin, entity, books.realm)
    return QuickBooksConnection.objects.get(entity=entity)


def card_of(html: str, entity) -> str:
    return re.search(rf'<article class="card qb-card" id="entity-{entity.pk}"(.*?)</article>', html, re.S).group(0)


@pytest.mark.django_db(transaction=True)  # real commits: the job is sent on commit and, inline, runs at once
def test_finance_user_clicks_sync_now_and_sees_the_result(client, finance_user, entity, connected):
    client.force_login(finance_user)
    page = client.post(reverse("finance:qb_sync_now", args=[entity.pk]), follow=True)
    assert page.status_code == 200
    run = SyncRun.objects.get(entity=entity, direction="pull")
    assert (run.status, run.trigger, run.started_by) == (RunStatus.SUCCESS, "manual", finance_user)
    month = timezone.localdate(timezone=entity.zone).replace(day=1)
    snapshot = MonthlySnapshot.objects.get(entity=entity, month=month)
    assert (snapshot.revenue, snapshot.ar_balance) == (Decimal("40.00"), Decimal("60.00"))
    html = page.content.decode()
    assert f"{entity.name} synced from QuickBooks: 4 months changed." in html
    card = card_of(html, entity)
    assert 'class="badge state-ok">connected<' in card and "succeeded" in card and "Sync now" in card
    assert f"started by {finance_user.get_full_name() or finance_user.username}" in card
    assert "4 months changed in the last sync" in card
    assert f"{month:%B %Y} created: revenue USD 40.00, expenses USD 0.00, open AR USD 60.00, open AP USD 0.00" in card
    log = client.get(reverse("finance:qb_log")).content.decode()
    assert f"{month:%B %Y} snapshot" in log  # the log page shows it too, with the currency
    assert "Created: revenue USD 40.00, expenses USD 0.00, open AR USD 60.00, open AP USD 0.00" in log


@pytest.mark.django_db(transaction=True)
def test_sync_now_through_htmx_answers_the_updated_card(client, finance_user, entity, connected):
    client.force_login(finance_user)
    card = client.post(reverse("finance:qb_sync_now", args=[entity.pk]), headers={"HX-Request": "true"})
    html = card.content.decode()
    assert card.status_code == 200 and html.lstrip().startswith('<article class="card qb-card"')
    assert f"{entity.name} synced from QuickBooks: 4 months changed." in html
    assert "hx-trigger" not in html  # finished: the card no longer polls
    assert 'hx-disabled-elt="find button"' in html and "Syncing…" in html  # the next click disables it at once


def test_a_queued_run_is_polled_until_it_finishes(admin, entity, connected):
    run = SyncRun.objects.create(connection=connected, entity=entity, trigger="manual", status=RunStatus.QUEUED)
    page = admin.get(reverse("finance:qb")).content.decode()
    card_url = reverse("finance:qb_card", args=[entity.pk])
    card = card_of(page, entity)
    assert f'hx-get="{card_url}" hx-trigger="every 1s"' in card and "queued…" in card and "syncing…" in card
    assert "vendor/htmx.org/htmx.min.js" in page
    assert 'hx-trigger="every 1s"' in admin.get(card_url).content.decode()
    from finance.quickbooks.pull import sync_connection

    sync_connection(connection=connected, trigger="manual", run=run)
    answer = admin.get(card_url).content.decode()
    assert "hx-trigger" not in answer and "created: revenue USD 40.00" in answer
    assert "hx-trigger" not in admin.get(reverse("finance:qb")).content.decode()


def test_sync_now_while_a_sync_is_queued_does_not_queue_another(
    admin, entity, connected, django_capture_on_commit_callbacks
):
    SyncRun.objects.create(connection=connected, entity=entity, trigger="beat", status=RunStatus.QUEUED)
    with django_capture_on_commit_callbacks() as sent:
        admin.post(reverse("finance:qb_sync_now", args=[entity.pk]))
    assert sent == [] and SyncRun.objects.filter(entity=entity).count() == 1


def test_sales_users_may_not_sync(client, sales_user, entity, connected):
    client.force_login(sales_user)
    assert client.post(reverse("finance:qb_sync_now", args=[entity.pk])).status_code == 403
    assert not SyncRun.objects.filter(entity=entity).exists()


def test_another_companys_entity_and_run_answer_404(client, entity, connected):
    other_company = make_company("Other Co")
    client.force_login(make_user(other_company, "admin"))
    assert client.post(reverse("finance:qb_sync_now", args=[entity.pk])).status_code == 404
    assert client.get(reverse("finance:qb_card", args=[entity.pk])).status_code == 404


def test_sync_now_needs_a_post(admin, entity, connected):
    assert admin.get(reverse("finance:qb_sync_now", args=[entity.pk])).status_code == 405


# --- the sync log table -------------------------------------------------------------------------


def bulk_log(company, entity, count: int, *, same_time: bool = True, **fields) -> None:
    actions = ["created", "updated", "skipped", "error"]
    SyncLogEntry.objects.bulk_create(
        (
            SyncLogEntry(
                company=company,
                entity=entity,
                direction=fields.get("direction", "pull"),
                action=fields.get("action", actions[i % 4]),
                object_type="MonthlySnapshot",
                object_ref=f"line-{i}",
                message=f"line {i}",
            )
            for i in range(count)
        ),
        batch_size=5000,
    )
    if same_time:  # the order and the page boundaries then rest on the id tie-break alone
        start = timezone.now() - timedelta(days=30)
        SyncLogEntry.objects.filter(company=company, object_ref__startswith="line-").update(created_at=start)


def log_refs(page) -> list[str]:
    table = page.content.decode().split('id="sync-log-table"')[1].split("</table>")[0]
    return [f"line-{n}" for n in re.findall(r'<td class="msg-text">(?:line|pushed) (\d*)', table, re.I)]


def test_the_log_is_newest_first_and_pages_older(admin, company, entity):
    bulk_log(company, entity, 120)
    newest = admin.get(reverse("finance:qb_log"))
    refs = log_refs(newest)
    assert refs[:3] == ["line-119", "line-118", "line-117"] and len(refs) == 50
    older = re.search(r'href="([^"]+)" rel="next"', newest.content.decode()).group(1).replace("&amp;", "&")
    page2 = admin.get(older)
    assert log_refs(page2)[:2] == ["line-69", "line-68"] and len(log_refs(page2)) == 50
    older = re.search(r'href="([^"]+)" rel="next"', page2.content.decode()).group(1).replace("&amp;", "&")
    page3 = admin.get(older)
    assert log_refs(page3) == [f"line-{i}" for i in range(19, -1, -1)]
    assert 'rel="next"' not in page3.content.decode() and "← Newest" in page3.content.decode()


def test_the_log_filters_by_entity_direction_and_action(admin, company, entity):
    other = make_entity(company, "SoftInWay India", "INR", "Asia/Kolkata")
    bulk_log(company, entity, 8)
    SyncLogEntry.objects.create(company=company, entity=other, direction="push", action="created",
                                object_type="MonthlySnapshot", object_ref="line-900", message="pushed 900")  # fmt: skip
    assert log_refs(admin.get(reverse("finance:qb_log"), {"entity": other.pk})) == ["line-900"]
    assert log_refs(admin.get(reverse("finance:qb_log"), {"direction": "push"})) == ["line-900"]
    errors = admin.get(reverse("finance:qb_log"), {"action": "error", "entity": entity.pk})
    assert log_refs(errors) == ["line-7", "line-3"]
    foreign = make_entity(make_company("Elsewhere"), "Not Ours")
    assert len(log_refs(admin.get(reverse("finance:qb_log"), {"entity": foreign.pk}))) == 9  # unknown filter ignored


def dashboard_queries(client, params=None) -> tuple[int, float]:
    with CaptureQueriesContext(db_connection) as queries:
        started = time.perf_counter()
        response = client.get(reverse("finance:qb_log"), params or {})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return len(queries), elapsed


def test_the_log_page_query_count_does_not_grow_with_100000_rows(admin, company, entity):
    other = make_entity(company, "SoftInWay India", "INR", "Asia/Kolkata")
    bulk_log(company, entity, 60)
    small = dashboard_queries(admin)[0]
    small_filtered = dashboard_queries(admin, {"entity": other.pk, "action": "error"})[0]
    bulk_log(company, other, 100_000, same_time=False)
    big, elapsed = dashboard_queries(admin)
    big_filtered = dashboard_queries(admin, {"entity": other.pk, "action": "error"})[0]
    older = re.search(r'href="([^"]+)" rel="next"', admin.get(reverse("finance:qb_log")).content.decode()).group(1)
    big_older = dashboard_queries(admin, dict(p.split("=") for p in older.split("?")[1].split("#")[0].split("&amp;")))
    assert big == small and big_filtered == small_filtered and big_older[0] == small
    assert elapsed < 2.0  # one indexed query per page, whatever the table holds


def test_log_lines_name_their_objects_in_words_and_link_them(admin, company, entity, sales_user):
    from tests.builders import make_sale

    connection = QuickBooksConnection.objects.create(entity=entity, company=company, realm_id="5", status="connected")
    sale = make_sale(entity, sales_user, name="Turbine design study")
    run = SyncRun.objects.create(connection=connection, entity=entity, trigger="push", direction="push", sale=sale)
    SyncLogEntry.objects.create(company=company, entity=entity, run=run, direction="push", action="created",
                                object_type="Invoice", object_ref=f"OW-Sale-{sale.pk}", message="pushed")  # fmt: skip
    SyncLogEntry.objects.create(company=company, entity=entity, direction="pull", action="updated",
                                object_type="MonthlySnapshot", object_ref="2026-11", message="2026-11 updated",
                                details={"changes": {"revenue": {"old": "1.00", "new": "600.00"}}})  # fmt: skip
    html = admin.get(reverse("finance:qb_log")).content.decode()
    assert f'<a href="{reverse("sales:detail", args=[sale.pk])}">Sale {sale.pk} · Turbine design study</a>' in html
    month_url = reverse("finance:snapshots", args=[entity.pk]) + "#month-2026-11"
    assert f'<a href="{month_url}">November 2026 snapshot</a>' in html
    assert "Updated: revenue USD 1.00 → USD 600.00" in html
    assert "MonthlySnapshot" not in html and "SyncRun" not in html
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} E[SD]T", html)  # the entity's zone, with its abbreviation
