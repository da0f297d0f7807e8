"""Fleet fixtures: devices of client A and B with inventory rows, at fixed times."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from steward.core.models import Client, Site
from steward.devices.models import (
    BackupJob,
    Device,
    DeviceChange,
    DeviceCredential,
    DeviceFacts,
    InstalledSoftware,
    LocalAdmin,
    MetricSample,
    NetworkInterface,
    PendingUpdate,
    PhysicalDisk,
    ProtectionProduct,
    VolumeEncryption,
)

HEARTBEAT = {
    "volumes": [{"mount": "C:", "filesystem": "NTFS", "total_bytes": 500 * 10**9, "used_bytes": 410 * 10**9}],
    "logged_in_users": ["alice.alpha"],
}


def make_device(
    client: Client,
    hostname: str,
    *,
    site: Site | None = None,
    seen_ago: float | None = 10,
    inventory: bool = False,
    now: dt.datetime | None = None,
    **fields: Any,
) -> Device:
    """A device that checked in ``seen_ago`` seconds before ``now`` (None: never)."""
    now = now or timezone.now()
    values: dict[str, Any] = {
        "client": client,
        "site": site,
        "hostname": hostname,
        "os_family": "windows",
        "os_name": "Windows 11 Pro",
        "os_version": "23H2",
        "kind": "laptop",
        "serial_number": f"SN-{hostname}",
        "agent_version": "1.0.0",
        "last_seen_at": None if seen_ago is None else now - dt.timedelta(seconds=seen_ago),
        "cpu_percent": 12.5,
        "memory_percent": 40.0,
        "disk_percent": 82.0,
        "uptime_seconds": 3600,
        "pending_reboot": False,
        "last_heartbeat": HEARTBEAT,
    }
    values.update(fields)
    device = Device.unscoped.create(**values)
    DeviceCredential.objects.create(device=device, prefix=uuid.uuid4().hex[:12], secret_hash="0" * 64)
    if inventory:
        add_inventory(device, now)
    return device


def add_inventory(device: Device, now: dt.datetime) -> None:
    DeviceFacts.unscoped.create(
        device=device,
        chassis="laptop",
        cpu_model="Intel Core i7",
        cpu_cores=8,
        ram_bytes=16 * 2**30,
        bios_vendor="Dell",
        bios_version="1.2.3",
        bios_release_date=dt.date(2023, 5, 1),
        firewall_state="on",
        encryption_state="encrypted",
        updates_pending=2,
        updates_pending_security=1,
        updates_last_success_at=now - dt.timedelta(days=3),
    )
    InstalledSoftware.unscoped.bulk_create(
        [
            InstalledSoftware(device=device, name="Google Chrome", version="121.0", publisher="Google"),
            InstalledSoftware(device=device, name="7-Zip", version="23.01", publisher="Igor Pavlov"),
        ]
    )
    PendingUpdate.unscoped.create(
        device=device,
        update_id="KB5034441",
        title="Security update",
        severity="critical",
        is_security=True,
        pending_since=now - dt.timedelta(days=9),
    )
    PhysicalDisk.unscoped.create(
        device=device,
        name="disk0",
        model="Samsung 980",
        size_bytes=512 * 10**9,
        media="nvme",
        smart_status="ok",
    )
    NetworkInterface.unscoped.create(
        device=device, name="Ethernet", mac="00:11:22:33:44:55", addresses=["10.0.0.5/24"], is_up=True
    )
    ProtectionProduct.unscoped.create(
        device=device, product="Defender", enabled=True, up_to_date=True, definitions_updated_at=now
    )
    VolumeEncryption.unscoped.create(device=device, volume="C:", method="XTS-AES 128", state="encrypted")
    BackupJob.unscoped.create(device=device, tool="Veeam", job="Daily", last_success_at=now)
    LocalAdmin.unscoped.create(device=device, name="Administrator")
    DeviceChange.unscoped.bulk_create(
        [
            DeviceChange(device=device, at=now, category="software", summary="Google Chrome 120.0 → 121.0"),
            DeviceChange(device=device, at=now, category="security", summary="BitLocker turned on"),
        ]
    )
    base = int(now.timestamp()) - 3600
    MetricSample.unscoped.bulk_create(
        MetricSample(
            device=device,
            message_id=uuid.uuid4(),
            ts=base + i * 60,
            cpu_percent=10 + i % 30,
            memory_percent=50,
            disk_percent=82,
        )
        for i in range(60)
    )


@pytest.fixture
def fleet(world: Any) -> dict[str, Device]:
    """Two devices of client A (one with full inventory), one of client B."""
    return {
        "a1": make_device(world.client_a, "ALPHA-PC-01", site=world.site_a, inventory=True),
        "a2": make_device(
            world.client_a, "alpha-srv", os_family="linux", kind="server", os_name="Ubuntu", seen_ago=7200
        ),
        "b1": make_device(world.client_b, "BRAVO-SECRET-PC", site=world.site_b, inventory=True),
    }


@pytest.fixture
def device_factory() -> Callable[..., Device]:
    return make_device


class Api:
    """JSON calls to /api/v1 with a personal API token."""

    def __init__(self, token: str) -> None:
        from django.test import Client as HttpClient

        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get("/api/v1" + path, params or {}, headers=self.headers)

    def send(self, method: str, path: str, data: Any = None, raw: str | None = None) -> Any:
        import json

        body = raw if raw is not None else ("" if data is None else json.dumps(data))
        return self.http.generic(
            method, "/api/v1" + path, body, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api_as(settings: Any) -> Callable[[Any], Api]:
    from steward.core.services.security import issue_token

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def _make(user: Any) -> Api:
        return Api(issue_token(user, name="fleet tests", days=1).secret)

    return _make
