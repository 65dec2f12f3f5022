"""Which sales a member may see: all of the company's for admin and finance, a salesperson's own."""

from accounts.models import Role
from finance.models import QuickBooksConnection
from finance.quickbooks.environments import quickbooks_urls

from .models import Sale


def visible_sales(membership):
    sales = Sale.objects.filter(company=membership.company).select_related("entity", "client", "salesperson")
    if membership.role == Role.SALES:
        sales = sales.filter(salesperson_id=membership.user_id)
    return sales


def add_invoice_links(sales, company) -> None:
    """Set ``qb_url`` on each pushed sale: its invoice in QuickBooks' web app, when the sale's entity
    is still connected to the company the invoice was pushed to (else ``""``). One query."""
    connections = {c.entity_id: c for c in QuickBooksConnection.objects.filter(company=company).exclude(realm_id="")}
    for sale in sales:
        connection = connections.get(sale.entity_id)
        sale.qb_url = ""
        if sale.qb_invoice_id and connection and connection.environment and connection.realm_id == sale.qb_realm_id:
            urls = quickbooks_urls(connection.environment)
            sale.qb_url = urls.transaction_url("invoice", sale.qb_invoice_id, sale.qb_realm_id)
