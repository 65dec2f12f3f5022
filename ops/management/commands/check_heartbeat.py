"""Exit 0 when a heartbeat is recent, 1 otherwise: the beat container's health check."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.models import Heartbeat


class Command(BaseCommand):
    help = "Fail unless the named heartbeat (default: beat) checked in within --max-age seconds."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", default="beat")
        parser.add_argument("--max-age", type=int, default=300, help="seconds (default 300)")

    def handle(self, *args, name, max_age, **options):
        beat = Heartbeat.objects.filter(name=name).first()
        if beat is None:
            raise CommandError(f"No {name} heartbeat yet.")
        age = timezone.now() - beat.beat_at
        if age > timedelta(seconds=max_age):
            raise CommandError(f"The {name} heartbeat is {int(age.total_seconds())} seconds old (limit {max_age}).")
        self.stdout.write(f"{name} heartbeat {int(age.total_seconds())} seconds old")
