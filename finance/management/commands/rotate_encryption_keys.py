"""Re-encrypt every stored secret with the newest key of FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from finance.encryption import EncryptedTextField, rotate
from finance.models import QuickBooksConnection, QuickBooksSettings


def encrypted_fields(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of FIELD_ENCRYPTION_KEYS (run after adding a new key)."

    @transaction.atomic
    def handle(self, *args, **options):
        total = 0
        for model in (QuickBooksSettings, QuickBooksConnection):
            columns = encrypted_fields(model)
            # Rotate the raw ciphertexts in place: the decrypted values never leave the database layer.
            for pk in list(model.objects.select_for_update().values_list("pk", flat=True)):
                raw = self.raw_values(model, pk, columns)
                rotated = {column: rotate(value) for column, value in raw.items() if value}
                if rotated:
                    self.write_raw(model, pk, rotated)
                    total += len(rotated)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} stored secrets with the newest key."))

    @staticmethod
    def raw_values(model, pk, columns) -> dict[str, str]:
        from django.db import connection

        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - names are model columns
            return dict(zip(columns, cursor.fetchone(), strict=True))

    @staticmethod
    def write_raw(model, pk, values: dict[str, str]) -> None:
        from django.db import connection

        table = connection.ops.quote_name(model._meta.db_table)
        assignments = ", ".join(f"{connection.ops.quote_name(column)} = %s" for column in values)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE id = %s", [*values.values(), pk])  # noqa: S608
