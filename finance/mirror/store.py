"""Reading and writing a connection's mirror: rows by kind and Id, whole documents, the watermark.

Kinds are the names the figures use: ``invoices``, ``payments``, ``bills``, ``bill_payments`` and
``credit_memos`` (open ones). Amounts are kept as their exact decimal text; the figures read text
and Decimal alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from finance.mirror.models import MirrorDocument, MirrorState
from finance.models import QuickBooksConnection

KINDS = ("invoices", "payments", "bills", "bill_payments", "credit_memos")


@dataclass
class Mirror:
    """One connection's mirror, loaded: kind -> Id -> row, and its state (None before a full read)."""

    connection: QuickBooksConnection
    state: MirrorState | None
    rows: dict[str, dict[str, dict]] = field(default_factory=lambda: {kind: {} for kind in KINDS})

    def listed(self, kind: str) -> list[dict]:
        return list(self.rows[kind].values())


def encoded(rows: list[dict]) -> str:
    return json.dumps(rows, default=str, separators=(",", ":"))  # Decimal as its exact text


def load(connection: QuickBooksConnection, *, rows: bool = True) -> Mirror:
    """The connection's mirror in two queries (one without its ``rows``: see ``load_rows``)."""
    mirror = Mirror(connection, MirrorState.objects.filter(connection=connection).first())
    if rows:
        load_rows(mirror)
    return mirror


def load_rows(mirror: Mirror) -> None:
    """Read the documents: only when there is something to change or compute."""
    if mirror.state is None:
        return
    for document in MirrorDocument.objects.filter(connection=mirror.connection, txn_type__in=KINDS):
        mirror.rows[document.txn_type] = {str(row["Id"]): row for row in json.loads(document.rows)}


def save(mirror: Mirror, kinds: set[str] | tuple[str, ...], *, window_start: date, watermark: datetime,
         full: bool) -> None:  # fmt: skip
    """Write the documents of ``kinds`` and move the watermark. Call inside the run's transaction."""
    connection = mirror.connection
    for kind in kinds:
        rows = mirror.listed(kind)
        MirrorDocument.objects.update_or_create(
            connection=connection, txn_type=kind, defaults={"rows": encoded(rows), "row_count": len(rows)}
        )
    defaults = {"realm_id": connection.realm_id, "window_start": window_start, "watermark": watermark}
    defaults["last_full_at" if full else "last_incremental_at"] = watermark
    if mirror.state is None:
        defaults.setdefault("last_full_at", watermark)
        mirror.state = MirrorState.objects.create(connection=connection, **defaults)
        return
    MirrorState.objects.filter(pk=mirror.state.pk).update(**defaults)  # one statement, no read first
    for name, value in defaults.items():
        setattr(mirror.state, name, value)


def replaced(connection: QuickBooksConnection, rows_by_kind: dict[str, list[dict]]) -> tuple[Mirror, int]:
    """A mirror holding exactly a full read's rows, and how many of them the stored mirror lacked or
    held in an older version (what change data capture missed since the last full read)."""
    before = load(connection)
    mirror = Mirror(connection, before.state)
    missed: set[tuple[str, str]] = set()  # a full read can bring a row twice (dated in the window and open)
    for kind in KINDS:
        for row in rows_by_kind.get(kind, ()):
            key = str(row["Id"])
            mirror.rows[kind][key] = row
            known = before.rows[kind].get(key)
            if before.state is not None and (known is None or str(known.get("SyncToken")) != str(row.get("SyncToken"))):
                missed.add((kind, key))
    return mirror, len(missed)
