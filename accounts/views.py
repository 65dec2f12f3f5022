"""Home page and the company settings page."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render

from accounts.permissions import ADMIN_ONLY, member_required
from sales.views import visible_sales

from .models import Entity, Role


@member_required()
def home(request):
    membership = request.membership
    if membership.role == Role.SALES:
        return redirect("sales:list")
    entities = Entity.objects.filter(company=membership.company)
    recent_sales = visible_sales(membership)[:8]
    return render(request, "accounts/home.html", {"entities": entities, "recent_sales": recent_sales})


@member_required(*ADMIN_ONLY)
def company_settings(request):
    return render_settings(request)


def render_settings(request, qb_form=None, status: int = 200):
    """The settings page; the QuickBooks section's form and facts come from the finance app."""
    from finance.qb_views import settings_context

    company = request.membership.company
    people = get_user_model().objects.filter(membership__company=company).select_related("membership")
    context = {
        "company": company,
        "entities": Entity.objects.filter(company=company),
        "people": people.order_by("username"),
        **settings_context(company, qb_form),
    }
    return render(request, "accounts/settings.html", context, status=status)
