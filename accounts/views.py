"""Home page (the overview), the company settings page and the error pages."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from accounts.permissions import ADMIN_ONLY, member_required
from finance.connection_health import entity_overview
from sales.selectors import add_invoice_links, visible_sales

from .models import Entity, Role


@member_required()
def home(request):
    membership = request.membership
    if membership.role == Role.SALES:
        return redirect("sales:list")
    rows = entity_overview(membership.company)
    recent_sales = list(visible_sales(membership)[:8])
    add_invoice_links(recent_sales, membership.company)
    return render(request, "accounts/home.html", {"rows": rows, "recent_sales": recent_sales})


@member_required(*ADMIN_ONLY)
def company_settings(request):
    """The settings page; each app places its own section (the QuickBooks one is finance's)."""
    company = request.membership.company
    people = get_user_model().objects.filter(membership__company=company).select_related("membership")
    context = {
        "company": company,
        "entities": Entity.objects.filter(company=company),
        "people": people.order_by("username"),
    }
    return render(request, "accounts/settings.html", context)


# --- error pages: the navigation and the reason; an error page itself never fails ---------------


def _error_page(request, template: str, status: int, context: dict) -> HttpResponse:
    try:
        body = render_to_string(template, context, request=request)
    except Exception:  # noqa: BLE001 - e.g. static files not collected: a plain page rather than none
        body = render_to_string("error_plain.html", {**context, "status": status})
    return HttpResponse(body, status=status)


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else "Your role does not allow this page."
    return _error_page(request, "403.html", 403, {"exception": reason})


def page_not_found(request, exception=None):
    return _error_page(request, "404.html", 404, {})


def server_error(request):
    return _error_page(request, "500.html", 500, {})
