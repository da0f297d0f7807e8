"""One virtual agent: enroll, check in on the server's interval, send inventory on request.

The agent speaks the real protocol (:mod:`steward_protocol`) over HTTP. A heartbeat is kept
until the server acknowledges it and is replayed with the same ``message_id`` after an
error, exactly as the real agent does, so a server restart loses nothing and duplicates
nothing. Heartbeat values drift: CPU around a per-machine base, memory slowly, the disks
fill up a little every check-in, uptime grows and resets on a reboot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from steward.devices.simulator.fleet import MachineProfile, SoftwareSpec
from steward_protocol.messages import (
    AGENT_API_PREFIX,
    DEVICE_AUTH_SCHEME,
    Backup,
    Bios,
    CheckInResponse,
    CollectorStatus,
    DeviceIdentity,
    Disk,
    Encryption,
    EnrollRequest,
    EnrollResponse,
    Firewall,
    Hardware,
    Heartbeat,
    Inventory,
    InventoryResponse,
    NetworkInterface,
    OperatingSystem,
    PendingUpdate,
    Protection,
    Software,
    Updates,
    Volume,
)

AGENT_VERSION = "steward-sim 1.0"
MAX_BACKOFF = 30.0


class AgentStopped(Exception):
    """The agent cannot go on (its credential was refused and it has no token to re-enroll)."""


@dataclass
class Stats:
    """Counters shared by all agents of a run (one asyncio loop: no locking needed)."""

    enrolled: int = 0
    enroll_errors: int = 0
    heartbeats: int = 0
    heartbeat_errors: int = 0
    duplicates: int = 0
    replays: int = 0
    inventories: int = 0
    inventory_errors: int = 0
    inventory_duplicates: int = 0
    clones_reissued: int = 0
    went_offline: int = 0
    came_back: int = 0
    gone: int = 0
    stopped: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # heartbeats
    inventory_latencies_ms: list[float] = field(default_factory=list)
    max_latencies: int = 100_000
    # When set, every acknowledged heartbeat id (and whether the server called it a duplicate).
    acked: list[tuple[str, bool]] | None = None

    def latency(self, started: float, *, inventory: bool = False) -> None:
        samples = self.inventory_latencies_ms if inventory else self.latencies_ms
        if len(samples) >= self.max_latencies:
            del samples[: self.max_latencies // 2]  # keep memory bounded on endless runs
        samples.append((time.perf_counter() - started) * 1000)

    def percentile(self, q: float, *, inventory: bool = False) -> float:
        samples = self.inventory_latencies_ms if inventory else self.latencies_ms
        if not samples:
            return 0.0
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            k: v for k, v in self.__dict__.items() if isinstance(v, int) and k != "max_latencies"
        }
        data["p50_ms"] = round(self.percentile(0.50), 1)
        data["p99_ms"] = round(self.percentile(0.99), 1)
        data["inventory_p50_ms"] = round(self.percentile(0.50, inventory=True), 1)
        return data


class TransientError(Exception):
    """The server could not take the message now (network error, 5xx, 429): try again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VirtualAgent:
    def __init__(
        self,
        profile: MachineProfile,
        token: str = "",
        *,
        device_id: str = "",
        credential: str = "",
        run_seed: int = 0,
    ) -> None:
        self.profile = profile
        self.token = token
        self.device_id = device_id
        self.credential = credential
        self.rng = random.Random(f"steward-sim-run:{profile.seed}:{profile.index}:{run_seed}")  # noqa: S311
        self.cpu = profile.cpu_base
        self.memory = profile.memory_base
        self.used = [vol.used_fraction for vol in profile.volumes]
        self.boot = time.time() - profile.uptime_days * 86400
        self.pending_reboot = bool(profile.updates_pending) and self.rng.random() < 0.3
        self.software: list[SoftwareSpec] = list(profile.software)
        self.checkins = 0
        self.unacked: Heartbeat | None = None
        self.identity = DeviceIdentity(
            hostname=profile.hostname,
            machine_id=profile.machine_id,
            hardware_uuid=profile.hardware_uuid,
            serial_number=profile.serial_number,
            mac_addresses=profile.mac_addresses,
        )
        self.on_credentials: Callable[[VirtualAgent], None] | None = None

    # --- messages ------------------------------------------------------------------------

    def heartbeat(self, now: dt.datetime | None = None) -> Heartbeat:
        """The next heartbeat (values drift a little each time)."""
        rng, profile = self.rng, self.profile
        now = now or dt.datetime.now(dt.UTC)
        self.cpu = min(100.0, max(0.0, self.cpu + rng.gauss(0, 4) + (profile.cpu_base - self.cpu) * 0.3))
        spike = rng.random() < 0.03
        self.memory = min(
            0.98, max(0.15, self.memory + rng.gauss(0, 0.01) + (profile.memory_base - self.memory) * 0.1)
        )
        volumes = []
        for i, vol in enumerate(profile.volumes):
            self.used[i] = min(0.995, self.used[i] + abs(rng.gauss(0, 0.0002)))
            volumes.append(
                Volume(
                    mount=vol.mount,
                    filesystem=vol.filesystem,
                    total_bytes=vol.total_bytes,
                    used_bytes=int(vol.total_bytes * self.used[i]),
                )
            )
        if rng.random() < 0.0005:  # a reboot now and then
            self.boot = time.time() - rng.uniform(60, 600)
            self.pending_reboot = False
        users = (
            list(profile.users) if profile.kind in {"laptop", "workstation"} and rng.random() < 0.8 else []
        )
        return Heartbeat(
            message_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            device_id=uuid.UUID(self.device_id),
            sent_at=now,
            agent_version=AGENT_VERSION,
            identity=self.identity,
            cpu_percent=round(min(100.0, self.cpu + (rng.uniform(30, 60) if spike else 0)), 1),
            memory_total_bytes=profile.ram_bytes,
            memory_used_bytes=int(profile.ram_bytes * self.memory),
            volumes=volumes,
            uptime_seconds=max(0, int(time.time() - self.boot)),
            logged_in_users=users,
            pending_reboot=self.pending_reboot,
            inventory_hash=self.inventory_hash(),
        )

    def maybe_change(self) -> None:
        """Now and then software gets updated (a new version: a new inventory hash)."""
        if self.software and self.rng.random() < 0.002:
            i = self.rng.randrange(len(self.software))
            item = self.software[i]
            head, _, tail = item.version.rpartition(".")
            bumped = f"{head}.{int(tail) + 1}" if head and tail.isdigit() else f"{item.version}.1"
            self.software[i] = SoftwareSpec(item.name, bumped, item.publisher, dt.date.today())

    def inventory_body(self) -> dict[str, Any]:
        """The inventory without message id, time and hash (what the hash covers)."""
        p = self.profile
        collectors = {
            name: CollectorStatus(state="ok")
            for name in (
                "hardware",
                "os",
                "software",
                "updates",
                "firewall",
                "protection",
                "backups",
                "network",
            )
        }
        if p.os_family == "linux" and p.kind == "virtual":
            collectors["smart"] = CollectorStatus(state="unknown", reason="no SMART on virtual disks")
        elif p.os_family == "linux" and p.index % 5 == 0:
            collectors["smart"] = CollectorStatus(state="unknown", reason="smartctl is not installed")
        else:
            collectors["smart"] = CollectorStatus(state="ok")
        collectors["encryption"] = (
            CollectorStatus(state="ok")
            if p.encryption
            else CollectorStatus(state="unknown", reason="no encrypted volumes reported")
        )
        return {
            "hardware": Hardware(
                vendor=p.hardware.vendor,
                model=p.hardware.model,
                serial_number=p.serial_number,
                chassis=p.hardware.chassis,  # type: ignore[arg-type]
                cpu_model=p.cpu_model,
                cpu_cores=p.cpu_cores,
                ram_bytes=p.ram_bytes,
                bios=Bios(
                    vendor=p.hardware.bios_vendor, version=p.bios_version, release_date=p.bios_release_date
                ),
                disks=[
                    Disk(
                        name=d.name,
                        model=d.model,
                        serial=d.serial,
                        size_bytes=d.size_bytes,
                        media=d.media,  # type: ignore[arg-type]
                        smart_status=d.smart_status,  # type: ignore[arg-type]
                        smart_detail=d.smart_detail,
                    )
                    for d in p.disks
                ],
            ),
            "os": OperatingSystem(
                family=p.os_family,  # type: ignore[arg-type]
                name=p.os.name,
                version=p.os.version,
                build=p.os.build,
                architecture=p.architecture,
                kernel=p.os.kernel,
                install_date=p.os_install_date,
            ),
            "software": [
                Software(name=s.name, version=s.version, publisher=s.publisher, install_date=s.install_date)
                for s in self.software
            ],
            "updates": Updates(
                pending=[
                    PendingUpdate(
                        update_id=u.update_id,
                        title=u.title,
                        severity=u.severity,  # type: ignore[arg-type]
                        is_security=u.is_security,
                        pending_since=u.pending_since,
                    )
                    for u in p.updates_pending
                ],
                last_success_at=p.updates_last_success_at,
            ),
            "firewall": Firewall(state=p.firewall, product=p.firewall_product),  # type: ignore[arg-type]
            "protection": [
                Protection(
                    product=a.product,
                    enabled=a.enabled,
                    up_to_date=a.up_to_date,
                    definitions_updated_at=a.definitions_updated_at,
                )
                for a in p.protection
            ],
            "encryption": [
                Encryption(volume=v, method=m, state=s)  # type: ignore[arg-type]
                for v, m, s in p.encryption
            ],
            "backups": [
                Backup(
                    tool=b.tool,
                    job=b.job,
                    last_success_at=b.last_success_at,
                    last_failure_at=b.last_failure_at,
                    detail=b.detail,
                )
                for b in p.backups
            ],
            "local_admins": list(p.local_admins),
            "network": [
                NetworkInterface(name=i.name, mac=i.mac, addresses=list(i.addresses), is_up=i.is_up)
                for i in p.interfaces
            ],
            "collectors": collectors,
        }

    _hash_cache: tuple[int, str] | None = None

    def inventory_hash(self) -> str:
        key = hash(tuple(self.software))
        if self._hash_cache is None or self._hash_cache[0] != key:
            body = self.inventory_body()
            canonical = json.dumps(
                {k: _plain(v) for k, v in body.items()}, sort_keys=True, separators=(",", ":"), default=str
            )
            self._hash_cache = (key, hashlib.sha256(canonical.encode()).hexdigest())
        return self._hash_cache[1]

    def inventory(self, now: dt.datetime | None = None) -> Inventory:
        return Inventory(
            message_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            device_id=uuid.UUID(self.device_id),
            collected_at=now or dt.datetime.now(dt.UTC),
            inventory_hash=self.inventory_hash(),
            **self.inventory_body(),
        )

    def enroll_request(self) -> EnrollRequest:
        return EnrollRequest(
            token=self.token,
            identity=self.identity,
            os_family=self.profile.os_family,  # type: ignore[arg-type]
            agent_version=AGENT_VERSION,
        )

    # --- HTTP ----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"{DEVICE_AUTH_SCHEME} {self.credential}",
            "Content-Type": "application/json",
        }

    async def _post(self, http: httpx.AsyncClient, path: str, body: str, auth: bool = True) -> httpx.Response:
        try:
            response = await http.post(
                f"{AGENT_API_PREFIX}/{path}",
                content=body.encode(),
                headers=self._headers() if auth else {"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in {429, 502, 503, 504} or response.status_code >= 500:
            retry = response.headers.get("Retry-After", "")
            raise TransientError(
                f"HTTP {response.status_code}", float(retry) if retry.replace(".", "", 1).isdigit() else None
            )
        return response

    async def enroll(self, http: httpx.AsyncClient, stats: Stats) -> None:
        if not self.token:
            raise AgentStopped("no enrollment token")
        response = await self._post(http, "enroll", self.enroll_request().model_dump_json(), auth=False)
        if response.status_code not in {200, 201}:
            stats.enroll_errors += 1
            raise AgentStopped(f"enrollment refused: HTTP {response.status_code} {response.text[:200]}")
        answer = EnrollResponse.model_validate_json(response.content)
        self.device_id, self.credential = str(answer.device_id), answer.credential
        stats.enrolled += 1
        if self.on_credentials:
            self.on_credentials(self)

    async def check_in(self, http: httpx.AsyncClient, stats: Stats) -> CheckInResponse:
        """Send (or replay) a heartbeat; returns the server's answer once acknowledged."""
        if self.unacked is None:
            self.maybe_change()
            self.unacked = self.heartbeat()
        else:
            stats.replays += 1
        message = self.unacked
        started = time.perf_counter()
        try:
            response = await self._post(http, "checkin", message.model_dump_json())
        except TransientError:
            stats.heartbeat_errors += 1
            raise
        if response.status_code in {401, 403}:
            stats.heartbeat_errors += 1
            self.unacked = None
            self.credential = ""
            raise AgentStopped(f"credential refused: HTTP {response.status_code}")
        if response.status_code != 200:
            stats.heartbeat_errors += 1
            self.unacked = None  # the server will never take this one: drop it
            raise TransientError(f"heartbeat refused: HTTP {response.status_code} {response.text[:200]}")
        answer = CheckInResponse.model_validate_json(response.content)
        stats.latency(started)
        self.unacked = None
        self.checkins += 1
        stats.heartbeats += 1
        stats.duplicates += answer.duplicate
        if stats.acked is not None:
            stats.acked.append((str(message.message_id), answer.duplicate))
        if answer.new_device_id and answer.new_credential:
            # The server saw this credential on another machine: we are the clone.
            self.device_id, self.credential = str(answer.new_device_id), answer.new_credential
            stats.clones_reissued += 1
            if self.on_credentials:
                self.on_credentials(self)
        return answer

    async def send_inventory(self, http: httpx.AsyncClient, stats: Stats) -> InventoryResponse | None:
        started = time.perf_counter()
        try:
            response = await self._post(http, "inventory", self.inventory().model_dump_json())
        except TransientError:
            stats.inventory_errors += 1
            raise
        if response.status_code != 200:
            stats.inventory_errors += 1
            return None
        stats.latency(started, inventory=True)
        answer = InventoryResponse.model_validate_json(response.content)
        stats.inventories += 1
        stats.inventory_duplicates += answer.duplicate
        return answer

    # --- the loop ------------------------------------------------------------------------

    async def run(
        self,
        http: httpx.AsyncClient,
        stats: Stats,
        *,
        deadline: float,
        interval: float | None = None,
        speed: float = 1.0,
        start_delay: float = 0.0,
        max_checkins: int | None = None,
    ) -> None:
        """Check in until ``deadline`` (``time.monotonic()``) or ``max_checkins``.

        ``interval`` overrides the server's interval (seconds, 0 = back to back); ``speed``
        divides the server's interval (60 s at speed 10 is 6 s) and offline periods too.
        """
        await _sleep_until(min(deadline, time.monotonic() + start_delay))
        backoff = 1.0
        wait = 0.0
        while time.monotonic() < deadline and (max_checkins is None or self.checkins < max_checkins):
            try:
                if not self.credential:
                    await self.enroll(http, stats)
                answer = await self.check_in(http, stats)
                backoff = 1.0
                server_interval = answer.interval_seconds / max(speed, 1e-6)
                wait = server_interval if interval is None else interval
                if answer.want_inventory:
                    await self.send_inventory(http, stats)
            except TransientError as exc:
                wait = (
                    exc.retry_after if exc.retry_after is not None else backoff * self.rng.uniform(0.5, 1.5)
                )
                backoff = min(MAX_BACKOFF, backoff * 2)
            except AgentStopped:
                if self.token and not self.credential and self.device_id:
                    # Our credential was revoked (quarantine, reinstall elsewhere): start over.
                    self.device_id = ""
                    wait = backoff
                    backoff = min(MAX_BACKOFF, backoff * 2)
                else:
                    stats.stopped += 1
                    return
            else:
                away = self._offline_now(stats)
                if away is None:
                    stats.gone += 1
                    return
                if away:
                    wait += away * (wait or 1.0)
            # Jitter: ±10 % so a fleet started together spreads out.
            await _sleep_until(min(deadline, time.monotonic() + wait * self.rng.uniform(0.9, 1.1)))

    def _offline_now(self, stats: Stats) -> int | None:
        """Check-ins to skip now (0: stay), or ``None`` when the machine is gone for good."""
        profile = self.profile
        if not profile.offline or self.checkins != profile.offline_after:
            return 0
        stats.went_offline += 1
        if profile.offline == "gone":
            return None
        stats.came_back += 1
        return profile.offline_for


async def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
