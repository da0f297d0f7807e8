"""Background jobs through a real queue (SQLite file and Redis), and /healthz's view of them."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

import pytest
from django.utils import timezone
from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from steward.core import audit, tasks
from steward.core.models import AuditEntry, LoginThrottle, SchedulerBeat
from steward.core.services import system_check
from steward.jobs import as_system_job, job, queue_health

REDIS_URL = "redis://127.0.0.1:6379/15"


def adopt(huey: Huey, *wrappers) -> Huey:
    """Register Steward's tasks on a separate Huey, as the worker's Huey has them."""
    for wrapper in wrappers:
        huey._registry.register(wrapper.task_class)
    return huey


def round_trip(huey: Huey) -> SchedulerBeat:
    """Enqueue the heartbeat, take it off the queue and run it as the consumer does."""
    huey.enqueue(tasks.heartbeat.s())
    assert huey.pending_count() == 1
    message = huey.dequeue()
    assert message is not None
    assert huey.pending_count() == 0
    assert type(message).__name__ == "heartbeat"
    huey.execute(message)
    return SchedulerBeat.objects.get(name="heartbeat")


def check_heartbeat_round_trips(huey: Huey) -> None:
    adopt(huey, tasks.heartbeat)
    assert not SchedulerBeat.objects.exists()
    before = timezone.now()
    first = round_trip(huey)
    assert first.runs == 1
    assert before <= first.last_run_at <= timezone.now()
    second = round_trip(huey)
    assert second.runs == 2
    assert second.last_run_at >= first.last_run_at
    assert SchedulerBeat.objects.count() == 1


def test_heartbeat_round_trip_through_a_sqlite_queue(db, tmp_path):
    check_heartbeat_round_trips(SqliteHuey("steward-test", filename=str(tmp_path / "queue.sqlite3")))


def test_heartbeat_round_trip_through_redis(db):
    huey = RedisHuey(f"steward-test-{uuid.uuid4().hex[:8]}", url=REDIS_URL)
    try:
        huey.storage.conn.ping()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    try:
        check_heartbeat_round_trips(huey)
    finally:
        huey.flush()


def test_scheduler_runs_heartbeat_every_minute_and_cleanup_daily(tmp_path):
    huey = adopt(
        SqliteHuey("steward-test", filename=str(tmp_path / "queue.sqlite3")),
        tasks.heartbeat,
        tasks.cleanup_login_throttles,
    )
    for minute in (0, 1, 29, 59):
        due = {type(task).__name__ for task in huey.read_periodic(dt.datetime(2026, 3, 4, 12, minute))}
        assert due == {"heartbeat"}
    due = {type(task).__name__ for task in huey.read_periodic(dt.datetime(2026, 3, 4, 3, 17))}
    assert due == {"heartbeat", "cleanup_login_throttles"}


def test_jobs_run_as_an_attributed_system_actor(db):
    @job(name="test_probe_actor")
    def probe() -> str:
        audit.record("probe", object_type="test.probe", object_id="1")
        return audit.current_actor().label

    try:
        assert probe().get() == "job:test_probe_actor"  # immediate mode in tests: runs inline
    finally:
        probe.unregister()
    entry = AuditEntry.unscoped.get(action="probe")
    assert (entry.actor_type, entry.actor_label) == ("system", "job:test_probe_actor")
    assert audit.current_actor().label == "unattributed"  # restored after the job
    assert as_system_job("x")(lambda: audit.current_actor().label)() == "job:x"


def test_cleanup_deletes_only_stale_login_throttles(db, settings):
    now = timezone.now()
    old = now - dt.timedelta(seconds=settings.STEWARD_LOGIN_LOCKOUT_SECONDS + 60)
    LoginThrottle.objects.create(key="addr:stale", failures=3, window_started=old)
    LoginThrottle.objects.create(
        key="addr:expired-lock", window_started=old, locked_until=now - dt.timedelta(1)
    )
    LoginThrottle.objects.create(
        key="addr:locked", window_started=old, locked_until=now + dt.timedelta(minutes=5)
    )
    LoginThrottle.objects.create(key="addr:recent", failures=2, window_started=now)
    tasks.cleanup_login_throttles()  # immediate mode in tests: runs inline (periodic tasks keep no result)
    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {"addr:locked", "addr:recent"}


# --- /healthz -------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_reports_database_queue_and_scheduler(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["queue"]["ok"] is True
    assert body["checks"]["scheduler"]["ok"] is None  # nothing ran yet
    assert response["Cache-Control"].startswith("max-age=0")

    tasks.heartbeat()  # immediate mode: runs inline
    body = client.get("/healthz").json()
    scheduler = body["checks"]["scheduler"]
    assert scheduler["ok"] is True
    assert 0 <= scheduler["age_seconds"] < 5
    assert scheduler == system_check.scheduler_state()  # `steward check` reads the same


def test_healthz_reports_a_stale_scheduler(db, client):
    SchedulerBeat.objects.create(
        name="heartbeat", last_run_at=timezone.now() - dt.timedelta(minutes=12), runs=5
    )
    response = client.get("/healthz")
    assert response.status_code == 200  # the web side still works; monitoring alerts on the flag
    scheduler = response.json()["checks"]["scheduler"]
    assert scheduler["ok"] is False
    assert 12 * 60 <= scheduler["age_seconds"] < 13 * 60


def test_healthz_is_503_when_the_queue_is_unreachable(db, client, settings):
    settings.HUEY = RedisHuey("steward-down", url=f"redis://127.0.0.1:{closed_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["queue"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert queue_health(settings.HUEY)["ok"] is False
