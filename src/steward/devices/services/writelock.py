"""One SQLite writer at a time across the web processes, handed over without sleeping."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator

from django.db import connection

try:
    import fcntl
except ImportError:  # Windows: no flock; SQLite's own busy handling still keeps it correct
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def sqlite_writer_turn() -> Iterator[None]:
    """On SQLite, let one process's writer at a time into the database, handed over at once.

    Several web processes each run a writer, and SQLite has one write lock. Left to SQLite,
    a writer that finds the lock taken sleeps in growing steps (1, 2, 5, 10… ms) before
    retrying, so two writers waste most of their time asleep. A blocking ``flock`` on a file
    beside the database wakes the next writer the moment the previous one commits; while
    it waits, its process keeps collecting heartbeats, so its next batch is bigger.
    """
    if connection.vendor != "sqlite" or fcntl is None:
        yield
        return
    with open(_writer_lock_path(), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@functools.cache
def _writer_lock_path() -> str:
    if connection.is_in_memory_db():  # type: ignore[attr-defined]
        # tests: no file to sit beside, and the database is this process's
        return os.path.join(tempfile.gettempdir(), f"steward-{os.getpid()}.ingest-lock")
    return f"{connection.settings_dict['NAME']}.ingest-lock"
