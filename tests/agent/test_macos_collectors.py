"""macOS collectors against recorded system_profiler, softwareupdate and friends output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from steward_agent.collectors.base import CommandResult, Context, collectors_for, run_collectors
from steward_agent.collectors.macos import collectors as mac
from steward_agent.inventory import assemble
from steward_protocol.messages import Inventory

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> Any:
    text = (RECORDED / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


def test_hardware() -> None:
    hw = mac.parse_hardware(recorded("macos_hardware.json"))
    assert hw.vendor == "Apple Inc." and hw.model == "MacBook Pro (MacBookPro18,3)"
    assert (hw.serial_number, hw.chassis, hw.cpu_model, hw.cpu_cores) == (
        "C02XYZ12ABCD",
        "laptop",
        "Apple M1 Pro",
        10,
    )
    assert hw.ram_bytes == 16 * 1024**3
    assert hw.bios.version == "10151.61.4"
    [disk] = hw.disks  # two volumes on one physical drive
    assert (disk.media, disk.smart_status) == ("ssd", "ok")


def test_os() -> None:
    os_ = mac.parse_os(recorded("macos_software.json"), dt.date(2022, 1, 3), "arm64")
    assert (os_.name, os_.version, os_.build, os_.kernel) == ("macOS", "14.2.1", "23C71", "Darwin 23.2.0")
    assert os_.install_date == dt.date(2022, 1, 3)


def test_applications() -> None:
    apps = {a.name: a for a in mac.parse_applications(recorded("macos_applications.json"))}
    assert apps["Google Chrome"].publisher == "Google LLC"
    assert apps["Google Chrome"].install_date == dt.date(2024, 2, 10)
    assert apps["Safari"].publisher == "Apple Inc."
    assert apps["Numbers"].publisher == "Mac App Store"


def test_softwareupdate() -> None:
    pending = {u.update_id: u for u in mac.parse_softwareupdate(recorded("macos_softwareupdate.txt"))}
    assert set(pending) == {
        "macOS Sonoma 14.3-23D56",
        "Safari17.3SonomaAuto-17.3",
        "Background Security Improvement (a)-1.0",
    }
    assert pending["Background Security Improvement (a)-1.0"].is_security
    assert not pending["Safari17.3SonomaAuto-17.3"].is_security
    assert pending["macOS Sonoma 14.3-23D56"].title == "macOS Sonoma 14.3 14.3"
    assert mac.parse_softwareupdate("Software Update Tool\n\nNo new software available.\n") == []


def test_firewall_filevault_admins_timemachine() -> None:
    assert mac.parse_socketfilterfw("Firewall is enabled. (State = 1)\n").state == "on"
    assert mac.parse_socketfilterfw("Firewall is disabled. (State = 0)\n").state == "off"
    assert mac.parse_fdesetup("FileVault is On.\n").state == "encrypted"
    assert mac.parse_fdesetup("FileVault is Off.\n").state == "not_encrypted"
    assert mac.parse_fdesetup("Encryption in progress: Percent completed = 34.5\n").state == "encrypting"
    assert mac.parse_dscl_members("GroupMembership: root alice bob\n") == ["alice", "bob", "root"]
    moment = mac.parse_tmutil_latest("/Volumes/Backup/Backups.backupdb/Mac/2024-02-13-101112\n")
    assert moment is not None and moment.tzinfo is not None
    assert mac.parse_tmutil_latest("No backups found\n") is None


def test_the_whole_macos_inventory_from_recordings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def fake_profiler(ctx: Context, *types: str, timeout: float | None = None) -> Any:
        if "SPHardwareDataType" in types:
            return recorded("macos_hardware.json")
        if "SPApplicationsDataType" in types:
            return recorded("macos_applications.json")
        return recorded("macos_software.json")

    outputs = {
        mac.SOFTWAREUPDATE: recorded("macos_softwareupdate.txt"),
        mac.SOCKETFILTERFW: "Firewall is enabled. (State = 1)\n",
        mac.FDESETUP: "FileVault is On.\n",
        "/usr/bin/tmutil": "/Volumes/TM/2024-02-13-101112.backup\n",
        "/usr/bin/dscl": "GroupMembership: root alice\n",
    }
    monkeypatch.setattr(mac, "system_profiler", fake_profiler)
    monkeypatch.setattr(mac, "run_command", lambda argv, **kw: CommandResult(0, outputs[argv[0]], ""))
    outcomes = run_collectors(collectors_for("macos"), Context(state_dir=tmp_path))
    inventory = assemble(outcomes, "macos")
    Inventory.model_validate_json(inventory.model_dump_json())
    assert inventory.os.family == "macos" and inventory.os.version == "14.2.1"
    assert inventory.encryption[0].state == "encrypted"
    assert inventory.local_admins == ["alice", "root"]
    assert inventory.backups[0].tool == "Time Machine"
    # XProtect's plist is not on this machine: reported, not fatal.
    assert inventory.collectors["protection"].state in ("ok", "unknown")
