from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Imported once the models are ready: connects the receivers of finance's signals, and
        # registers the Celery tasks in every process (with jobs inline they run where they are sent).
        from ops import receivers, tasks  # noqa: F401
