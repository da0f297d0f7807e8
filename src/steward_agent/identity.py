"""What identifies this machine across agent reinstalls: machine-id, SMBIOS UUID, serial
number and physical MAC addresses. The server matches an enrollment against these (a
reinstall takes over the existing device) and compares each heartbeat's identity with the
enrolled one (a clone — same credential, different machine-id/UUID — gets a new identity).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import socket
import sys
from pathlib import Path

import psutil

from steward_agent.collectors.base import Unavailable, clip, read_text, run_command
from steward_protocol.messages import DeviceIdentity

VIRTUAL_PREFIXES = (
    "lo",
    "veth",
    "docker",
    "br-",
    "virbr",
    "vmnet",
    "vboxnet",
    "tun",
    "tap",
    "wg",
    "zt",
    "utun",
    "awdl",
    "llw",
    "bridge",
    "ifb",
    "dummy",
    "cni",
    "flannel",
    "kube",
)
PLACEHOLDER_IDS = {
    "",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009",
    "to be filled by o.e.m.",
    "default string",
    "not specified",
    "system serial number",
    "0",
}


def _clean(value: str) -> str:
    value = value.strip()
    return "" if value.lower() in PLACEHOLDER_IDS else clip(value)


def physical_macs() -> list[str]:
    macs: set[str] = set()
    for name, addrs in psutil.net_if_addrs().items():
        lowered = name.lower()
        if lowered.startswith(VIRTUAL_PREFIXES) or "loopback" in lowered:
            continue
        if sys.platform.startswith("linux") and not Path(f"/sys/class/net/{name}/device").exists():
            # Only interfaces backed by a device (not bridges, bonds, containers' veths).
            if Path(f"/sys/class/net/{name}").exists():
                continue
        for addr in addrs:
            if addr.family == psutil.AF_LINK and addr.address:
                mac = addr.address.lower().replace("-", ":")
                if mac != "00:00:00:00:00:00" and len(mac) <= 32:
                    macs.add(mac)
    return sorted(macs)[:64]


@functools.lru_cache(maxsize=1)
def _linux_ids() -> tuple[str, str, str]:
    machine_id = read_text("/etc/machine-id", default="") or read_text("/var/lib/dbus/machine-id", default="")
    uuid_ = read_text("/sys/class/dmi/id/product_uuid", default="")
    serial = read_text("/sys/class/dmi/id/product_serial", default="")
    return _clean(machine_id), _clean(uuid_.lower()), _clean(serial)


@functools.lru_cache(maxsize=1)
def _windows_ids() -> tuple[str, str, str]:
    machine_guid = ""
    try:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        key = winreg.OpenKey(  # type: ignore[attr-defined,unused-ignore]
            winreg.HKEY_LOCAL_MACHINE,  # type: ignore[attr-defined,unused-ignore]
            r"SOFTWARE\Microsoft\Cryptography",
            0,
            winreg.KEY_READ | winreg.KEY_WOW64_64KEY,  # type: ignore[attr-defined,unused-ignore]
        )
        machine_guid = str(winreg.QueryValueEx(key, "MachineGuid")[0])  # type: ignore[attr-defined,unused-ignore]
    except (ImportError, OSError):
        pass
    uuid_, serial = "", ""
    try:
        out = run_command(
            [
                "powershell.exe",
                "-NoProfile",
                "-NonInteractive",
                "-Command",
                "$p = Get-CimInstance Win32_ComputerSystemProduct; $b = Get-CimInstance Win32_BIOS; "
                "@{uuid=$p.UUID; serial=$b.SerialNumber} | ConvertTo-Json -Compress",
            ],
            timeout=60,
        )
        data = json.loads(out.stdout)
        uuid_, serial = str(data.get("uuid") or ""), str(data.get("serial") or "")
    except (Unavailable, RuntimeError, ValueError):
        pass
    return _clean(machine_guid.lower()), _clean(uuid_.lower()), _clean(serial)


def parse_ioreg(output: str) -> tuple[str, str]:
    """IOPlatformUUID and IOPlatformSerialNumber from ``ioreg -rd1 -c IOPlatformExpertDevice``."""
    uuid_ = re.search(r'"IOPlatformUUID"\s*=\s*"([^"]+)"', output)
    serial = re.search(r'"IOPlatformSerialNumber"\s*=\s*"([^"]+)"', output)
    return (uuid_.group(1) if uuid_ else ""), (serial.group(1) if serial else "")


@functools.lru_cache(maxsize=1)
def _macos_ids() -> tuple[str, str, str]:
    try:
        out = run_command(["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], timeout=30)
        uuid_, serial = parse_ioreg(out.stdout)
    except (Unavailable, RuntimeError):
        uuid_, serial = "", ""
    return _clean(uuid_.lower()), _clean(uuid_.lower()), _clean(serial)


def collect_identity() -> DeviceIdentity:
    if sys.platform == "win32":
        machine_id, hardware_uuid, serial = _windows_ids()
    elif sys.platform == "darwin":
        machine_id, hardware_uuid, serial = _macos_ids()
    else:
        machine_id, hardware_uuid, serial = _linux_ids()
    return DeviceIdentity(
        hostname=clip(socket.gethostname() or "unknown", 128),
        machine_id=machine_id,
        hardware_uuid=hardware_uuid,
        serial_number=serial,
        mac_addresses=physical_macs(),
    )


def fingerprint(identity: DeviceIdentity) -> str:
    """A stable digest of what makes this machine unique (the hostname and MACs excluded:
    they change on rename or a new network card without making it another machine)."""
    stable = "\n".join([identity.machine_id, identity.hardware_uuid, identity.serial_number])
    return hashlib.sha256(stable.encode()).hexdigest()


def describe_change(enrolled: DeviceIdentity, current: DeviceIdentity) -> list[str]:
    """Which identifying fields differ from the enrolled identity (a hint of a clone)."""
    changed = []
    for name in ("machine_id", "hardware_uuid", "serial_number"):
        before, after = getattr(enrolled, name), getattr(current, name)
        if before and after and before != after:
            changed.append(name)
    return changed
