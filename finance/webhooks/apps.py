from django.apps import AppConfig


class QuickBooksWebhooksConfig(AppConfig):
    """QuickBooks webhook deliveries: the verifier token, the record of events seen, the endpoint."""

    name = "finance.webhooks"
    label = "quickbooks_webhooks"
    verbose_name = "QuickBooks webhooks"
