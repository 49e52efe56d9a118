"""Rate-limit counters in an SQLite file, shared by every worker process of one node.

flask-limiter's in-memory storage keeps one set of counters per process, so with two gunicorn
workers each address got twice the documented limit. Without Redis (which shares counters
across nodes too) the counters live in `limits.sqlite3` in the instance folder: a fixed-window
counter per key, one small write per request. Registered with the `limits` library under the
scheme `directory+sqlite`.
"""

from __future__ import annotations

import sqlite3
import threading
import time

from limits.storage import Storage

# Expired rows are deleted every this many increments.
SWEEP_EVERY = 1000


class SQLiteStorage(Storage):
    """A `limits` storage for the fixed-window strategy: `directory+sqlite:///path`."""

    STORAGE_SCHEME = ["directory+sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        self._local = threading.local()
        self._writes = 0
        with self._connection() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                "value INTEGER NOT NULL, expires REAL NOT NULL)"
            )

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Autocommit; WAL so that workers do not block each other's reads.
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # counters: losing the last ones is fine
            self._local.conn = conn
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's counter, starting a new window when the old one ended."""
        now = time.time()
        conn = self._connection()
        (value,) = conn.execute(
            "INSERT INTO counters (key, value, expires) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (key) DO UPDATE SET "
            "value = CASE WHEN expires <= ?4 THEN ?2 ELSE value + ?2 END, "
            "expires = CASE WHEN expires <= ?4 THEN ?3 ELSE expires END "
            "RETURNING value",
            (key, amount, now + expiry, now),
        ).fetchone()
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(value)

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._connection()
            .execute("SELECT expires FROM counters WHERE key = ?", (key,))
            .fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
