from django.contrib import admin
from django.urls import include, path

from finance import cron

urlpatterns = [
    path("", include("accounts.urls")),
    path("sales/", include("sales.urls")),
    path("finance/", include("finance.urls")),
    path("api/cron/qb-sync-all", cron.qb_sync_all, name="cron_qb_sync_all"),
    path("django-admin/", admin.site.urls),
]
