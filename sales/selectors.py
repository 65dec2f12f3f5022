"""Which sales a member may see: all of the company's for admin and finance, a salesperson's own."""

from accounts.models import Role

from .models import Sale


def visible_sales(membership):
    sales = Sale.objects.filter(company=membership.company).select_related("entity", "client", "salesperson")
    if membership.role == Role.SALES:
        sales = sales.filter(salesperson_id=membership.user_id)
    return sales
