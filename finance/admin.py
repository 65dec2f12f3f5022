from django.contrib import admin

from .models import MonthlySnapshot


@admin.register(MonthlySnapshot)
class MonthlySnapshotAdmin(admin.ModelAdmin):
    list_display = ["entity", "month", "ar_balance", "revenue", "ap_balance", "expenses"]
    list_filter = ["entity__company", "entity"]
