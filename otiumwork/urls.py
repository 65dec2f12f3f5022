from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("sales/", include("sales.urls")),
    path("finance/", include("finance.urls")),
    path("django-admin/", admin.site.urls),
]
