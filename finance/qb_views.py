"""The QuickBooks pages: dashboard, settings, connect, callback, disconnect. Thin: check the role,
call a service, render or redirect with a message."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Entity
from accounts.permissions import ADMIN_ONLY, FINANCE_ROLES, member_required

from . import sync_views
from .forms import QuickBooksSettingsForm
from .models import QuickBooksConnection, QuickBooksSettings
from .quickbooks.connect import (
    Callback,
    ConnectError,
    SwitchNeedsConfirmation,
    disconnect,
    finish_connect,
    start_connect,
)
from .quickbooks.environments import redirect_uri


def settings_form(company, data=None) -> QuickBooksSettingsForm:
    instance = QuickBooksSettings.objects.filter(company=company).first() or QuickBooksSettings(
        company=company
    )
    return QuickBooksSettingsForm(
        data, instance=instance, offered_environments=settings.QBO_ENVIRONMENTS_OFFERED
    )


def settings_section_context(company, form=None) -> dict:
    """What the QuickBooks section of the settings page shows: the form and the redirect URI."""
    return {
        "qb_form": form or settings_form(company),
        "qb_redirect_uri": redirect_uri(),
        "qb_webhook_url": settings.SITE_URL + reverse("quickbooks_webhook"),
    }


@require_POST
@member_required(*ADMIN_ONLY)
def save_settings(request):
    """Save the section and go back to the settings page; a form with errors is shown again on a
    page of its own, with what was typed (never the secret)."""
    company = request.membership.company
    form = settings_form(company, request.POST)
    if form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        form.save_verifier_token()
        messages.success(request, "QuickBooks settings saved.")
        return redirect("settings")
    return render(request, "finance/qb_settings.html", {"qb_form": form}, status=400)


@member_required(*FINANCE_ROLES)
def dashboard(request):
    """One card per entity: its QuickBooks company, status, freshness, tie-out and actions."""
    company = request.membership.company
    context = {"rows": sync_views.card_rows(company), **sync_views.card_page_context(company)}
    return render(request, "finance/qb_dashboard.html", context)


@require_POST
@member_required(*ADMIN_ONLY)
def connect(request, entity_id: int):
    entity = get_object_or_404(Entity, pk=entity_id, company=request.membership.company)
    switch_to = request.POST.get("switch_to", "")
    try:
        return redirect(
            start_connect(session=request.session, user=request.user, entity=entity, switch_to=switch_to)
        )
    except ConnectError as error:
        messages.error(request, str(error))
        return redirect("finance:qb")


@require_GET
@member_required(*ADMIN_ONLY)
def callback(request):
    params = request.GET
    answer = Callback(
        state=params.get("state", ""),
        code=params.get("code", ""),
        realm_id=params.get("realmId", ""),
        error=params.get("error", ""),
    )
    try:
        connection = finish_connect(session=request.session, user=request.user, callback=answer)
    except ConnectError as error:
        messages.error(request, str(error))
    except SwitchNeedsConfirmation as switch:
        return render(request, "finance/qb_switch_confirm.html", {"switch": switch})
    else:
        messages.success(
            request,
            f"{connection.entity.name} is connected to QuickBooks company “{connection.qb_company_name}”.",
        )
    return redirect("finance:qb")


@require_POST
@member_required(*ADMIN_ONLY)
def disconnect_entity(request, entity_id: int):
    connection = get_object_or_404(
        QuickBooksConnection.objects.select_related("entity", "company"),
        entity_id=entity_id,
        company=request.membership.company,
    )
    if not connection.realm_id:
        messages.info(request, f"{connection.entity.name} is not connected.")
    else:
        messages.success(request, disconnect(connection=connection, user=request.user))
    return redirect("finance:qb")
