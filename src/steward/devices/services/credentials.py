"""Device credentials: issue, revoke, and authenticate them fast.

A credential's text is ``dev_<prefix>_<secret>``: ``prefix`` (8 hex characters) is stored in
the clear to find the row, ``secret_hash`` is the SHA-256 of the whole text. The agent sends
it as ``Authorization: Device <credential>``.

Authentication on the check-in hot path reads a small per-process cache (see
:class:`CredentialCache`): a known credential costs a dictionary lookup and one SHA-256, no
database query. The cache is not what makes a revocation or quarantine take effect: the
heartbeat writer re-reads the state of every credential in each batch before writing it
(see ``ingest``), so a revoked credential or quarantined device is refused on its next
heartbeat, in every process. The cache only lets a request thread refuse early, and a
refusal it remembers is re-checked after ``STEWARD_AGENT_AUTH_CACHE_SECONDS`` (5 s).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.devices.models import Device, DeviceCredential
from steward.devices.services import AgentError

CREDENTIAL_PREFIX = "dev"
_CREDENTIAL = re.compile(r"^dev_([0-9a-f]{8})_[A-Za-z0-9_-]{20,100}$")

# How long a refusal (revoked, quarantined) is remembered before the database is asked again,
# and how long an accepted credential's identity (hash → device) is kept without being used.
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
    watch_until: dt.datetime | None
    want_inventory: bool
    inventory_hash: str
    hardware_uuid: str
    machine_id: str
    hostname: str
    agent_version: str

    @property
    def refused(self) -> bool:
        return self.revoked or self.quarantined

    def interval(self, now: dt.datetime) -> int:
        if self.watch_until is not None and self.watch_until > now:
            from steward.devices.models import WATCH_CHECKIN_SECONDS

            return WATCH_CHECKIN_SECONDS
        return self.checkin_interval


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


# Columns read for a credential and its device, in this order (see ``_from_row``).
STATE_COLUMNS = (
    "revoked_at",
    "device__quarantined_at",
    "device__checkin_interval",
    "device__watch_until",
    "device__want_inventory",
    "device__inventory_hash",
    "device__hardware_uuid",
    "device__machine_id",
    "device__hostname",
    "device__agent_version",
)
IDENTITY_COLUMNS = (
    "prefix",
    "secret_hash",
    "pk",
    "device_id",
    "device__uid",
    "device__client_id",
    "device__site_id",
)


def state_from_row(row: tuple[object, ...]) -> DeviceState:
    (revoked_at, quarantined_at, interval, watch_until, want, inv_hash, hw, mid, host, version) = row
    return DeviceState(
        revoked=revoked_at is not None,
        quarantined=quarantined_at is not None,
        checkin_interval=int(interval),  # type: ignore[call-overload]
        watch_until=watch_until,  # type: ignore[arg-type]
        want_inventory=bool(want),
        inventory_hash=str(inv_hash or ""),
        hardware_uuid=str(hw or ""),
        machine_id=str(mid or ""),
        hostname=str(host or ""),
        agent_version=str(version or ""),
    )


def load(prefix: str) -> AuthenticatedDevice | None:
    """Read one credential and its device's state from the database (no cache)."""
    row = (
        DeviceCredential.objects.filter(prefix=prefix).values_list(*IDENTITY_COLUMNS, *STATE_COLUMNS).first()
    )
    if row is None:
        return None
    ident, rest = row[: len(IDENTITY_COLUMNS)], row[len(IDENTITY_COLUMNS) :]
    return AuthenticatedDevice(
        prefix=str(ident[0]),
        secret_hash=str(ident[1]),
        credential_id=int(ident[2]),
        device_id=int(ident[3]),
        device_uid=ident[4],
        client_id=int(ident[5]),
        site_id=ident[6],
        state=state_from_row(rest),
    )


def load_states(credential_ids: list[int]) -> dict[int, DeviceState]:
    """The current state of many credentials at once (one query): credential id → state."""
    rows = DeviceCredential.objects.filter(pk__in=credential_ids).values_list("pk", *STATE_COLUMNS)
    return {int(row[0]): state_from_row(row[1:]) for row in rows}


class CredentialCache:
    """prefix → :class:`AuthenticatedDevice`, per process, thread-safe, bounded.

    Only credentials whose hash matched are stored (garbage never fills the cache). An entry
    whose state says "refused" is re-read after ``ttl`` seconds; an entry that is not used for
    ``IDLE_SECONDS`` is re-read on its next use.
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
