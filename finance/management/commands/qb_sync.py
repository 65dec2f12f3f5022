"""python manage.py qb_sync ENTITY_ID | --all: pull QuickBooks figures in the foreground, for operators."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from finance.models import ConnectionStatus, QuickBooksConnection, RunStatus, RunTrigger, SyncRun
from finance.presentation import change_lines
from finance.quickbooks.pull import sync_connection


class Command(BaseCommand):
    help = "Pull one entity's QuickBooks figures (or every active connection's) and print the changed months."

    def add_arguments(self, parser):
        parser.add_argument("entity_id", nargs="?", type=int, help="the entity's id")
        parser.add_argument("--all", action="store_true", help="every connected entity of every company")
        parser.add_argument("--today", help="sync as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        if bool(options["entity_id"]) == bool(options["all"]):
            raise CommandError("Give an entity id or --all.")
        today = self.parse_today(options["today"])
        if options["all"]:
            connections = QuickBooksConnection.objects.filter(status=ConnectionStatus.CONNECTED).order_by("pk")
        else:
            connections = QuickBooksConnection.objects.filter(entity_id=options["entity_id"]).exclude(realm_id="")
            if not connections:
                raise CommandError(f"Entity {options['entity_id']} has no QuickBooks connection.")
        runs = [
            sync_connection(connection=c, trigger=RunTrigger.SHELL, today=today)
            for c in connections.select_related("entity")
        ]
        for run in runs:
            self.report(run)
        failed = [run for run in runs if run.status == RunStatus.ERROR]
        if failed:
            raise CommandError(f"{len(failed)} of {len(runs)} sync(s) failed.")

    @staticmethod
    def parse_today(value):
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--today must be YYYY-MM-DD, not {value!r}") from exc

    def report(self, run: SyncRun) -> None:
        counts = run.counts or {}
        head = f"{run.entity.name}: {run.status}"
        if run.status == RunStatus.SUCCESS:
            head += (
                f" ({run.qbo_calls} QuickBooks calls, {counts.get('rows', 0)} rows; months created "
                f"{counts.get('months_created', 0)}, updated {counts.get('months_updated', 0)}, "
                f"unchanged {counts.get('months_unchanged', 0)})"
            )
        elif run.error_message:
            head += f": {run.error_message}"
        style = {RunStatus.SUCCESS: self.style.SUCCESS, RunStatus.ERROR: self.style.ERROR}.get(run.status, str)
        self.stdout.write(style(head))
        for line in change_lines(run):
            self.stdout.write(f"  {line}")
