from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"

    def ready(self) -> None:
        # Imported once the models are ready (not at the top): registers the Celery tasks in every
        # process, web included, so that jobs sent by name run inline when there is no broker.
        from finance import tasks  # noqa: F401
