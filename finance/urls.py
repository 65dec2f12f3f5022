from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("", views.finance_home, name="home"),
    path("entities/<int:entity_id>/snapshots/", views.snapshot_table, name="snapshots"),
    path("entities/<int:entity_id>/snapshots/<str:month>/", views.snapshot_edit, name="snapshot_edit"),
    path("qb", views.quickbooks_dashboard, name="qb"),
]
