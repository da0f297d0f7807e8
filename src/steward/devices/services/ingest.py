"""Heartbeat ingest: the check-in hot path and its per-process group-commit writer.

A check-in is authenticated from the credential cache, validated, and handed to the
:class:`GroupCommitWriter` of its process. Request threads enqueue and wait; one flusher
thread takes everything pending (up to ``max_batch``), re-reads the state of those
credentials whose cached state is older than the TTL (one query: revoked? quarantined?
interval, want_inventory), and writes the accepted heartbeats in ONE transaction:

- one multi-row ``INSERT … ON CONFLICT (device_id, message_id) DO NOTHING`` of
  :class:`MetricSample` rows (a replayed message id inserts nothing and is answered
  ``duplicate=True``), and
- one ``UPDATE … FROM (VALUES …)`` of the devices' hot columns (last_seen_at,
  cpu/memory/disk, uptime, pending_reboot, last_heartbeat, agent_version, hostname) with
  the newest heartbeat of each device in the batch.

Only after the commit are the waiting requests answered 200; if the flush fails they get
503 and the agent keeps the heartbeat in its spool. "Acknowledged" therefore means
"committed". See docs/ingest.md.

When the calling thread is already inside a transaction (Django's test client under a
``TestCase``/``db`` fixture, or a caller's ``atomic`` block), the batch of one is written
inline in that thread and transaction: a separate connection could not see the caller's
uncommitted rows, and the caller's commit decides durability anyway.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Field
from django.utils import timezone

from steward.core import audit
from steward.devices.models import Device, DeviceChange, DeviceFacts, MetricSample
from steward.devices.services import AgentError
from steward.devices.services import credentials as creds
from steward.devices.services.enrollment import find_same_machine
from steward.devices.services.writelock import sqlite_writer_turn
from steward_protocol.messages import CheckInResponse, DeviceIdentity, Heartbeat

logger = logging.getLogger("steward.devices.ingest")

DEFAULT_MAX_BATCH = 500
DEFAULT_WAIT_SECONDS = 15.0
UNAVAILABLE = "the server could not store this heartbeat now; keep it and retry"


# --- one heartbeat, as the writer stores it ---------------------------------------------


@dataclass(slots=True)
class HeartbeatRow:
    """The values a heartbeat writes: a metric sample and the device's hot columns."""

    device_id: int
    message_id: uuid.UUID
    ts: int
    received_at: dt.datetime
    cpu_percent: float
    memory_percent: float
    disk_percent: float | None
    uptime_seconds: int
    pending_reboot: bool | None
    last_heartbeat: dict[str, Any]
    agent_version: str
    hostname: str
    inventory_hash: str | None
    # Database-ready parameters, prepared in the request thread so the writer thread does
    # as little Python work as possible: (device, message_id, ts, cpu, memory, disk) and
    # the hot columns in ``HOT_COLUMNS`` order.
    sample_params: tuple[Any, ...] = ()
    hot_params: tuple[Any, ...] = ()

    def prepare(self) -> HeartbeatRow:
        fields = _hot_fields()
        values = (
            self.received_at,
            self.cpu_percent,
            self.memory_percent,
            self.disk_percent,
            self.uptime_seconds,
            self.pending_reboot,
            self.last_heartbeat,
            self.agent_version,
            self.hostname,
        )
        self.hot_params = tuple(
            f.get_db_prep_value(v, connection) for f, v in zip(fields, values, strict=True)
        )
        message_id = _field(MetricSample, "message_id").get_db_prep_value(self.message_id, connection)
        self.sample_params = (
            self.device_id,
            message_id,
            self.ts,
            self.cpu_percent,
            self.memory_percent,
            self.disk_percent,
        )
        return self

    @classmethod
    def from_heartbeat(cls, device_id: int, hb: Heartbeat, received_at: dt.datetime) -> HeartbeatRow:
        memory = _percent(hb.memory_used_bytes, hb.memory_total_bytes) or 0.0
        volumes = [v for v in hb.volumes if v.total_bytes > 0]
        disk = max((_percent(v.used_bytes, v.total_bytes) or 0.0 for v in volumes), default=None)
        return cls(
            device_id=device_id,
            message_id=hb.message_id,
            ts=int(received_at.timestamp()),
            received_at=received_at,
            cpu_percent=float(hb.cpu_percent),
            memory_percent=memory,
            disk_percent=disk,
            uptime_seconds=hb.uptime_seconds,
            pending_reboot=hb.pending_reboot,
            last_heartbeat={
                "message_id": str(hb.message_id),
                "sent_at": hb.sent_at.isoformat(),
                "memory_total_bytes": hb.memory_total_bytes,
                "memory_used_bytes": hb.memory_used_bytes,
                "volumes": [v.model_dump() for v in hb.volumes],
                "logged_in_users": list(hb.logged_in_users),
            },
            agent_version=hb.agent_version,
            hostname=hb.identity.hostname,
            inventory_hash=hb.inventory_hash,
        ).prepare()


def _percent(used: int, total: int) -> float | None:
    if total <= 0:
        return None
    return round(min(100.0, max(0.0, used * 100.0 / total)), 2)


@dataclass(slots=True)
class Submission:
    """A heartbeat waiting for the writer, and (once ``done`` is set) its answer."""

    auth: creds.AuthenticatedDevice
    row: HeartbeatRow
    done: threading.Event = field(default_factory=threading.Event)
    result: CheckInResponse | AgentError | None = None


# --- SQL: insert samples, update hot columns ---------------------------------------------


class ReplayInBatch(Exception):
    """The fast insert found an already-stored message: redo the batch with a pre-check."""


def insert_samples(rows: Sequence[HeartbeatRow], *, precheck: bool = False) -> set[tuple[int, uuid.UUID]]:
    """Insert samples, ignoring (device, message_id) already stored; returns those inserted.

    Normally one multi-row ``INSERT … ON CONFLICT DO NOTHING`` that inserts every row. If
    it inserted fewer (a replayed message), :class:`ReplayInBatch` is raised so the caller
    rolls the transaction back and calls again with ``precheck=True``: one more query first
    asks which messages are already stored, and those are answered as duplicates.

    Not ``RETURNING``: SQLite steps it once per row, and each step releases and re-takes the
    GIL, which is slow for the writer thread in a busy process.
    """
    if not rows:
        return set()
    qn = connection.ops.quote_name
    table = qn(MetricSample._meta.db_table)
    device_col, message_col = qn(_column(MetricSample, "device")), qn(_column(MetricSample, "message_id"))
    columns = ", ".join(qn(_column(MetricSample, name)) for name in SAMPLE_COLUMNS)
    inserted: set[tuple[int, uuid.UUID]] = set()
    for part in _chunks(rows, 1000):
        fresh = list(part)
        if precheck:
            devices = sorted({r.device_id for r in part})
            messages = [r.sample_params[1] for r in part]
            where = f"{device_col} IN ({_marks(len(devices))}) AND {message_col} IN ({_marks(len(messages))})"
            sql = f"SELECT {device_col}, {message_col} FROM {table} WHERE {where}"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [*devices, *messages])
                stored = {(int(d), _as_uuid(m)) for d, m in cursor.fetchall()}
            fresh = [r for r in part if (r.device_id, r.message_id) not in stored]
            if not fresh:
                continue
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {_rows_sql(len(fresh), 6)} "  # noqa: S608
            f"ON CONFLICT ({device_col}, {message_col}) DO NOTHING"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [p for row in fresh for p in row.sample_params])
            count = cursor.rowcount
        if count != len(fresh) and not precheck:
            raise ReplayInBatch
        inserted.update((r.device_id, r.message_id) for r in fresh)
    return inserted


@functools.cache
def _rows_sql(count: int, width: int) -> str:
    row = "(" + _marks(width) + ")"
    return ", ".join([row] * count)


SAMPLE_COLUMNS = ("device", "message_id", "ts", "cpu_percent", "memory_percent", "disk_percent")
HOT_COLUMNS = (
    "last_seen_at",
    "cpu_percent",
    "memory_percent",
    "disk_percent",
    "uptime_seconds",
    "pending_reboot",
    "last_heartbeat",
    "agent_version",
    "hostname",
)


def _chunks(rows: Sequence[HeartbeatRow], size: int) -> list[Sequence[HeartbeatRow]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _field(model: type[models.Model], name: str) -> Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, Field)
    return found


def _column(model: type[models.Model], name: str) -> str:
    return str(_field(model, name).column)


@functools.cache
def _hot_fields() -> tuple[Field[Any, Any], ...]:
    return tuple(_field(Device, name) for name in HOT_COLUMNS)


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@functools.cache
def _update_sql(vendor: str, count: int) -> str:
    """``UPDATE device SET … FROM (VALUES …) v WHERE id = v.column1`` for ``count`` rows.

    ``VALUES`` columns are called column1, column2… on both SQLite (≥ 3.33 for UPDATE FROM)
    and PostgreSQL. PostgreSQL types each value explicitly (a column of NULLs would
    otherwise read as text).
    """
    qn = connection.ops.quote_name
    if vendor == "postgresql":
        types = ["bigint", *(f.db_type(connection) for f in _hot_fields())]
        row = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    else:
        row = "(" + _marks(len(HOT_COLUMNS) + 1) + ")"
    table = qn(Device._meta.db_table)
    assignments = ", ".join(f"{qn(str(f.column))} = v.column{i + 2}" for i, f in enumerate(_hot_fields()))
    return (
        f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * count)}) AS v "  # noqa: S608
        f"WHERE {table}.{qn('id')} = v.column1"
    )


def update_hot_columns(rows: Sequence[HeartbeatRow]) -> None:
    """One UPDATE of the devices' latest-heartbeat columns (one row per device)."""
    for part in _chunks(rows, 500):
        params = [p for row in part for p in (row.device_id, *row.hot_params)]
        with connection.cursor() as cursor:
            cursor.execute(_update_sql(connection.vendor, len(part)), params)


def identity_changes(row: HeartbeatRow, state: creds.DeviceState) -> list[DeviceChange]:
    """History lines for what a heartbeat changed besides metrics: hostname, agent version."""
    found = []
    if state.hostname and row.hostname != state.hostname:
        found.append(
            DeviceChange(
                device_id=row.device_id,
                at=row.received_at,
                category=DeviceChange.Category.OS,
                summary=f"Hostname changed {state.hostname} → {row.hostname}"[:255],
                details={"before": state.hostname, "after": row.hostname},
            )
        )
    if state.agent_version and row.agent_version != state.agent_version:
        found.append(
            DeviceChange(
                device_id=row.device_id,
                at=row.received_at,
                category=DeviceChange.Category.AGENT,
                summary=f"Agent updated {state.agent_version} → {row.agent_version}"[:255],
                details={"before": state.agent_version, "after": row.agent_version},
            )
        )
    return found


def store_rows(
    rows: Sequence[HeartbeatRow], states: dict[int, creds.DeviceState], *, precheck: bool = False
) -> set[int]:
    """Write heartbeats (in the caller's transaction); returns the indexes that were duplicates.

    ``states`` maps device id → state as read before the write (for identity changes).
    """
    first: dict[tuple[int, uuid.UUID], int] = {}
    duplicates: set[int] = set()
    for index, row in enumerate(rows):
        key = (row.device_id, row.message_id)
        if key in first:
            duplicates.add(index)  # the same message twice in one batch
        else:
            first[key] = index
    inserted = insert_samples([rows[i] for i in first.values()], precheck=precheck)
    newest: dict[int, HeartbeatRow] = {}
    for key, index in first.items():
        if key not in inserted:
            duplicates.add(index)  # stored by an earlier request
        else:
            newest[rows[index].device_id] = rows[index]  # later rows of a device win
    if newest:
        update_hot_columns(list(newest.values()))
        changes = [
            change
            for row in newest.values()
            if (state := states.get(row.device_id)) is not None
            for change in identity_changes(row, state)
        ]
        if changes:
            DeviceChange.unscoped.bulk_create(changes)
    return duplicates


def answer(
    row: HeartbeatRow, state: creds.DeviceState, *, duplicate: bool, now: dt.datetime
) -> CheckInResponse:
    want = state.want_inventory or (
        row.inventory_hash is not None and row.inventory_hash != state.inventory_hash
    )
    return CheckInResponse(
        interval_seconds=state.interval, want_inventory=want, server_time=now, duplicate=duplicate
    )


def current_states(batch: Sequence[Submission]) -> dict[int, creds.DeviceState | None]:
    """credential id → state, re-read (one query) for credentials whose state is older than the TTL.

    ``None``: the credential (or its device) no longer exists.
    """
    ttl = creds.cache.ttl
    now = time.monotonic()
    states: dict[int, creds.DeviceState | None] = {}
    stale: list[int] = []
    for sub in batch:
        auth = sub.auth
        if now - auth.checked_at > ttl:
            stale.append(auth.credential_id)
        else:
            states[auth.credential_id] = auth.state
    if stale:
        fresh = creds.load_states(stale)
        for sub in batch:
            auth = sub.auth
            if auth.credential_id in fresh:
                auth.state, auth.checked_at = fresh[auth.credential_id], now
                states[auth.credential_id] = auth.state
                creds.cache.refresh(auth.prefix, auth.state)
            elif auth.credential_id in stale:
                states[auth.credential_id] = None
                creds.cache.forget(auth.prefix)
    return states


def write_batch(batch: Sequence[Submission]) -> list[CheckInResponse | AgentError]:
    """Check each submission's credential state, then write the accepted ones in one transaction."""
    states = current_states(batch)
    results: list[CheckInResponse | AgentError | None] = [None] * len(batch)
    accepted: list[tuple[int, creds.DeviceState]] = []
    for index, sub in enumerate(batch):
        state = states.get(sub.auth.credential_id)
        if state is None:  # credential (or device) deleted since the request authenticated
            results[index] = AgentError(401, creds.UNKNOWN_CREDENTIAL)
            continue
        try:
            creds.check_state(state)
        except AgentError as refusal:
            results[index] = refusal
            continue
        accepted.append((index, state))
    if accepted:
        rows = [batch[i].row for i, _ in accepted]
        by_device = {batch[i].row.device_id: state for i, state in accepted}
        try:
            with sqlite_writer_turn(), transaction.atomic():
                duplicates = store_rows(rows, by_device)
        except ReplayInBatch:  # rolled back; rare: redo, asking first which are stored
            with sqlite_writer_turn(), transaction.atomic():
                duplicates = store_rows(rows, by_device, precheck=True)
        now = timezone.now()
        for position, (index, state) in enumerate(accepted):
            row = batch[index].row
            results[index] = answer(row, state, duplicate=position in duplicates, now=now)
            # What this process wrote is now the device's state (until the next read).
            state.hostname, state.agent_version = row.hostname, row.agent_version
    return [r if r is not None else AgentError(503, UNAVAILABLE) for r in results]


# --- the group-commit writer -------------------------------------------------------------


@dataclass
class WriterStats:
    batches: int = 0
    items: int = 0
    largest_batch: int = 0
    failed_batches: int = 0
    batch_sizes: list[int] = field(default_factory=list)  # the last 1,000, for tests and tuning

    def record(self, size: int, failed: bool) -> None:
        self.batches += 1
        self.items += size
        self.largest_batch = max(self.largest_batch, size)
        self.failed_batches += int(failed)
        self.batch_sizes.append(size)
        if len(self.batch_sizes) > 1000:
            del self.batch_sizes[:500]


FlushFn = Callable[[Sequence[Submission]], list[CheckInResponse | AgentError]]


class GroupCommitWriter:
    """Coalesces the heartbeats of one process into one transaction per batch.

    ``submit`` blocks until the heartbeat is committed (or refused, or failed). The flusher
    thread starts on first use and again after a fork (gunicorn forks its workers).
    """

    def __init__(
        self,
        flush: FlushFn = write_batch,
        *,
        max_batch: int | None = None,
        wait_seconds: float | None = None,
        inline: bool | None = None,
    ) -> None:
        self.flush = flush
        self.max_batch = max_batch or int(getattr(settings, "STEWARD_INGEST_MAX_BATCH", DEFAULT_MAX_BATCH))
        self.wait_seconds = wait_seconds or float(
            getattr(settings, "STEWARD_INGEST_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)
        )
        self.inline = inline
        self.stats = WriterStats()
        self._cond = threading.Condition()
        self._pending: list[Submission] = []
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    # -- request side

    def submit(self, sub: Submission) -> CheckInResponse | AgentError:
        if self._run_inline():
            self._flush_batch([sub])
        else:
            with self._cond:
                self._ensure_thread()
                self._pending.append(sub)
                self._cond.notify()
            if not sub.done.wait(self.wait_seconds):
                # Still queued or being written: the agent retries later with the same
                # message id, which is then answered as a duplicate if this write landed.
                return AgentError(503, UNAVAILABLE)
        assert sub.result is not None
        return sub.result

    def _run_inline(self) -> bool:
        if self.inline is not None:
            return self.inline
        if not getattr(settings, "STEWARD_INGEST_GROUP_COMMIT", True):
            return True
        return connection.in_atomic_block

    def _ensure_thread(self) -> None:
        # Called with the condition held.
        pid = os.getpid()
        if self._thread is not None and self._pid == pid and self._thread.is_alive():
            return
        if self._pid != pid:  # a forked child: the parent's queue and thread are not ours
            self._pending = []
        self._pid = pid
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="steward-heartbeat-writer", daemon=True)
        self._thread.start()

    # -- flusher side

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._stopping:
                        self._cond.wait()
                    if not self._pending:
                        return
                    batch = self._pending[: self.max_batch]
                    del self._pending[: len(batch)]
                self._flush_batch(batch)
        finally:
            connection.close()

    def _flush_batch(self, batch: list[Submission]) -> None:
        failed = False
        try:
            results = self.flush(batch)
        except IntegrityError:
            # One bad row (its device deleted mid-flight) must not fail its neighbours.
            logger.warning("heartbeat batch of %d failed an integrity check; writing one by one", len(batch))
            results = [self._flush_one(sub) for sub in batch] if len(batch) > 1 else [self._failure()]
            failed = len(batch) == 1
        except Exception:
            logger.exception("heartbeat batch of %d could not be written", len(batch))
            results = [self._failure()] * len(batch)
            failed = True
        self.stats.record(len(batch), failed)
        for sub, result in zip(batch, results, strict=True):
            sub.result = result
            sub.done.set()

    def _flush_one(self, sub: Submission) -> CheckInResponse | AgentError:
        try:
            return self.flush([sub])[0]
        except Exception:
            logger.exception("heartbeat %s could not be written", sub.row.message_id)
            return self._failure()

    def _failure(self) -> AgentError:
        if not connection.in_atomic_block:
            with contextlib.suppress(DatabaseError):  # the connection may already be gone
                connection.close_if_unusable_or_obsolete()
        return AgentError(503, UNAVAILABLE)

    def stop(self, timeout: float = 5.0) -> None:
        """Finish what is queued and end the flusher thread (tests, shutdown)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None


writer = GroupCommitWriter()


# --- check-in ----------------------------------------------------------------------------


def _norm(value: str) -> str:
    return value.strip().lower()


def is_clone(state: creds.DeviceState, identity: DeviceIdentity) -> bool:
    """Does a heartbeat come from another machine than the one this credential was issued to?

    The SMBIOS UUID decides when both sides know it, else the OS machine id. An empty value
    (a collector that could not read it) never counts as a difference.
    """
    if state.hardware_uuid and identity.hardware_uuid:
        return _norm(state.hardware_uuid) != _norm(identity.hardware_uuid)
    if state.machine_id and identity.machine_id:
        return _norm(state.machine_id) != _norm(identity.machine_id)
    return False


def check_in(
    auth: creds.AuthenticatedDevice,
    hb: Heartbeat,
    *,
    received_at: dt.datetime | None = None,
    gc_writer: GroupCommitWriter | None = None,
    origin: audit.Actor | None = None,
) -> CheckInResponse:
    """Accept one heartbeat for an authenticated device; raises :class:`AgentError`."""
    if hb.device_id != auth.device_uid:
        raise AgentError(403, "device_id does not match the credential's device")
    received_at = received_at or timezone.now()
    if is_clone(auth.state, hb.identity):
        return register_clone(auth, hb, received_at=received_at, origin=origin)
    sub = Submission(auth=auth, row=HeartbeatRow.from_heartbeat(auth.device_id, hb, received_at))
    result = (gc_writer or writer).submit(sub)
    if isinstance(result, AgentError):
        raise result
    return result


def register_clone(
    auth: creds.AuthenticatedDevice,
    hb: Heartbeat,
    *,
    received_at: dt.datetime,
    origin: audit.Actor | None = None,
) -> CheckInResponse:
    """A credential came from a different machine: give that machine its own device record.

    The original device keeps its credential. A clone that already got a record (the
    answer was lost, so it asks again with the old credential) gets that record back with a
    new credential rather than a second record.
    """
    ident = hb.identity
    actor = audit.Actor.system(f"agent:{auth.device_uid}")
    if origin is not None:
        actor = replace(actor, ip=origin.ip, user_agent=origin.user_agent, request_id=origin.request_id)
    with audit.acting_as(actor), transaction.atomic():
        original = Device.unscoped.select_for_update().filter(pk=auth.device_id).first()
        if original is None:
            raise AgentError(401, creds.UNKNOWN_CREDENTIAL)
        # This machine may already have a record in the client: a clone registered before
        # (whose answer was lost), or a machine enrolled on its own whose agent state was
        # overwritten with another device's. Either way it is that record again.
        clone = find_same_machine(original.client_id, ident)
        if clone is not None and clone.pk != original.pk:
            if clone.quarantined_at is not None:
                raise AgentError(403, creds.QUARANTINED)
            creds.revoke_credentials(clone.pk, "re-issued to a clone", now=received_at)
        else:
            clone = Device.unscoped.create(  # a new machine for this client
                client_id=original.client_id,
                site_id=original.site_id,
                hostname=ident.hostname,
                kind=original.kind,
                os_family=original.os_family,
                agent_version=hb.agent_version,
                machine_id=ident.machine_id,
                hardware_uuid=ident.hardware_uuid,
                serial_number=ident.serial_number,
                cloned_from=original,
                enrolled_at=received_at,
                want_inventory=True,
            )
            DeviceFacts.unscoped.create(device=clone)
            DeviceChange.unscoped.bulk_create(
                [
                    DeviceChange(
                        device=clone,
                        at=received_at,
                        category=DeviceChange.Category.AGENT,
                        summary=f"Registered as a clone of {original.name}"[:255],
                        details={"original_device": str(original.uid)},
                    ),
                    DeviceChange(
                        device=original,
                        at=received_at,
                        category=DeviceChange.Category.AGENT,
                        summary=f"Clone detected: {ident.hostname} registered as a new device"[:255],
                        details={
                            "clone_device": str(clone.uid),
                            "hardware_uuid": ident.hardware_uuid,
                            "machine_id": ident.machine_id,
                        },
                    ),
                ]
            )
        credential = creds.issue_credential(clone)
        row = HeartbeatRow.from_heartbeat(clone.pk, hb, received_at)
        state = creds.DeviceState(
            revoked=False,
            quarantined=False,
            checkin_interval=clone.checkin_interval,
            watching=clone.effective_interval() != clone.checkin_interval,
            want_inventory=True,
            inventory_hash=clone.inventory_hash,
            hardware_uuid=clone.hardware_uuid,
            machine_id=clone.machine_id,
            hostname=clone.hostname,
            agent_version=clone.agent_version,
        )
        store_rows([row], {}, precheck=True)
    logger.info("device %s: credential used by a clone, registered as %s", original.uid, clone.uid)
    response = answer(row, state, duplicate=False, now=timezone.now())
    return response.model_copy(update={"new_device_id": clone.uid, "new_credential": credential})
