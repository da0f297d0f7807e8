"""The group-commit heartbeat writer: concurrency, batching, failures, acknowledgement."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection
from django.test import Client as HttpClient
from django.utils import timezone

from steward.devices.models import MetricSample
from steward.devices.services import AgentError, credentials, ingest
from steward.devices.services.enrollment import enroll
from steward_protocol.messages import CheckInResponse, EnrollRequest, Heartbeat
from tests.devices.conftest import enroll_body, heartbeat_body, identity, make_token


@pytest.fixture(autouse=True)
def _stop_module_writer() -> Iterator[None]:
    yield
    ingest.writer.stop()


def enroll_devices(world: Any, count: int) -> list[tuple[credentials.AuthenticatedDevice, dict[str, Any]]]:
    _, text = make_token(world.client_a)
    out = []
    for n in range(1, count + 1):
        enrolled = enroll(EnrollRequest.model_validate(enroll_body(text, n)))
        out.append((credentials.authenticate(f"Device {enrolled.credential}"), identity(n)))
    return out


def submission(
    auth: credentials.AuthenticatedDevice, ident: dict[str, Any], **over: Any
) -> ingest.Submission:
    hb = Heartbeat.model_validate(heartbeat_body(auth.device_uid, ident, **over))
    return ingest.Submission(
        auth=auth, row=ingest.HeartbeatRow.from_heartbeat(auth.device_id, hb, timezone.now())
    )


def slow(delay: float) -> ingest.FlushFn:
    def flush(batch: Sequence[ingest.Submission]) -> list[CheckInResponse | AgentError]:
        time.sleep(delay)
        return ingest.write_batch(batch)

    return flush


@pytest.mark.django_db(transaction=True)
def test_many_threads_all_acknowledged_samples_are_stored(world: Any) -> None:
    devices = enroll_devices(world, 10)
    writer = ingest.GroupCommitWriter(slow(0.01), inline=False)
    per_thread, threads_count = 5, 20
    barrier = threading.Barrier(threads_count)
    acknowledged: list[uuid.UUID] = []
    failures: list[Any] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        auth, ident = devices[index % len(devices)]
        barrier.wait()
        for _ in range(per_thread):
            sub = submission(auth, ident)
            result = writer.submit(sub)
            with lock:
                if isinstance(result, CheckInResponse) and not result.duplicate:
                    acknowledged.append(sub.row.message_id)
                else:
                    failures.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(threads_count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        writer.stop()
    assert failures == []
    assert len(acknowledged) == per_thread * threads_count
    stored = set(MetricSample.unscoped.values_list("message_id", flat=True))
    assert set(acknowledged) <= stored
    assert writer.stats.items == per_thread * threads_count
    assert writer.stats.largest_batch > 1, writer.stats.batch_sizes
    assert writer.stats.batches < writer.stats.items


@pytest.mark.django_db(transaction=True)
def test_concurrent_http_checkins(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real endpoint, several request threads at once, on the module's writer."""
    creds_text = {}
    _, text = make_token(world.client_a)
    for n in range(1, 9):
        enrolled = enroll(EnrollRequest.model_validate(enroll_body(text, n)))
        creds_text[n] = (enrolled.device.uid, enrolled.credential)
        credentials.authenticate(f"Device {enrolled.credential}")  # warm the cache
    monkeypatch.setattr(ingest.writer, "flush", slow(0.005))
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def run(n: int) -> None:
        http = HttpClient()
        uid, credential = creds_text[n]
        barrier.wait()
        for _ in range(5):
            body = heartbeat_body(uid, identity(n))
            response = http.post(
                "/api/agent/v1/checkin",
                body,
                content_type="application/json",
                headers={"Authorization": f"Device {credential}"},
            )
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ingest.writer.stop()
    assert statuses == [200] * 40
    assert MetricSample.unscoped.count() == 40
    assert ingest.writer.stats.largest_batch > 1


@pytest.mark.django_db(transaction=True)
def test_failed_flush_acknowledges_nothing(world: Any) -> None:
    devices = enroll_devices(world, 3)

    def broken(batch: Sequence[ingest.Submission]) -> list[CheckInResponse | AgentError]:
        with connection.cursor():
            raise OperationalError("database is locked")

    writer = ingest.GroupCommitWriter(broken, inline=False)
    subs = [submission(auth, ident) for auth, ident in devices]
    results: list[Any] = [None] * len(subs)

    def run(i: int) -> None:
        results[i] = writer.submit(subs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(subs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    writer.stop()
    assert all(isinstance(r, AgentError) and r.status == 503 for r in results), results
    assert MetricSample.unscoped.count() == 0
    assert writer.stats.failed_batches >= 1


@pytest.mark.django_db(transaction=True)
def test_failure_inside_the_transaction_rolls_the_batch_back(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Samples were inserted, then the hot-column update failed: none of it may remain."""
    devices = enroll_devices(world, 2)

    def fail(rows: Any) -> None:
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(ingest, "update_hot_columns", fail)
    writer = ingest.GroupCommitWriter(inline=False)
    try:
        results = [writer.submit(submission(auth, ident)) for auth, ident in devices]
    finally:
        writer.stop()
    assert all(isinstance(r, AgentError) and r.status == 503 for r in results)
    assert MetricSample.unscoped.count() == 0


def test_failed_flush_answers_503_over_http(
    agent: Any, enrolled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(rows: Any) -> None:
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(ingest, "update_hot_columns", fail)
    response = agent.checkin(enrolled)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "retry" in response.json()["detail"]
    assert MetricSample.unscoped.count() == 0
    monkeypatch.undo()
    # The agent retries the same message later: it is stored then, once.
    assert agent.checkin(enrolled).status_code == 200
    assert MetricSample.unscoped.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_bad_row_does_not_fail_its_neighbours(world: Any) -> None:
    devices = enroll_devices(world, 3)
    calls: list[int] = []

    def picky(batch: Sequence[ingest.Submission]) -> list[CheckInResponse | AgentError]:
        calls.append(len(batch))
        if len(batch) > 1:
            raise IntegrityError("FOREIGN KEY constraint failed")
        return ingest.write_batch(batch)

    writer = ingest.GroupCommitWriter(picky, inline=False)
    subs = [submission(auth, ident) for auth, ident in devices]
    # Queue all three before the flusher runs, so they form one batch.
    with writer._cond:
        writer._ensure_thread()
        writer._pending.extend(subs)
        writer._cond.notify()
    for sub in subs:
        assert sub.done.wait(10)
    writer.stop()
    assert calls == [3, 1, 1, 1]
    assert all(isinstance(s.result, CheckInResponse) for s in subs)
    assert MetricSample.unscoped.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_stuck_flush_times_out_with_503(world: Any) -> None:
    [(auth, ident)] = enroll_devices(world, 1)
    release = threading.Event()

    def stuck(batch: Sequence[ingest.Submission]) -> list[CheckInResponse | AgentError]:
        release.wait(10)
        return ingest.write_batch(batch)

    writer = ingest.GroupCommitWriter(stuck, inline=False, wait_seconds=0.2)
    sub = submission(auth, ident)
    result = writer.submit(sub)
    assert isinstance(result, AgentError) and result.status == 503
    release.set()
    writer.stop()
    # It landed after all; a retry of the same message is answered as a duplicate.
    retry = ingest.Submission(auth=auth, row=sub.row)
    assert isinstance(ingest.GroupCommitWriter(inline=True).submit(retry), CheckInResponse)
    assert MetricSample.unscoped.count() == 1


def test_inline_inside_a_transaction(enrolled: Any) -> None:
    """Under a test transaction the writer writes in the caller's thread (no flusher thread)."""
    assert connection.in_atomic_block
    auth = credentials.authenticate(f"Device {enrolled.credential}")
    writer = ingest.GroupCommitWriter()
    result = writer.submit(submission(auth, enrolled.ident))
    assert isinstance(result, CheckInResponse)
    assert writer._thread is None
    assert MetricSample.unscoped.count() == 1


def test_a_replay_inside_a_batch_is_answered_as_duplicate(enrolled: Any) -> None:
    """The fast single-INSERT path notices the replay, rolls back and redoes with a pre-check."""
    auth = credentials.authenticate(f"Device {enrolled.credential}")
    first = submission(auth, enrolled.ident)
    ingest.write_batch([first])
    replay = ingest.Submission(auth=auth, row=first.row)
    new = submission(auth, enrolled.ident, cpu_percent=55.0)
    results = ingest.write_batch([replay, new])
    assert [r.duplicate for r in results if isinstance(r, CheckInResponse)] == [True, False]
    assert sorted(MetricSample.unscoped.values_list("cpu_percent", flat=True)) == [12.5, 55.0]
    assert enrolled.device.cpu_percent == 55.0
