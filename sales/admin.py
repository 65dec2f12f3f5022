from django.contrib import admin

from .models import Client, Sale


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "company"]
    list_filter = ["company"]
    search_fields = ["name"]


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "company",
        "entity",
        "client",
        "salesperson",
        "amount_usd",
        "status",
        "signed_date",
    ]
    list_filter = ["company", "status", "entity"]
    search_fields = ["name", "client__name"]
