"""The jobs queue: one Huey instance, SQLite file by default, Redis when configured.

Task modules declare jobs with :func:`job` and :func:`periodic_job` below rather than
Huey's decorators directly: those add a stable task name, Django connection hygiene
(``huey.contrib.djhuey.db_task``) and run the body as the audit actor ``job:<name>`` so
every change a job makes is attributed in the audit trail.

This module is imported by the settings, so it must not import Django models or
``huey.contrib.djhuey`` at module level (both need configured settings).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

F = TypeVar("F", bound=Callable[..., Any])


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


def job_actor_label(name: str) -> str:
    return f"job:{name}"


def as_system_job(name: str) -> Callable[[F], F]:
    """Run the decorated function as the audit actor ``Actor.system("job:<name>")``."""

    def decorator(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            from steward.core import audit

            with audit.acting_as(audit.Actor.system(job_actor_label(name))):
                return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return decorator


def job(*, name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A queued task: ``@job(name="send_report")``; call it to enqueue, ``.call_local`` to run inline."""

    def decorator(fn: Callable[..., Any]) -> Any:
        from huey.contrib.djhuey import db_task

        return db_task(name=name, **options)(as_system_job(name)(fn))

    return decorator


def periodic_job(
    schedule: Callable[..., bool], *, name: str, **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """A task the worker's scheduler runs on ``schedule`` (a ``huey.crontab``)."""

    def decorator(fn: Callable[..., Any]) -> Any:
        from huey.contrib.djhuey import db_periodic_task

        return db_periodic_task(schedule, name=name, **options)(as_system_job(name)(fn))

    return decorator
