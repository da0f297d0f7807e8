"""The offline spool: a bounded, ordered SQLite queue of messages the server has not yet
acknowledged.

Messages are kept as the exact JSON that would have been sent, with their message id, so a
replay sends the same ids and the server can recognise what it already has. A message is
deleted only after the server acknowledged (or definitively refused) it; a failure during a
replay leaves it and everything after it in place, in order. When the spool is full the
oldest messages are dropped and counted. A newer inventory supersedes queued older ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    size INTEGER NOT NULL,
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

Verdict = Literal["ack", "reject", "retry"]


@dataclass(frozen=True)
class SpooledMessage:
    seq: int
    kind: str
    message_id: str
    body: str
    queued_at: str
    attempts: int


@dataclass(frozen=True)
class SpoolStats:
    count: int
    bytes: int
    dropped: int
    rejected: int
    superseded: int
    oldest_queued_at: str | None


@dataclass(frozen=True)
class ReplayResult:
    sent: int
    rejected: int
    remaining: int
    stopped: bool  # a message could not be delivered; the rest waits for the next try


class Spool:
    def __init__(
        self, path: Path | str, *, max_messages: int = 2000, max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        if max_messages < 1 or max_bytes < 1:
            raise ValueError("the spool needs room for at least one message")
        self.path = Path(path)
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        if os.name == "posix" and not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _bump(self, db: sqlite3.Connection, name: str, by: int) -> None:
        if by:
            db.execute(
                "INSERT INTO counters(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (name, by),
            )

    def put(self, kind: str, message_id: str, body: str) -> int:
        """Queue a message (a repeated message id is ignored); returns how many old ones
        were dropped to stay within the bounds."""
        size = len(body.encode("utf-8"))
        now = dt.datetime.now(dt.UTC).isoformat()
        with self._transaction() as db:
            if kind == "inventory":
                superseded = db.execute("DELETE FROM messages WHERE kind = 'inventory'").rowcount
                self._bump(db, "superseded", superseded)
            db.execute(
                "INSERT OR IGNORE INTO messages(kind, message_id, body, size, queued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, message_id, body, size, now),
            )
            dropped = 0
            while True:
                count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM messages").fetchone()
                if count <= 1 or (count <= self.max_messages and total <= self.max_bytes):
                    break
                db.execute("DELETE FROM messages WHERE seq = (SELECT MIN(seq) FROM messages)")
                dropped += 1
            self._bump(db, "dropped", dropped)
        return dropped

    def pending(self, limit: int | None = None) -> list[SpooledMessage]:
        sql = "SELECT seq, kind, message_id, body, queued_at, attempts FROM messages ORDER BY seq"
        rows = self._db.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        return [SpooledMessage(*row) for row in rows]

    def newest(self, kind: str) -> SpooledMessage | None:
        row = self._db.execute(
            "SELECT seq, kind, message_id, body, queued_at, attempts FROM messages "
            "WHERE kind = ? ORDER BY seq DESC LIMIT 1",
            (kind,),
        ).fetchone()
        return SpooledMessage(*row) if row else None

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])

    def remove(self, seq: int) -> None:
        self._db.execute("DELETE FROM messages WHERE seq = ?", (seq,))

    def stats(self) -> SpoolStats:
        count, total, oldest = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(queued_at) FROM messages"
        ).fetchone()
        counters = dict(self._db.execute("SELECT name, value FROM counters").fetchall())
        return SpoolStats(
            count=count,
            bytes=total,
            dropped=counters.get("dropped", 0),
            rejected=counters.get("rejected", 0),
            superseded=counters.get("superseded", 0),
            oldest_queued_at=oldest,
        )

    def replay(self, send: Callable[[SpooledMessage], Verdict], *, batch: int = 100) -> ReplayResult:
        """Send queued messages oldest first. ``send`` returns "ack" (delivered: delete),
        "reject" (refused for good: delete and count) or "retry" (stop here, keep it and
        the rest). An exception from ``send`` also stops the replay with nothing lost."""
        sent = rejected = 0
        while True:
            messages = self.pending(batch)
            if not messages:
                return ReplayResult(sent, rejected, 0, stopped=False)
            for message in messages:
                self._db.execute("UPDATE messages SET attempts = attempts + 1 WHERE seq = ?", (message.seq,))
                verdict = send(message)
                if verdict == "retry":
                    return ReplayResult(sent, rejected, len(self), stopped=True)
                with self._transaction() as db:
                    db.execute("DELETE FROM messages WHERE seq = ?", (message.seq,))
                    if verdict == "reject":
                        self._bump(db, "rejected", 1)
                if verdict == "reject":
                    rejected += 1
                else:
                    sent += 1
