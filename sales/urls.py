from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("", views.sale_list, name="list"),
    path("new/", views.sale_create, name="create"),
    path("<int:sale_id>/", views.sale_detail, name="detail"),
    path("<int:sale_id>/edit/", views.sale_edit, name="edit"),
    path("<int:sale_id>/status/", views.sale_set_status, name="set_status"),
    path("<int:sale_id>/push-to-quickbooks/", views.sale_push_to_quickbooks, name="push_to_quickbooks"),
    path("clients/", views.client_list, name="clients"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client_edit"),
]
