"""A local record of side effects (payments, e-mails, stock) that stands in for outside services.

Worker activities talk to the outside world through small interfaces (a payment gateway, an
e-mail sender, ...). Their local implementations write what they would have done into one SQLite
file, ``SIDE_EFFECTS_DB`` (default ``.data/side_effects.sqlite3``), so the whole system runs without
third-party accounts and tests can read back every effect in order.

Two kinds of entry exist:

* :meth:`SideEffectLog.record_once` keys an effect by ``(kind, key)`` and stores it at most once.
  A retried activity gets the first result back instead of acting twice; this is how the local
  gateways are idempotent, like a real payment API with an idempotency key.
* :meth:`SideEffectLog.record_event` appends unconditionally, for facts such as "chunk 3 written"
  where a repeat is exactly what a test wants to catch.

Each call opens its own connection (WAL mode, generous busy timeout), so several worker processes
and the test process can share the file safely.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Generator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SIDE_EFFECTS_DB",
    "SIDE_EFFECTS_DB_ENV",
    "SideEffect",
    "SideEffectLog",
]

SIDE_EFFECTS_DB_ENV = "SIDE_EFFECTS_DB"
DEFAULT_SIDE_EFFECTS_DB = Path(".data/side_effects.sqlite3")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS side_effects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    once INTEGER NOT NULL,
    payload TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS side_effects_once ON side_effects (kind, key) WHERE once = 1;
CREATE INDEX IF NOT EXISTS side_effects_key ON side_effects (key);
"""


@dataclass(frozen=True)
class SideEffect:
    """One recorded effect; ``seq`` orders effects across every process that wrote them."""

    seq: int
    kind: str
    key: str
    payload: dict[str, Any]
    recorded_at: str


class SideEffectLog:
    """The SQLite file of recorded side effects at ``path`` (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        """Remember ``path``; the file and its folder are created on first write or read."""
        self.path = Path(path)

    @classmethod
    def from_environment(cls) -> SideEffectLog:
        """The log at ``SIDE_EFFECTS_DB`` (default ``.data/side_effects.sqlite3``).

        For the code that wires a worker's collaborators, once at start-up; activities are
        given their log and never read the environment.
        """
        return cls(os.environ.get(SIDE_EFFECTS_DB_ENV) or DEFAULT_SIDE_EFFECTS_DB)

    @contextmanager
    def _connect(self) -> Generator[sqlite3.Connection]:
        _initialise(self.path)
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as connection:
            yield connection

    def record_once(
        self, kind: str, key: str, payload: Mapping[str, Any]
    ) -> tuple[SideEffect, bool]:
        """Store ``payload`` for ``(kind, key)`` unless one is stored already.

        Returns the stored effect and whether this call created it; a repeat returns the first
        payload unchanged, so callers hand the original result back to a retried activity.
        """
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                existing = self._find(connection, kind, key)
                if existing is not None:
                    return existing, False
                created = self._insert(connection, kind, key, payload, once=True)
            finally:
                connection.execute("COMMIT")
        return created, True

    def record_event(self, kind: str, key: str, payload: Mapping[str, Any]) -> SideEffect:
        """Append an effect unconditionally (repeats are kept, in order)."""
        with self._connect() as connection:
            return self._insert(connection, kind, key, payload, once=False)

    def find(self, kind: str, key: str) -> SideEffect | None:
        """The effect stored once for ``(kind, key)``, if any."""
        with self._connect() as connection:
            return self._find(connection, kind, key)

    def count(self, kind: str) -> int:
        """How many effects of ``kind`` are stored, repeats included (cheap enough to poll)."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT COUNT(*) FROM side_effects WHERE kind = ?", (kind,)
            ).fetchone()
        return int(row[0])

    def entries(self, *, key: str | None = None, key_prefix: str | None = None) -> list[SideEffect]:
        """Every effect in the order it happened, optionally only for one key or key prefix."""
        query = "SELECT seq, kind, key, payload, recorded_at FROM side_effects"
        params: list[str] = []
        if key is not None:
            query += " WHERE key = ?"
            params.append(key)
        elif key_prefix is not None:
            query += " WHERE substr(key, 1, ?) = ?"
            params += [str(len(key_prefix)), key_prefix]
        with self._connect() as connection:
            rows = connection.execute(query + " ORDER BY seq", params).fetchall()
        return [_effect(row) for row in rows]

    @staticmethod
    def _find(connection: sqlite3.Connection, kind: str, key: str) -> SideEffect | None:
        row = connection.execute(
            "SELECT seq, kind, key, payload, recorded_at FROM side_effects "
            "WHERE kind = ? AND key = ? AND once = 1",
            (kind, key),
        ).fetchone()
        return _effect(row) if row is not None else None

    @staticmethod
    def _insert(
        connection: sqlite3.Connection,
        kind: str,
        key: str,
        payload: Mapping[str, Any],
        *,
        once: bool,
    ) -> SideEffect:
        recorded_at = datetime.now(UTC).isoformat(timespec="microseconds")
        text = json.dumps(dict(payload), sort_keys=True, default=str)
        cursor = connection.execute(
            "INSERT INTO side_effects (kind, key, once, payload, recorded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, key, int(once), text, recorded_at),
        )
        return SideEffect(
            seq=int(cursor.lastrowid or 0),
            kind=kind,
            key=key,
            payload=json.loads(text),
            recorded_at=recorded_at,
        )


_initialised: set[Path] = set()
_initialising = threading.Lock()
_INIT_ATTEMPTS = 100


def _initialise(path: Path) -> None:
    """Create the folder, the WAL journal and the table once per file and process."""
    key = path.resolve()
    if key in _initialised:
        return
    with _initialising:
        if key in _initialised:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(_INIT_ATTEMPTS):
            try:
                with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as connection:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.executescript(_SCHEMA)
                break
            except sqlite3.OperationalError as error:
                # Switching to WAL needs a moment alone with the file and SQLite does not wait
                # for it, so another process opening the file at the same time means "try again".
                if "locked" not in str(error) or attempt == _INIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)
        _initialised.add(key)


def _effect(row: tuple[Any, ...]) -> SideEffect:
    seq, kind, key, payload, recorded_at = row
    return SideEffect(
        seq=int(seq),
        kind=str(kind),
        key=str(key),
        payload=json.loads(payload),
        recorded_at=str(recorded_at),
    )
