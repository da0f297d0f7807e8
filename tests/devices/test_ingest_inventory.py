"""POST /api/agent/v1/inventory: rows, facts, change history, idempotency, raw snapshots."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.utils import timezone

from steward.devices import models as m
from steward.devices.services.inventory import diff_software, format_bytes
from tests.devices.conftest import BASE_INVENTORY, GIB, Agent, Enrolled, inventory_body


def changes(enrolled: Enrolled) -> list[str]:
    return list(
        m.DeviceChange.unscoped.filter(device__uid=enrolled.device_id)
        .order_by("pk")
        .values_list("summary", flat=True)
    )


def inventory_changes(enrolled: Enrolled) -> list[str]:
    return [s for s in changes(enrolled) if s not in {"Enrolled"}]


def modified(**sections: Any) -> dict[str, Any]:
    """The base inventory with some sections replaced."""
    body = copy.deepcopy(BASE_INVENTORY)
    body.update(sections)
    return body


def test_first_inventory_stores_rows_facts_and_one_summary(agent: Agent, enrolled: Enrolled) -> None:
    response = agent.inventory(enrolled)
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": True, "duplicate": False, "changes": 1}

    device = enrolled.device
    assert m.InstalledSoftware.unscoped.filter(device=device).count() == 3
    assert m.PendingUpdate.unscoped.filter(device=device).count() == 3
    assert m.PhysicalDisk.unscoped.filter(device=device).count() == 2
    assert m.NetworkInterface.unscoped.filter(device=device).count() == 1
    assert m.ProtectionProduct.unscoped.filter(device=device).count() == 1
    assert m.VolumeEncryption.unscoped.filter(device=device).count() == 1
    assert m.BackupJob.unscoped.filter(device=device).count() == 1
    assert sorted(m.LocalAdmin.unscoped.filter(device=device).values_list("name", flat=True)) == [
        "Administrator",
        "it-admin",
    ]

    assert (device.os_name, device.os_version, device.os_build) == ("Windows 11 Pro", "23H2", "22631.3007")
    assert (device.manufacturer, device.model, device.kind) == ("Dell Inc.", "OptiPlex 7090", "workstation")
    assert device.want_inventory is False
    assert device.inventory_at is not None
    assert len(device.inventory_hash) == 64

    facts = device.facts
    assert facts.ram_bytes == 8 * GIB
    assert facts.cpu_cores == 8
    assert facts.bios_version == "1.2.0"
    assert facts.firewall_state == "on"
    assert facts.protection_product == "Microsoft Defender"
    assert facts.protection_enabled is True
    assert facts.encryption_state == "encrypted"
    assert (facts.updates_pending, facts.updates_pending_security) == (3, 2)
    assert facts.local_admin_count == 2
    assert facts.software_count == 3
    assert facts.backup_last_success_at is not None

    assert inventory_changes(enrolled) == [
        "Inventory received: 3 programs, 2 disks, 1 network interface, 3 pending updates"
    ]


def test_later_inventory_is_diffed_into_readable_changes(agent: Agent, enrolled: Enrolled) -> None:
    agent.inventory(enrolled)
    hardware = copy.deepcopy(BASE_INVENTORY["hardware"])
    hardware["ram_bytes"] = 16 * GIB
    hardware["bios"]["version"] = "1.3.1"
    body = modified(
        hardware=hardware,
        software=[
            {"name": "Google Chrome", "version": "121.0"},
            {"name": "7-Zip", "version": "23.01"},
            {"name": "Zoom", "version": "5.17"},
        ],
        updates={"pending": []},
        firewall={"state": "off"},
        encryption=[{"volume": "C:", "method": "BitLocker", "state": "not_encrypted"}],
        backups=[
            {
                "tool": "restic",
                "last_success_at": "2024-01-10T02:00:00+00:00",
                "last_failure_at": "2024-01-11T02:00:00+00:00",
            }
        ],
    )
    response = agent.inventory(enrolled, **body)
    assert response.status_code == 200, response.content
    found = inventory_changes(enrolled)[1:]
    assert set(found) == {
        "Google Chrome 120.0 → 121.0",
        "Installed Zoom 5.17",
        "Removed VLC media player 3.0",
        "BIOS updated 1.2.0 → 1.3.1",
        "BitLocker turned off on C:",
        "Firewall turned off",
        "3 updates installed",
        "RAM 8 GB → 16 GB",
        "Backup restic started failing",
    }
    assert response.json()["changes"] == len(found)
    categories = dict(
        m.DeviceChange.unscoped.filter(device__uid=enrolled.device_id).values_list("summary", "category")
    )
    assert categories["BIOS updated 1.2.0 → 1.3.1"] == "firmware"
    assert categories["Firewall turned off"] == "security"
    assert categories["3 updates installed"] == "updates"
    assert categories["RAM 8 GB → 16 GB"] == "hardware"
    assert categories["Backup restic started failing"] == "backup"

    device = enrolled.device
    assert sorted(m.InstalledSoftware.unscoped.filter(device=device).values_list("name", flat=True)) == [
        "7-Zip",
        "Google Chrome",
        "Zoom",
    ]
    assert device.facts.firewall_state == "off"
    assert device.facts.encryption_state == "not_encrypted"
    assert device.facts.updates_pending == 0
    assert device.facts.ram_bytes == 16 * GIB


def test_unchanged_inventory_writes_no_changes(agent: Agent, enrolled: Enrolled) -> None:
    agent.inventory(enrolled)
    response = agent.inventory(enrolled)
    assert response.json() == {"accepted": True, "duplicate": False, "changes": 0}
    assert len(inventory_changes(enrolled)) == 1


def test_replayed_inventory_is_stored_once(agent: Agent, enrolled: Enrolled) -> None:
    body = inventory_body(enrolled.device_id)
    first = agent.post("/inventory", body, credential=enrolled.credential)
    again = agent.post("/inventory", body, credential=enrolled.credential)
    assert first.json()["duplicate"] is False
    assert again.json() == {"accepted": True, "duplicate": True, "changes": 0}
    assert m.InventorySnapshot.unscoped.filter(device__uid=enrolled.device_id).count() == 1
    assert m.InstalledSoftware.unscoped.filter(device__uid=enrolled.device_id).count() == 3
    assert len(inventory_changes(enrolled)) == 1


def test_raw_documents_kept_last_three(agent: Agent, enrolled: Enrolled) -> None:
    ids = []
    for _ in range(5):
        body = inventory_body(enrolled.device_id)
        ids.append(body["message_id"])
        assert agent.post("/inventory", body, credential=enrolled.credential).status_code == 200
    kept = m.InventorySnapshot.unscoped.filter(device__uid=enrolled.device_id)
    assert sorted(str(i) for i in kept.values_list("message_id", flat=True)) == sorted(ids[-3:])
    latest = kept.order_by("-pk").first()
    assert latest is not None
    assert latest.document["message_id"] == ids[-1]
    assert latest.document["software"][0]["name"] == "Google Chrome"


def test_a_collector_that_could_not_run_keeps_the_old_rows(agent: Agent, enrolled: Enrolled) -> None:
    agent.inventory(enrolled)
    body = modified(
        software=[],
        collectors={"software": {"state": "unknown", "reason": "timed out after 60 s"}},
    )
    response = agent.inventory(enrolled, **body)
    assert response.json()["changes"] == 0
    assert m.InstalledSoftware.unscoped.filter(device__uid=enrolled.device_id).count() == 3
    facts = enrolled.device.facts
    assert facts.software_count == 3
    assert facts.collectors == {"software": {"state": "unknown", "reason": "timed out after 60 s"}}


def test_many_software_changes_read_as_one_line(agent: Agent, enrolled: Enrolled) -> None:
    agent.inventory(enrolled)
    software = [{"name": f"Tool {i}", "version": "1.0"} for i in range(40)]
    agent.inventory(enrolled, **modified(software=software))
    found = inventory_changes(enrolled)[1:]
    assert found == ["Software changed: 40 installed, 3 removed"]


def test_checkin_after_inventory_stops_asking(agent: Agent, enrolled: Enrolled) -> None:
    body = inventory_body(enrolled.device_id)
    agent.post("/inventory", body, credential=enrolled.credential)
    response = agent.checkin(enrolled, inventory_hash=body["inventory_hash"])
    assert response.json()["want_inventory"] is False
    response = agent.checkin(enrolled, inventory_hash="0" * 64)
    assert response.json()["want_inventory"] is True


def test_inventory_refusals(agent: Agent, enrolled: Enrolled, world: Any) -> None:
    # Another device's id.
    body = inventory_body(uuid.uuid4())
    assert agent.post("/inventory", body, credential=enrolled.credential).status_code == 403
    # Missing credential.
    assert agent.post("/inventory", inventory_body(enrolled.device_id)).status_code == 401
    # Too big (the limit is 4 MiB).
    big = inventory_body(enrolled.device_id)
    big["padding"] = "x" * (4 * 1024 * 1024 + 1)
    assert agent.post("/inventory", big, credential=enrolled.credential).status_code == 413
    # Quarantined.
    m.Device.unscoped.filter(uid=enrolled.device_id).update(quarantined_at=timezone.now())
    response = agent.inventory(enrolled)
    assert response.status_code == 403
    assert not m.InventorySnapshot.unscoped.exists()


# --- the diff, unit by unit -----------------------------------------------------------------


def test_software_diff_handles_several_versions_of_one_name() -> None:
    old = [("Visual C++ Redistributable", "2015"), ("Visual C++ Redistributable", "2019")]
    new = [("Visual C++ Redistributable", "2019"), ("Visual C++ Redistributable", "2022")]
    assert [c.summary for c in diff_software(old, new)] == ["Visual C++ Redistributable 2015 → 2022"]
    new = [
        ("Visual C++ Redistributable", "2019"),
        ("Visual C++ Redistributable", "2022"),
        ("visual c++ redistributable", "2013"),
    ]
    assert sorted(c.summary for c in diff_software(old, new)) == [
        "Installed Visual C++ Redistributable 2013",
        "Installed Visual C++ Redistributable 2022",
        "Removed Visual C++ Redistributable 2015",
    ]


def test_format_bytes() -> None:
    assert format_bytes(8 * GIB) == "8 GB"
    assert format_bytes(16 * GIB) == "16 GB"
    assert format_bytes(int(7.7 * GIB)) == "7.7 GB"
    assert format_bytes(3 * 2**40 // 2) == "1.5 TB"
