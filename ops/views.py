"""Operations' pages and probes: /healthz and /readyz for the orchestrator, and each admin's choice
about alert emails."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.permissions import ADMIN_ONLY, member_required
from ops.health import readiness
from ops.models import AlertPreference


@never_cache
def healthz(request):
    """The process answers: no database, no broker."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Each check with ok and a short detail; 503 when one fails."""
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ready else "failing", "checks": checks}, status=200 if ready else 503)


class AlertPreferenceForm(forms.ModelForm):
    class Meta:
        model = AlertPreference
        fields = ["email_alerts"]


@member_required(*ADMIN_ONLY)
def alert_settings(request):
    """Each admin turns their own alert emails on or off."""
    preference = AlertPreference.objects.filter(user=request.user).first() or AlertPreference(user=request.user)
    form = AlertPreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        state = "on" if form.cleaned_data["email_alerts"] else "off"
        messages.success(request, f"QuickBooks alert emails are {state} for you.")
        return redirect("alert_settings")
    return render(request, "ops/alert_settings.html", {"form": form, "email": request.user.email})
