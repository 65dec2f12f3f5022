from django.apps import AppConfig


class QuickBooksMirrorConfig(AppConfig):
    """The local mirror of each connection's QuickBooks transactions that the figures are computed
    from, kept current by change data capture."""

    name = "finance.mirror"
    label = "quickbooks_mirror"
    verbose_name = "QuickBooks mirror"
