"""Windows collectors against recorded PowerShell/manage-bde output and a fake registry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from steward_agent.collectors import windows
from steward_agent.collectors.base import CommandResult, Context, collectors_for, run_collectors
from steward_agent.collectors.windows import backups, hardware, security, software, system, updates
from steward_agent.collectors.windows.powershell import as_list, parse_date
from steward_agent.inventory import assemble
from steward_protocol.messages import Inventory

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> Any:
    text = (RECORDED / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


def test_hardware() -> None:
    hw = hardware.parse_hardware(recorded("windows_hardware.json"))
    assert (hw.vendor, hw.model, hw.serial_number, hw.chassis) == (
        "LENOVO",
        "20XWCTO1WW",
        "PF3ABCDE",
        "laptop",
    )
    assert hw.cpu_cores == 4 and hw.ram_bytes == 17021968384
    assert hw.bios.version == "N32ET86W (1.62 )" and hw.bios.release_date == dt.date(2023, 8, 14)
    [disk] = hw.disks  # one disk: ConvertTo-Json printed it bare, not as a list
    assert (disk.media, disk.smart_status) == ("nvme", "ok")


def test_os() -> None:
    os_ = system.parse_os(recorded("windows_os.json"))
    assert os_.name == "Microsoft Windows 11 Pro"
    assert (os_.version, os_.build, os_.architecture) == ("23H2", "22631.3007", "64-bit")
    assert os_.install_date == dt.date(2023, 2, 11)


def test_updates_severity_and_security() -> None:
    pending, last = updates.parse_updates(recorded("windows_updates.json"))
    by_id = {u.update_id: u for u in pending}
    assert set(by_id) == {"KB5034765", "KB890830", "a1b2c3d4-0000-1111-2222-333344445555"}
    assert by_id["KB5034765"].severity == "critical" and by_id["KB5034765"].is_security
    assert by_id["KB890830"].severity == "unknown" and not by_id["KB890830"].is_security
    assert last == dt.datetime(2024, 1, 10, 3, 12, 44, tzinfo=dt.UTC)


def test_firewall_profiles() -> None:
    on = [{"name": n, "enabled": "True"} for n in ("Domain", "Private", "Public")]
    assert security.parse_firewall(on).state == "on"
    mixed = [*on[:2], {"name": "Public", "enabled": "False"}]
    firewall = security.parse_firewall(mixed)
    assert firewall.state == "partial" and "Public: off" in firewall.detail


def test_security_center_product_state() -> None:
    assert security.decode_product_state(397568) == (True, True)  # 0x061100
    assert security.decode_product_state(393472) == (False, True)  # 0x060100
    assert security.decode_product_state(397584) == (True, False)  # 0x061110
    products = {p.product: p for p in security.parse_protection(recorded("windows_protection.json"))}
    assert set(products) == {"Sophos Intercept X", "Old AV", "Microsoft Defender Antivirus"}
    assert products["Old AV"].enabled is False
    defender = products["Microsoft Defender Antivirus"]
    assert defender.enabled and defender.up_to_date
    assert defender.definitions_updated_at == dt.datetime(2024, 2, 13, 6, 41, 10, tzinfo=dt.UTC)


def test_bitlocker() -> None:
    volumes = {v.volume: v for v in security.parse_bitlocker(recorded("windows_bitlocker.json"))}
    assert volumes["C:"].state == "encrypted" and volumes["C:"].method == "BitLocker XtsAes128"
    assert volumes["D:"].state == "not_encrypted"
    assert volumes["E:"].state == "encrypting"
    bde = {v.volume: v for v in security.parse_manage_bde(recorded("windows_manage_bde.txt"))}
    assert bde["C:"].state == "encrypted" and bde["C:"].method == "BitLocker XTS-AES 128"
    assert bde["D:"].state == "not_encrypted"


def test_backups() -> None:
    found = {b.tool: b for b in backups.parse_backups(recorded("windows_backups.json"))}
    wsb = found["Windows Server Backup"]
    assert wsb.last_success_at == dt.datetime(2024, 2, 12, 23, 0, 12, tzinfo=dt.UTC)
    assert wsb.last_failure_at == dt.datetime(2024, 2, 13, 23, 0, 9, tzinfo=dt.UTC)
    veeam = found["Veeam Agent"]
    assert veeam.last_success_at == dt.datetime(2024, 2, 12, 22, 10, tzinfo=dt.UTC)
    assert veeam.last_failure_at == dt.datetime(2024, 2, 13, 22, 10, tzinfo=dt.UTC)
    assert "Failed" in veeam.detail


def test_admins_and_powershell_helpers() -> None:
    assert system.parse_admins(["WS01\\Administrator", "AD\\Domain Admins", "WS01\\alice"]) == [
        "AD\\Domain Admins",
        "WS01\\Administrator",
        "WS01\\alice",
    ]
    assert system.parse_admins("WS01\\Administrator") == ["WS01\\Administrator"]
    assert as_list(None) == [] and as_list({"a": 1}) == [{"a": 1}]
    assert parse_date("/Date(1707811200000)/") == dt.datetime(2024, 2, 13, 8, 0, tzinfo=dt.UTC)


class FakeWinreg:
    """The part of the winreg API the software collector uses, over a dict of keys."""

    HKEY_LOCAL_MACHINE = "HKLM"
    KEY_READ = 0x20019
    KEY_WOW64_64KEY = 0x100
    KEY_WOW64_32KEY = 0x200

    def __init__(self, views: dict[int, dict[str, dict[str, Any]]]) -> None:
        self.views = views

    def OpenKey(self, parent: Any, sub: str, reserved: int = 0, access: int = 0) -> Any:
        if parent == self.HKEY_LOCAL_MACHINE:
            view = access & (self.KEY_WOW64_64KEY | self.KEY_WOW64_32KEY)
            if view not in self.views:
                raise OSError("no such view")
            return ("root", view)
        return ("app", parent[1], sub)

    def EnumKey(self, key: Any, index: int) -> str:
        names = list(self.views[key[1]])
        if index >= len(names):
            raise OSError("no more items")
        return names[index]

    def QueryValueEx(self, key: Any, name: str) -> tuple[Any, int]:
        values = self.views[key[1]][key[2]]
        if name not in values:
            raise FileNotFoundError(name)
        return values[name], 1


def test_software_from_the_uninstall_keys() -> None:
    reg = FakeWinreg(
        {
            0x100: {
                "{7-Zip}": {
                    "DisplayName": "7-Zip 23.01 (x64)",
                    "DisplayVersion": "23.01",
                    "Publisher": "Igor Pavlov",
                },
                "Office": {
                    "DisplayName": "Microsoft 365 Apps for business - en-us",
                    "DisplayVersion": "16.0.17231.20236",
                    "Publisher": "Microsoft Corporation",
                    "InstallDate": "20240201",
                },
                "KB123": {"DisplayName": "Update for Office", "ParentKeyName": "Office"},
                "Hidden": {"DisplayName": "Runtime component", "SystemComponent": 1},
                "NoName": {"Publisher": "Nobody"},
            },
            0x200: {
                "Chrome": {
                    "DisplayName": "Google Chrome",
                    "DisplayVersion": "121.0.6167.161",
                    "Publisher": "Google LLC",
                    "InstallDate": "20240110",
                },
                "{7-Zip}": {
                    "DisplayName": "7-Zip 23.01 (x64)",
                    "DisplayVersion": "23.01",
                    "Publisher": "Igor Pavlov",
                },
            },
        }
    )
    apps = software.read_uninstall_keys(reg)
    assert [a.name for a in apps] == [
        "7-Zip 23.01 (x64)",
        "Google Chrome",
        "Microsoft 365 Apps for business - en-us",
    ]
    assert apps[1].install_date == dt.date(2024, 1, 10) and apps[1].publisher == "Google LLC"


def test_the_whole_windows_inventory_from_recordings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """All Windows collectors through the registry, with PowerShell answering from recordings."""
    answers = {
        hardware.SCRIPT: recorded("windows_hardware.json"),
        system.OS_SCRIPT: recorded("windows_os.json"),
        system.ADMINS_SCRIPT: ["WS01\\Administrator"],
        updates.SCRIPT: recorded("windows_updates.json"),
        security.FIREWALL_SCRIPT: [{"name": "Domain", "enabled": "True"}],
        security.PROTECTION_SCRIPT: recorded("windows_protection.json"),
        security.BITLOCKER_SCRIPT: recorded("windows_bitlocker.json"),
        backups.SCRIPT: recorded("windows_backups.json"),
    }
    fake = lambda script, ctx, timeout=None: answers[script]  # noqa: E731
    for module in (hardware, system, updates, security, backups):
        monkeypatch.setattr(module, "powershell", fake)
    monkeypatch.setattr(software, "read_uninstall_keys", lambda reg: [])
    assert windows  # the package registers its collectors on import
    outcomes = run_collectors(collectors_for("windows"), Context(state_dir=tmp_path))
    inventory = assemble(outcomes, "windows")
    Inventory.model_validate_json(inventory.model_dump_json())
    assert inventory.os.family == "windows" and inventory.hardware.vendor == "LENOVO"
    assert len(inventory.updates.pending) == 3 and all(u.pending_since for u in inventory.updates.pending)
    assert inventory.firewall.state == "on"
    # Not on Windows here: the registry is missing, reported as unknown with the reason.
    assert inventory.collectors["software"].state in ("ok", "unknown")
    assert all(s.state == "ok" for n, s in inventory.collectors.items() if n != "software")


def test_encryption_falls_back_to_manage_bde(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "powershell", lambda script, ctx, timeout=None: [])
    monkeypatch.setattr(
        security, "run_command", lambda argv, **kw: CommandResult(0, recorded("windows_manage_bde.txt"), "")
    )
    assert [v.volume for v in security.collect_encryption(Context())] == ["C:", "D:"]
