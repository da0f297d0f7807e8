"""Agent-side test helpers: enrollment tokens, message builders, and an agent HTTP client."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from steward.core.models import Client, Site
from steward.devices.models import Device, EnrollmentToken
from steward.devices.services import credentials

BASE = "/api/agent/v1"
GIB = 2**30


def make_token(
    client: Client,
    site: Site | None = None,
    *,
    max_uses: int | None = None,
    expires_in: dt.timedelta = dt.timedelta(days=7),
    revoked: bool = False,
    name: str = "Test token",
) -> tuple[EnrollmentToken, str]:
    """An enrollment token in the contract's format (``ste_<8 hex>_<secret>``) and its text."""
    prefix = secrets.token_hex(4)
    text = f"ste_{prefix}_{secrets.token_urlsafe(32)}"
    token = EnrollmentToken.unscoped.create(
        client=client,
        site=site,
        name=name,
        prefix=prefix,
        token_hash=hashlib.sha256(text.encode()).hexdigest(),
        expires_at=timezone.now() + expires_in,
        max_uses=max_uses,
        revoked_at=timezone.now() if revoked else None,
    )
    return token, text


def identity(n: int = 1, **over: Any) -> dict[str, Any]:
    base = {
        "hostname": f"PC-{n:03d}",
        "machine_id": f"machine-{n:04d}",
        "hardware_uuid": f"4C4C4544-0000-0000-0000-{n:012d}",
        "serial_number": f"SN{n:06d}",
        "mac_addresses": [f"00:11:22:33:44:{n % 256:02x}"],
    }
    base.update(over)
    return base


def enroll_body(token: str, n: int = 1, **over: Any) -> dict[str, Any]:
    body = {"token": token, "identity": identity(n), "os_family": "windows", "agent_version": "0.1.0"}
    body.update(over)
    return body


def heartbeat_body(
    device_id: uuid.UUID | str, ident: dict[str, Any] | None = None, **over: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "device_id": str(device_id),
        "sent_at": timezone.now().isoformat(),
        "agent_version": "0.1.0",
        "identity": ident or identity(1),
        "cpu_percent": 12.5,
        "memory_total_bytes": 8 * GIB,
        "memory_used_bytes": 2 * GIB,
        "volumes": [
            {"mount": "C:", "filesystem": "NTFS", "total_bytes": 100 * GIB, "used_bytes": 40 * GIB},
            {"mount": "D:", "filesystem": "NTFS", "total_bytes": 200 * GIB, "used_bytes": 180 * GIB},
        ],
        "uptime_seconds": 3600,
        "logged_in_users": ["alice"],
        "pending_reboot": False,
        "inventory_hash": None,
    }
    body.update(over)
    return body


BASE_INVENTORY: dict[str, Any] = {
    "hardware": {
        "vendor": "Dell Inc.",
        "model": "OptiPlex 7090",
        "serial_number": "SN000001",
        "chassis": "desktop",
        "cpu_model": "Intel Core i7-11700",
        "cpu_cores": 8,
        "ram_bytes": 8 * GIB,
        "bios": {"vendor": "Dell Inc.", "version": "1.2.0", "release_date": "2023-05-01"},
        "disks": [
            {"name": "disk0", "model": "Samsung SSD 980", "size_bytes": 512 * 10**9, "media": "nvme"},
            {"name": "disk1", "model": "WD Blue", "size_bytes": 2 * 10**12, "media": "hdd"},
        ],
    },
    "os": {
        "family": "windows",
        "name": "Windows 11 Pro",
        "version": "23H2",
        "build": "22631.3007",
        "architecture": "x86_64",
        "kernel": "10.0.22631",
        "install_date": "2023-06-01",
    },
    "software": [
        {"name": "Google Chrome", "version": "120.0", "publisher": "Google LLC"},
        {"name": "VLC media player", "version": "3.0", "publisher": "VideoLAN"},
        {"name": "7-Zip", "version": "23.01", "publisher": "Igor Pavlov"},
    ],
    "updates": {
        "pending": [
            {
                "update_id": "KB5034123",
                "title": "2024-01 Cumulative Update",
                "severity": "critical",
                "is_security": True,
            },
            {"update_id": "KB5034441", "title": "WinRE update", "severity": "important", "is_security": True},
            {"update_id": "KB890830", "title": "Malicious Software Removal Tool", "severity": "moderate"},
        ],
        "last_success_at": "2024-01-05T10:00:00+00:00",
    },
    "firewall": {"state": "on", "product": "Windows Firewall"},
    "protection": [{"product": "Microsoft Defender", "enabled": True, "up_to_date": True}],
    "encryption": [{"volume": "C:", "method": "BitLocker", "state": "encrypted"}],
    "backups": [
        {"tool": "restic", "job": "", "last_success_at": "2024-01-10T02:00:00+00:00", "last_failure_at": None}
    ],
    "local_admins": ["Administrator", "it-admin"],
    "network": [{"name": "Ethernet", "mac": "00:11:22:33:44:01", "addresses": ["10.0.0.5"], "is_up": True}],
    "collectors": {},
}


def inventory_body(device_id: uuid.UUID | str, **over: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE_INVENTORY)
    body.update(
        {
            "message_id": str(uuid.uuid4()),
            "device_id": str(device_id),
            "collected_at": timezone.now().isoformat(),
        }
    )
    body.update(over)
    body.setdefault("inventory_hash", hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest())
    return body


@dataclass
class Enrolled:
    device_id: uuid.UUID
    credential: str
    reinstalled: bool
    ident: dict[str, Any]

    @property
    def device(self) -> Device:
        return Device.unscoped.get(uid=self.device_id)


class Agent:
    """Speaks the agent protocol to the real endpoints through Django's test client."""

    def __init__(self, http: HttpClient | None = None) -> None:
        self.http = http or HttpClient()

    def post(
        self,
        path: str,
        data: Any = None,
        *,
        credential: str | None = None,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        body = raw if raw is not None else json.dumps(data)
        all_headers = {"Authorization": f"Device {credential}"} if credential else {}
        all_headers.update(headers or {})
        return self.http.post(BASE + path, body, content_type=content_type, headers=all_headers)

    def enroll(self, token: str, n: int = 1, **over: Any) -> Enrolled:
        body = enroll_body(token, n, **over)
        response = self.post("/enroll", body)
        assert response.status_code == 201, response.content
        data = response.json()
        return Enrolled(
            uuid.UUID(data["device_id"]), data["credential"], data["reinstalled"], body["identity"]
        )

    def checkin(self, enrolled: Enrolled, **over: Any) -> Any:
        body = heartbeat_body(enrolled.device_id, enrolled.ident, **over)
        return self.post("/checkin", body, credential=enrolled.credential)

    def inventory(self, enrolled: Enrolled, **over: Any) -> Any:
        return self.post(
            "/inventory", inventory_body(enrolled.device_id, **over), credential=enrolled.credential
        )


def age_cache(seconds: float = 3600.0) -> None:
    """Make every cached device state look ``seconds`` old (instead of sleeping past the TTL)."""
    for entry in list(credentials.cache._entries.values()):
        entry.checked_at -= seconds


@pytest.fixture
def agent() -> Agent:
    return Agent()


@pytest.fixture(autouse=True)
def _fresh_credential_cache() -> Iterator[None]:
    """The credential cache is per process: never let one test's entries reach the next."""
    credentials.cache.clear()
    yield
    credentials.cache.clear()


@pytest.fixture
def token_a(world: Any) -> tuple[EnrollmentToken, str]:
    return make_token(world.client_a, world.site_a)


@pytest.fixture
def enrolled(agent: Agent, token_a: tuple[EnrollmentToken, str]) -> Enrolled:
    return agent.enroll(token_a[1])
