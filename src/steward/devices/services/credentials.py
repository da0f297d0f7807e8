"""Device credentials: issue, revoke, and authenticate them fast.

A credential's text is ``dev_<prefix>_<secret>``: ``prefix`` (8 hex characters) is stored in
the clear to find the row, ``secret_hash`` is the SHA-256 of the whole text. The agent sends
it as ``Authorization: Device <credential>``.

Authentication on the check-in hot path reads a small per-process cache (see
:class:`CredentialCache`): a known credential costs a dictionary lookup and one SHA-256, no
database query. Each entry also holds the device's state (revoked? quarantined? interval,
want_inventory, identity), which is re-read from the database once it is older than
``STEWARD_AGENT_AUTH_CACHE_SECONDS`` (5 s): by the heartbeat writer, for all stale entries
of a batch in one query, or by the request thread for a refusal. So a revocation or a
quarantine takes effect within 5 seconds in every process, with no cross-process state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from steward.devices.models import WATCH_CHECKIN_SECONDS, Device, DeviceCredential
from steward.devices.services import AgentError

CREDENTIAL_PREFIX = "dev"
_CREDENTIAL = re.compile(r"^dev_([0-9a-f]{8})_[A-Za-z0-9_-]{20,100}$")

# How old a cached device state may be before it is read again, and how long an unused
# entry is kept.
DEFAULT_AUTH_CACHE_SECONDS = 5.0
IDLE_SECONDS = 15 * 60.0
MAX_ENTRIES = 200_000

UNKNOWN_CREDENTIAL = "unknown or revoked device credential"
QUARANTINED = "device is quarantined"


def hash_secret(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def split_credential(text: str) -> str | None:
    """The prefix of a well-formed credential text, else ``None``."""
    match = _CREDENTIAL.match(text or "")
    return match.group(1) if match else None


def issue_credential(device: Device) -> str:
    """A new credential for ``device`` (in the caller's transaction); returns its text, shown once."""
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        text = f"{CREDENTIAL_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                DeviceCredential.objects.create(device=device, prefix=prefix, secret_hash=hash_secret(text))
        except IntegrityError:  # prefix taken: 1 in 4 billion per existing credential
            continue
        return text
    raise RuntimeError("could not find a free credential prefix")


def revoke_credentials(device_id: int, reason: str, *, now: dt.datetime | None = None) -> list[str]:
    """Revoke every live credential of a device; returns their prefixes (and forgets them here)."""
    now = now or timezone.now()
    live = DeviceCredential.objects.filter(device_id=device_id, revoked_at__isnull=True)
    prefixes = list(live.values_list("prefix", flat=True))
    if prefixes:
        live.update(revoked_at=now, revoked_reason=reason[:100])
        for prefix in prefixes:
            cache.forget(prefix)
    return prefixes


@dataclass(slots=True)
class DeviceState:
    """The mutable part of what the agent endpoints need to know about a device."""

    revoked: bool
    quarantined: bool
    checkin_interval: int
    watching: bool  # watch_until was in the future when this state was read
    want_inventory: bool
    inventory_hash: str
    hardware_uuid: str
    machine_id: str
    hostname: str
    agent_version: str

    @property
    def refused(self) -> bool:
        return self.revoked or self.quarantined

    @property
    def interval(self) -> int:
        return WATCH_CHECKIN_SECONDS if self.watching else self.checkin_interval


@dataclass(slots=True)
class AuthenticatedDevice:
    """A credential that matched, with its device (immutable facts + the last known state)."""

    prefix: str
    secret_hash: str
    credential_id: int
    device_id: int
    device_uid: uuid.UUID
    client_id: int
    site_id: int | None
    state: DeviceState
    checked_at: float = field(default_factory=time.monotonic)  # when ``state`` was read


# Hand-written SQL (not the ORM): the heartbeat writer runs this for every batch, and its
# thread must spend as little Python time as possible (it competes for the GIL with every
# request thread of the process).
_STATE_SQL = (
    "c.revoked_at IS NOT NULL, d.quarantined_at IS NOT NULL, d.checkin_interval, "
    "d.watch_until IS NOT NULL AND d.watch_until > %s, d.want_inventory, d.inventory_hash, "
    "d.hardware_uuid, d.machine_id, d.hostname, d.agent_version"
)


def _tables() -> tuple[str, str]:
    qn = connection.ops.quote_name
    return qn(DeviceCredential._meta.db_table), qn(Device._meta.db_table)


def _now_param() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def state_from_row(row: Sequence[Any]) -> DeviceState:
    revoked, quarantined, interval, watching, want, inv_hash, hw, mid, host, version = row
    return DeviceState(
        revoked=bool(revoked),
        quarantined=bool(quarantined),
        checkin_interval=int(interval),
        watching=bool(watching),
        want_inventory=bool(want),
        inventory_hash=inv_hash or "",
        hardware_uuid=hw or "",
        machine_id=mid or "",
        hostname=host or "",
        agent_version=version or "",
    )


def load(prefix: str) -> AuthenticatedDevice | None:
    """Read one credential and its device's state from the database (no cache)."""
    credentials, devices = _tables()
    sql = (
        f"SELECT c.prefix, c.secret_hash, c.id, d.id, d.uid, d.client_id, d.site_id, {_STATE_SQL} "  # noqa: S608
        f"FROM {credentials} c INNER JOIN {devices} d ON d.id = c.device_id WHERE c.prefix = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_now_param(), prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    uid = row[4] if isinstance(row[4], uuid.UUID) else uuid.UUID(str(row[4]))
    return AuthenticatedDevice(
        prefix=row[0],
        secret_hash=row[1],
        credential_id=int(row[2]),
        device_id=int(row[3]),
        device_uid=uid,
        client_id=int(row[5]),
        site_id=row[6],
        state=state_from_row(row[7:]),
    )


def load_states(credential_ids: Sequence[int]) -> dict[int, DeviceState]:
    """The current state of many credentials at once: credential id → state.

    One query answering ONE row (a JSON array of the states): SQLite hands rows to Python
    one step at a time, each releasing and re-taking the GIL, which a busy process makes
    slow for the writer thread.
    """
    if not credential_ids:
        return {}
    credentials, devices = _tables()
    ids = sorted(set(credential_ids))
    columns = (
        "c.id, CASE WHEN c.revoked_at IS NULL THEN 0 ELSE 1 END, "
        "CASE WHEN d.quarantined_at IS NULL THEN 0 ELSE 1 END, d.checkin_interval, "
        "CASE WHEN d.watch_until > %s THEN 1 ELSE 0 END, "
        "CASE WHEN d.want_inventory THEN 1 ELSE 0 END, d.inventory_hash, "
        "d.hardware_uuid, d.machine_id, d.hostname, d.agent_version"
    )
    if connection.vendor == "postgresql":
        aggregate = f"json_agg(json_build_array({columns}))::text"
    else:
        aggregate = f"json_group_array(json_array({columns}))"
    sql = (
        f"SELECT {aggregate} FROM {credentials} c INNER JOIN {devices} d ON d.id = c.device_id "  # noqa: S608
        f"WHERE c.id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_now_param(), *ids])
        row = cursor.fetchone()
    rows = json.loads(row[0]) if row and row[0] else []
    return {int(r[0]): state_from_row(r[1:]) for r in rows}


class CredentialCache:
    """prefix → :class:`AuthenticatedDevice`, per process, thread-safe, bounded.

    Only credentials whose hash matched are stored (garbage never fills the cache). The
    writer re-reads the state of an accepted entry older than ``ttl`` before writing its
    heartbeat; an entry whose state says "refused" is re-read here after ``ttl``; an entry
    not used for ``IDLE_SECONDS`` is dropped and read again on its next use.
    """

    def __init__(self, ttl: float | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self._ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, AuthenticatedDevice] = {}
        self._lock = threading.Lock()

    @property
    def ttl(self) -> float:
        if self._ttl is not None:
            return self._ttl
        return float(getattr(settings, "STEWARD_AGENT_AUTH_CACHE_SECONDS", DEFAULT_AUTH_CACHE_SECONDS))

    def get(self, prefix: str) -> AuthenticatedDevice | None:
        entry = self._entries.get(prefix)
        if entry is None:
            return None
        age = time.monotonic() - entry.checked_at
        if age > IDLE_SECONDS or (entry.state.refused and age > self.ttl):
            return None
        return entry

    def put(self, entry: AuthenticatedDevice) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                # Drop the oldest quarter (dicts keep insertion order).
                for key in list(self._entries)[: self.max_entries // 4]:
                    del self._entries[key]
            self._entries.pop(entry.prefix, None)
            self._entries[entry.prefix] = entry

    def refresh(self, prefix: str, state: DeviceState) -> None:
        """Store a freshly read state for a cached credential (called by the writer)."""
        entry = self._entries.get(prefix)
        if entry is not None:
            entry.state = state
            entry.checked_at = time.monotonic()

    def forget(self, prefix: str) -> None:
        with self._lock:
            self._entries.pop(prefix, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


cache = CredentialCache()


def parse_authorization(header: str) -> str:
    """The credential text of an ``Authorization: Device <credential>`` header (401 otherwise)."""
    from steward_protocol.messages import DEVICE_AUTH_SCHEME

    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != DEVICE_AUTH_SCHEME.lower() or not value.strip():
        raise AgentError(401, f"send 'Authorization: {DEVICE_AUTH_SCHEME} <credential>'")
    return value.strip()


def authenticate(header: str, *, fresh: bool = False) -> AuthenticatedDevice:
    """The device a request's credential belongs to; raises :class:`AgentError` 401/403.

    ``fresh`` skips the cache (for rare requests that must see the state as of now).
    """
    text = parse_authorization(header)
    prefix = split_credential(text)
    if prefix is None:
        raise AgentError(401, UNKNOWN_CREDENTIAL)
    digest = hash_secret(text)
    entry = None if fresh else cache.get(prefix)
    if entry is None or not hmac.compare_digest(entry.secret_hash, digest):
        entry = load(prefix)
        if entry is None or not hmac.compare_digest(entry.secret_hash, digest):
            raise AgentError(401, UNKNOWN_CREDENTIAL)
        cache.put(entry)
    check_state(entry.state)
    return entry


def check_state(state: DeviceState) -> None:
    """Refuse a quarantined device (403) or a revoked credential (401).

    Quarantine is checked first: an agent whose device was quarantined (and its credential
    revoked with it) learns why it is refused, and does not try to enroll again.
    """
    if state.quarantined:
        raise AgentError(403, QUARANTINED)
    if state.revoked:
        raise AgentError(401, UNKNOWN_CREDENTIAL)
