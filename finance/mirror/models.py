"""A connection's QuickBooks transactions as the figures read them, and how current they are.

The rows are kept as one document per connection and transaction type (JSON text of the rows the
figures need, amounts as exact decimal text): they are only ever read whole, to compute a window's
figures, and written whole by a full read; change data capture edits a few rows of them. See
docs/sync.md, "The mirror"."""

from django.db import models

from finance.models import QuickBooksConnection


class MirrorState(models.Model):
    """What the mirror of one connection holds: the realm and window it was read for, and from when
    change data capture must be asked (the watermark)."""

    connection = models.OneToOneField(QuickBooksConnection, on_delete=models.CASCADE, related_name="mirror")
    realm_id = models.CharField(max_length=40)
    window_start = models.DateField()
    watermark = models.DateTimeField(help_text="Changes made in QuickBooks after this are not in the mirror yet.")
    last_full_at = models.DateTimeField()
    last_incremental_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Mirror of {self.connection_id} (realm {self.realm_id}) as of {self.watermark:%Y-%m-%d %H:%M}"


class MirrorDocument(models.Model):
    """One transaction type's rows of a connection: ``rows`` is a JSON list of QuickBooks rows trimmed
    to what the figures read (``pull.slim``), with `Id`, `SyncToken` and `MetaData`."""

    connection = models.ForeignKey(QuickBooksConnection, on_delete=models.CASCADE, related_name="+", db_index=False)
    txn_type = models.CharField(max_length=20)
    row_count = models.PositiveIntegerField(default=0)
    rows = models.TextField(default="[]")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "txn_type"], name="mirrordocument_connection_type")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.txn_type}: {self.row_count} rows"
