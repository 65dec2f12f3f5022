from django.urls import path

from . import drilldown_views, push_settings_views, qb_views, sync_views, views

app_name = "finance"

urlpatterns = [
    path("", views.finance_home, name="home"),
    path("entities/<int:entity_id>/snapshots/", views.snapshot_table, name="snapshots"),
    path("entities/<int:entity_id>/snapshots/<str:month>/", views.snapshot_edit, name="snapshot_edit"),
    path(
        "entities/<int:entity_id>/snapshots/<str:month>/quickbooks.csv",
        drilldown_views.figure_sources_csv,
        name="month_sources_csv",
    ),
    path(
        "entities/<int:entity_id>/snapshots/<str:month>/<str:figure>/quickbooks.csv",
        drilldown_views.figure_sources_csv,
        name="figure_sources_csv",
    ),
    path(
        "entities/<int:entity_id>/snapshots/<str:month>/<str:figure>/",
        drilldown_views.figure_sources,
        name="figure_sources",
    ),
    path("qb", qb_views.dashboard, name="qb"),
    path("qb/callback", qb_views.callback, name="qb_callback"),
    path("qb/settings", qb_views.save_settings, name="qb_settings"),
    path("qb/<int:entity_id>/connect", qb_views.connect, name="qb_connect"),
    path("qb/<int:entity_id>/disconnect", qb_views.disconnect_entity, name="qb_disconnect"),
    path("qb/<int:entity_id>/sync", sync_views.sync_now, name="qb_sync_now"),
    path("qb/<int:entity_id>/card", sync_views.card, name="qb_card"),
    path("qb/log", sync_views.sync_log, name="qb_log"),
    path("qb/<int:entity_id>/push-settings", push_settings_views.push_settings, name="qb_push_settings"),
    path("qb/<int:entity_id>/customers", push_settings_views.customer_links, name="qb_customer_links"),
    path(
        "qb/<int:entity_id>/customers/<int:link_id>/relink", push_settings_views.relink, name="qb_customer_relink"
    ),
]
