"""The push settings of one entity's QuickBooks connection, and its clients' customer links (admin
only). Thin: the lists come from QuickBooks through the push settings service, never from here."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import ADMIN_ONLY, member_required

from .models import ConnectionStatus, CustomerLink, PushSettings, QuickBooksConnection
from .quickbooks.customers import CustomerError
from .quickbooks.push_settings import (
    Choices,
    SettingsError,
    Unavailable,
    push_choices,
    relink_customer,
    save_push_settings,
)


class PushSettingsForm(forms.Form):
    item = forms.ChoiceField(label="Product or service on pushed lines")
    tax_code = forms.ChoiceField(label="Tax code on every line", required=False)
    amounts_include_tax = forms.TypedChoiceField(
        label="Sale amounts",
        choices=[("0", "are before tax: QuickBooks adds the tax"), ("1", "include tax")],
        coerce=lambda value: value == "1",
        required=False,
    )
    us_taxable = forms.TypedChoiceField(
        label="Sales tax",
        choices=[("0", "Not taxable (NON)"), ("1", "Taxable (TAX): QuickBooks computes the sales tax")],
        coerce=lambda value: value == "1",
        required=False,
    )

    def __init__(self, *args, choices: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "Choose…"), *choices.items]
        if choices.is_us:
            del self.fields["tax_code"], self.fields["amounts_include_tax"]
        else:
            del self.fields["us_taxable"]
            self.fields["tax_code"].required = True
            self.fields["tax_code"].choices = [("", "Choose…"), *((c.id, c.label) for c in choices.tax_codes)]


def _connection(request, entity_id: int) -> QuickBooksConnection:
    return get_object_or_404(
        QuickBooksConnection.objects.select_related("entity"),
        entity_id=entity_id,
        company=request.membership.company,
        status=ConnectionStatus.CONNECTED,
    )


def _initial(push_settings: PushSettings | None) -> dict:
    if push_settings is None:
        return {}
    return {
        "item": push_settings.item_id,
        "tax_code": push_settings.tax_code_id,
        "amounts_include_tax": "1" if push_settings.amounts_include_tax else "0",
        "us_taxable": "1" if push_settings.us_taxable else "0",
    }


@member_required(*ADMIN_ONLY)
def push_settings(request, entity_id: int):
    connection = _connection(request, entity_id)
    try:
        choices = push_choices(connection, fresh=request.method == "GET")
    except Unavailable as error:
        messages.error(request, str(error))
        return render(request, "finance/push_settings.html", {"connection": connection, "form": None})
    current = PushSettings.of(connection)
    form = PushSettingsForm(request.POST or None, choices=choices, initial=_initial(current))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            save_push_settings(
                connection=connection,
                choices=choices,
                item_id=data["item"],
                tax_code_id=data.get("tax_code") or "",
                amounts_include_tax=bool(data.get("amounts_include_tax")),
                us_taxable=bool(data.get("us_taxable")),
                user=request.user,
            )
        except SettingsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Push settings of {connection.entity} saved.")
            return redirect("finance:qb_push_settings", entity_id=entity_id)
    return render(
        request,
        "finance/push_settings.html",
        {"connection": connection, "form": form, "choices": choices, "current": current},
    )


@member_required(*ADMIN_ONLY)
def customer_links(request, entity_id: int):
    connection = _connection(request, entity_id)
    links = CustomerLink.objects.filter(connection=connection, realm_id=connection.realm_id).select_related(
        "client", "updated_by"
    )
    return render(request, "finance/customer_links.html", {"connection": connection, "links": links})


@require_POST
@member_required(*ADMIN_ONLY)
def relink(request, entity_id: int, link_id: int):
    connection = _connection(request, entity_id)
    link = get_object_or_404(CustomerLink, pk=link_id, connection=connection, realm_id=connection.realm_id)
    name = request.POST.get("name", "")
    try:
        link = relink_customer(link=link, name=name, user=request.user)
    except (CustomerError, Unavailable) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{link.client} ({link.currency}) now gets its invoices in QuickBooks as “{link.qb_customer_name}”.",
        )
    return redirect("finance:qb_customer_links", entity_id=entity_id)
