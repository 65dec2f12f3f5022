"""Home page and the company settings page."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render

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
