from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from finance import cron
from finance.webhooks import views as webhook_views
from ops import views as ops_views

# Error pages with the navigation and the reason (accounts/views.py).
handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"

urlpatterns = [
    path("", include("accounts.urls")),
    path("sales/", include("sales.urls")),
    path("finance/", include("finance.urls")),
    path("api/cron/qb-sync-all", cron.qb_sync_all, name="cron_qb_sync_all"),
    path("api/qb/webhooks", webhook_views.quickbooks_webhook, name="quickbooks_webhook"),
    # Also answered first by ops.middleware.HealthProbeMiddleware, whatever the Host header.
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("admin/settings/alerts", ops_views.alert_settings, name="alert_settings"),
]

# Django's admin is an operator's tool: mounted only when DJANGO_ADMIN_ENABLED is on (by default in
# development, never in production unless the operator turns it on).
if settings.DJANGO_ADMIN_ENABLED:
    urlpatterns.append(path("django-admin/", admin.site.urls))
