"""The jobs queue: one Huey instance, SQLite file by default, Redis when configured.

Task code imports ``from huey.contrib.djhuey import db_task, db_periodic_task`` and never
cares which storage is behind it.
"""

from __future__ import annotations

from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey


def build_huey(*, data_dir: Path, redis_url: str, immediate: bool) -> Huey:
    if immediate:
        return MemoryHuey("steward", immediate=True)
    if redis_url:
        return RedisHuey("steward", url=redis_url)
    # Its own file, apart from the application database: queue traffic never competes
    # with application writes for SQLite's single writer lock.
    return SqliteHuey("steward", filename=str(data_dir / "queue.sqlite3"))


def queue_health(huey: Huey) -> dict[str, object]:
    """Can the queue storage be reached, and how much work is waiting?"""
    try:
        pending = huey.pending_count()
        scheduled = huey.scheduled_count()
    except Exception as exc:  # any storage error means "unhealthy", reported not raised
        return {"ok": False, "backend": type(huey).__name__, "error": type(exc).__name__ + ": " + str(exc)}
    return {"ok": True, "backend": type(huey).__name__, "pending": pending, "scheduled": scheduled}
