"""SQLite storage of the sandbox: schema, one connection per thread, transactions, the movable clock.

Every other module reaches the database through a `Store`. The file is opened in WAL mode so the
threaded server can read while one request writes; writes take the lock up front (`BEGIN IMMEDIATE`)
so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from qbsandbox.clock import realm_zone

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, redirect_uris TEXT NOT NULL DEFAULT '[]',
    rotate_refresh INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS realms (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL, multicurrency INTEGER NOT NULL,
    country TEXT NOT NULL, timezone TEXT NOT NULL, clock_offset REAL NOT NULL DEFAULT 0,
    next_id INTEGER NOT NULL DEFAULT 1, next_doc INTEGER NOT NULL DEFAULT 1001, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (
    realm_id TEXT NOT NULL, type TEXT NOT NULL, id INTEGER NOT NULL,
    txn_date TEXT, due_date TEXT, balance INTEGER, total INTEGER, doc_number TEXT, name TEXT,
    active INTEGER, customer_ref INTEGER, vendor_ref INTEGER, create_time REAL, updated_time REAL,
    body TEXT NOT NULL,
    PRIMARY KEY (realm_id, type, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_entities_date ON entities (realm_id, type, txn_date);
CREATE INDEX IF NOT EXISTS ix_entities_name ON entities (realm_id, type, name);
CREATE INDEX IF NOT EXISTS ix_entities_balance ON entities (realm_id, type, balance);
CREATE INDEX IF NOT EXISTS ix_entities_customer ON entities (realm_id, type, customer_ref);
CREATE INDEX IF NOT EXISTS ix_entities_vendor ON entities (realm_id, type, vendor_ref);
CREATE INDEX IF NOT EXISTS ix_entities_updated ON entities (realm_id, type, updated_time);
CREATE TABLE IF NOT EXISTS deletions (
    realm_id TEXT NOT NULL, type TEXT NOT NULL, id INTEGER NOT NULL, deleted_time REAL NOT NULL,
    PRIMARY KEY (realm_id, type, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_deletions_time ON deletions (realm_id, type, deleted_time);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, sent_at REAL NOT NULL, url TEXT NOT NULL, outcome TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, realm_id TEXT NOT NULL,
    scope TEXT NOT NULL, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0, grant_id TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL, realm_id TEXT NOT NULL,
    grant_id TEXT NOT NULL, scope TEXT NOT NULL, expires_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'active'
);
CREATE INDEX IF NOT EXISTS ix_tokens_grant ON tokens (grant_id);
CREATE INDEX IF NOT EXISTS ix_tokens_realm ON tokens (realm_id);
CREATE TABLE IF NOT EXISTS request_ids (
    realm_id TEXT NOT NULL, request_id TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (realm_id, request_id)
);
CREATE TABLE IF NOT EXISTS faults (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, realm_id TEXT NOT NULL, kind TEXT NOT NULL,
    remaining INTEGER NOT NULL, skip INTEGER NOT NULL, seconds REAL NOT NULL, retry_after INTEGER
);
CREATE TABLE IF NOT EXISTS calls (
    realm_id TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (realm_id, kind)
);
"""


class Store:
    """The sandbox database: a file path, a connection per thread, and the sandbox clock."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self.connection().executescript(SCHEMA)
        self._upgrade()

    def _upgrade(self) -> None:
        """Columns added since a database file was created (CREATE TABLE IF NOT EXISTS keeps old tables)."""
        db = self.connection()
        columns = {row["name"] for row in db.execute("PRAGMA table_info(apps)")}
        if "rotate_refresh" not in columns:
            db.execute("ALTER TABLE apps ADD COLUMN rotate_refresh INTEGER NOT NULL DEFAULT 0")

    def connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the lock is taken at BEGIN so concurrent writers queue up."""
        db = self.connection()
        if db.in_transaction:  # nested use inside an open transaction joins it
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self.connection()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- the movable clock -------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def clock_offset(self, realm_id: str | None = None) -> float:
        offset = float(self.meta("clock_offset", "0") or 0)
        if realm_id:
            row = self.read().execute("SELECT clock_offset FROM realms WHERE id = ?", (realm_id,)).fetchone()
            offset += row["clock_offset"] if row else 0
        return offset

    def now(self, realm_id: str | None = None) -> float:
        """Seconds since the epoch on the sandbox clock (real time plus the offsets)."""
        return time.time() + self.clock_offset(realm_id)

    def now_dt(self, realm_id: str | None = None) -> datetime:
        return datetime.fromtimestamp(self.now(realm_id), realm_zone("America/Los_Angeles"))

    def today(self, realm_id: str) -> str:
        """The realm's local date on the sandbox clock, as QBO defaults TxnDate."""
        row = self.read().execute("SELECT timezone FROM realms WHERE id = ?", (realm_id,)).fetchone()
        zone = realm_zone(row["timezone"] if row else "America/Los_Angeles")
        return datetime.fromtimestamp(self.now(realm_id), zone).date().isoformat()


def plus_days(iso_date: str, days: int) -> str:
    return (datetime.fromisoformat(iso_date) + timedelta(days=days)).date().isoformat()
