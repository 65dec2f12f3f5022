"""Injected faults of the control API: queue them per realm, and hand each API call the one it must suffer.

Kept apart from `models` because a `revoke` fault acts on tokens, and `tokens` builds on `models`:
imports run models <- tokens <- faults.
"""

from __future__ import annotations

from typing import Any

from qbsandbox.store import Store
from qbsandbox.tokens import revoke_realm

FAULT_KINDS = ("throttle", "error", "hang", "revoke", "oauth_error", "oauth_hang")
# oauth_* faults hit the token and revoke endpoints (for tokens of the realm); the others hit the
# Accounting API of the realm.
OAUTH_FAULT_PREFIX = "oauth_"


def inject_fault(
    store: Store,
    realm_id: str,
    kind: str,
    *,
    count: int = 1,
    after: int = 0,
    seconds: float = 30,
    retry_after: int | None = None,
) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if kind == "revoke" and after == 0:
        revoke_realm(store, realm_id)
        return
    with store.write() as db:
        db.execute(
            "INSERT INTO faults (realm_id, kind, remaining, skip, seconds, retry_after) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (realm_id, kind, count, after, seconds, retry_after),
        )


def take_fault(store: Store, realm_id: str, *, oauth: bool = False) -> dict[str, Any] | None:
    """The fault this call must suffer, if any: every queued fault first lets its `after` calls pass.

    `oauth` picks the faults of the token/revoke endpoints instead of the Accounting API's."""
    kind_filter = "kind LIKE 'oauth\\_%' ESCAPE '\\'" if oauth else "kind NOT LIKE 'oauth\\_%' ESCAPE '\\'"
    with store.write() as db:
        rows = db.execute(
            f"SELECT * FROM faults WHERE realm_id = ? AND remaining > 0 AND {kind_filter} ORDER BY seq",  # noqa: S608
            (realm_id,),
        ).fetchall()
        for row in rows:
            if row["skip"] > 0:
                db.execute("UPDATE faults SET skip = skip - 1 WHERE seq = ?", (row["seq"],))
                continue
            db.execute("UPDATE faults SET remaining = remaining - 1 WHERE seq = ?", (row["seq"],))
            return dict(row)
    return None
