"""Pages for clients and sales. Every query is scoped to the user's company; a salesperson sees
only their own sales."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Entity
from accounts.permissions import FINANCE_ROLES, member_required
from finance.models import ConnectionStatus, QuickBooksConnection, SyncAction, SyncDirection, SyncLogEntry
from finance.quickbooks.push import PushError, invoice_marker, push_preview, push_sale_as_invoice

from .forms import ClientForm, SaleForm, SaleStatusForm
from .models import Client, Sale, SaleStatus
from .selectors import add_invoice_links, visible_sales

# What a pushed invoice was made from: changing one of these (or moving the sale out of closed)
# leaves the QuickBooks invoice as it was, so the change is confirmed first and logged.
PUSHED_FIELDS = {
    "amount": "amount",
    "amount_usd": "amount in USD",
    "currency": "currency",
    "client": "client",
    "entity": "entity",
    "signed_date": "signed date",
}


def editable_sale(request, sale_id: int) -> Sale:
    return get_object_or_404(visible_sales(request.membership), pk=sale_id)


@member_required()
def sale_list(request):
    sales = visible_sales(request.membership)
    status = request.GET.get("status", "")
    entity_id = request.GET.get("entity", "")
    if status in SaleStatus.values:
        sales = sales.filter(status=status)
    if entity_id.isdigit():
        sales = sales.filter(entity_id=int(entity_id))
    page = Paginator(sales, 25).get_page(request.GET.get("page"))
    add_invoice_links(page.object_list, request.membership.company)
    return render(
        request,
        "sales/sale_list.html",
        {
            "page": page,
            "status": status,
            "entity_id": entity_id,
            "statuses": SaleStatus.choices,
            "entities": Entity.objects.filter(company=request.membership.company),
        },
    )


@member_required()
def sale_detail(request, sale_id: int):
    sale = editable_sale(request, sale_id)
    qb_connected = QuickBooksConnection.objects.filter(
        entity_id=sale.entity_id, status=ConnectionStatus.CONNECTED
    ).exists()
    preview = (
        push_preview(sale) if qb_connected and sale.status == SaleStatus.CLOSED and not sale.qb_invoice_id else None
    )
    add_invoice_links([sale], request.membership.company)
    return render(
        request,
        "sales/sale_detail.html",
        {
            "sale": sale,
            "differs": edits_after_push(sale),
            "status_form": SaleStatusForm(initial={"status": sale.status}),
            "qb_connected": qb_connected,
            "push_blocker": preview.blocker if preview else "",
            "push_blocker_entity": preview.settings_entity_id if preview else None,
            "push_tax": preview.tax if preview else "",
        },
    )


@require_POST
@member_required()
def sale_push_to_quickbooks(request, sale_id: int):
    """Push as QB invoice. Whoever may open the sale may push it (a salesperson only their own sales:
    someone else's answers 404, as every other sale URL does)."""
    sale = editable_sale(request, sale_id)
    try:
        result = push_sale_as_invoice(sale=sale, user=request.user)
    except PushError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, result.message)
    return redirect("sales:detail", sale_id=sale.pk)


@member_required()
def sale_create(request):
    form = SaleForm(request.POST or None, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        sale = form.save()
        messages.success(request, f"Sale “{sale.name}” saved.")
        return redirect("sales:detail", sale_id=sale.pk)
    return render(request, "sales/sale_form.html", {"form": form, "title": "New sale"})


def pushed_changes(before: Sale, after: Sale, fields) -> list[str]:
    """What differs from the QuickBooks invoice a pushed sale was made from: "amount 100.00 → 99,999.00"."""
    if not before.qb_invoice_id:
        return []
    changes = []
    for name in fields:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(f"{PUSHED_FIELDS.get(name, name)} {_shown(old)} → {_shown(new)}")
    return changes


def _shown(value) -> str:
    if value is None:
        return "—"
    if hasattr(value, "quantize"):
        return f"{value:,.2f}"
    return str(value)


def edits_after_push(sale: Sale) -> list[SyncLogEntry]:
    if not sale.qb_invoice_id:
        return []
    return list(
        SyncLogEntry.objects.filter(
            company_id=sale.company_id, entity_id=sale.entity_id, object_type="Invoice",
            object_ref=invoice_marker(sale), details__edited_after_push=True,
        ).order_by("-created_at")[:5]
    )  # fmt: skip


def log_edit_after_push(sale: Sale, changes: list[str], user) -> None:
    number = sale.qb_invoice_number or sale.qb_invoice_id
    SyncLogEntry.objects.create(
        company_id=sale.company_id,
        entity_id=sale.entity_id,
        direction=SyncDirection.PUSH,
        action=SyncAction.SKIPPED,
        object_type="Invoice",
        object_ref=invoice_marker(sale),
        message=(
            f"Sale “{sale.name}” changed by {user.username} after its push ({'; '.join(changes)}): "
            f"QuickBooks invoice {number} keeps what was pushed; change it in QuickBooks if needed."
        ),
        details={"edited_after_push": True, "sale_id": sale.pk, "changes": changes, "invoice_number": number},
    )


@member_required()
def sale_edit(request, sale_id: int):
    sale = editable_sale(request, sale_id)
    before = Sale.objects.get(pk=sale.pk)
    form = SaleForm(request.POST or None, instance=sale, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        fields = [name for name in PUSHED_FIELDS if name in form.fields] + ["status"]
        changes = pushed_changes(before, form.instance, fields)
        if changes and request.POST.get("confirm_pushed") != "1":
            context = {"form": form, "title": f"Edit {before.name}", "sale": before, "pushed_changes": changes}
            return render(request, "sales/sale_form.html", context)
        form.save()
        if changes:
            log_edit_after_push(sale, changes, request.user)
        messages.success(request, "Sale updated.")
        return redirect("sales:detail", sale_id=sale.pk)
    return render(request, "sales/sale_form.html", {"form": form, "title": f"Edit {sale.name}", "sale": sale})


@require_POST
@member_required()
def sale_set_status(request, sale_id: int):
    sale = editable_sale(request, sale_id)
    form = SaleStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the listed statuses.")
        return redirect("sales:detail", sale_id=sale.pk)
    new_status = form.cleaned_data["status"]
    if new_status == SaleStatus.CLOSED and not sale.signed_date:
        messages.error(request, "Set the signed date before closing the sale.")
        return redirect("sales:detail", sale_id=sale.pk)
    old_label = sale.get_status_display()
    leaving = sale.qb_invoice_id and sale.status == SaleStatus.CLOSED and new_status != SaleStatus.CLOSED
    changes = [f"status {old_label} → {SaleStatus(new_status).label}"] if leaving else []
    if changes and request.POST.get("confirm_pushed") != "1":
        context = {"sale": sale, "new_status": new_status, "pushed_changes": changes}
        return render(request, "sales/sale_status_confirm.html", context)
    if changes:
        log_edit_after_push(sale, changes, request.user)
    sale.status = new_status
    sale.save(update_fields=["status", "updated_at"])
    messages.success(request, f"Status changed from {old_label} to {sale.get_status_display()}.")
    return redirect("sales:detail", sale_id=sale.pk)


@member_required()
def client_list(request):
    clients = Client.objects.filter(company=request.membership.company)
    page = Paginator(clients, 50).get_page(request.GET.get("page"))
    return render(request, "sales/client_list.html", {"page": page})


@member_required()
def client_create(request):
    form = ClientForm(request.POST or None, company=request.membership.company)
    if request.method == "POST" and form.is_valid():
        client = form.save()
        messages.success(request, f"Client “{client.name}” added.")
        return redirect("sales:clients")
    return render(request, "sales/client_form.html", {"form": form, "title": "New client"})


@member_required(*FINANCE_ROLES)
def client_edit(request, client_id: int):
    client = get_object_or_404(Client, pk=client_id, company=request.membership.company)
    form = ClientForm(request.POST or None, instance=client, company=request.membership.company)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Client renamed.")
        return redirect("sales:clients")
    return render(request, "sales/client_form.html", {"form": form, "title": f"Edit {client.name}"})
