"""Hardware: SMBIOS via /sys/class/dmi/id, CPU/RAM via psutil and /proc/cpuinfo, disks via
lsblk, SMART health via smartctl when installed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import psutil

from steward_agent.collectors.base import (
    Context,
    Partial,
    Unavailable,
    clip,
    read_text,
    register,
    run_command,
)
from steward_protocol.messages import Bios, Disk, Hardware

DMI = Path("/sys/class/dmi/id")
# SMBIOS chassis types (DMTF DSP0134, 7.4.1).
LAPTOP_CHASSIS = {8, 9, 10, 11, 14, 30, 31, 32}
SERVER_CHASSIS = {17, 23, 25, 28, 29}
DESKTOP_CHASSIS = {3, 4, 5, 6, 7, 13, 15, 16, 24, 34, 35, 36}
PLACEHOLDERS = {
    "",
    "to be filled by o.e.m.",
    "default string",
    "not specified",
    "none",
    "0",
    "system serial number",
}
VIRTUAL_VENDORS = (
    "qemu",
    "kvm",
    "vmware",
    "virtualbox",
    "innotek",
    "xen",
    "microsoft corporation",
    "bochs",
    "amazon ec2",
    "google",
)
SKIP_DISKS = ("loop", "ram", "zram", "sr", "fd", "nbd")


def _dmi(name: str, missing: list[str], dmi: Path = DMI) -> str:
    try:
        value = (dmi / name).read_text(encoding="utf-8", errors="replace").strip()
    except PermissionError:
        missing.append(f"{name} (needs root)")
        return ""
    except OSError:
        missing.append(name)
        return ""
    return "" if value.lower() in PLACEHOLDERS else value


def parse_bios_date(text: str) -> dt.date | None:
    for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def cpu_model(cpuinfo: str) -> str:
    for key in ("model name", "Hardware", "cpu model", "Processor", "uarch"):
        for line in cpuinfo.splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key and value.strip():
                return value.strip()
    return ""


def detect_virtualisation() -> str:
    """systemd-detect-virt's answer ("kvm", "docker", …) or "" on bare metal / unknown."""
    try:
        result = run_command(["systemd-detect-virt"], timeout=5, ok_codes=None)
    except Unavailable:
        return ""
    answer = result.stdout.strip()
    return "" if answer in ("", "none") else answer


def chassis_of(chassis_type: str, vendor: str, model: str, virt: str) -> str:
    lowered = f"{vendor} {model}".lower()
    if virt or any(v in lowered for v in VIRTUAL_VENDORS):
        return "virtual"
    try:
        number = int(chassis_type)
    except ValueError:
        return "unknown"
    if number in LAPTOP_CHASSIS:
        return "laptop"
    if number in SERVER_CHASSIS:
        return "server"
    if number in DESKTOP_CHASSIS:
        return "desktop"
    return "unknown"


def media_of(dev: dict[str, Any]) -> str:
    name = str(dev.get("name") or "")
    model = str(dev.get("model") or "").lower()
    if name.startswith("nvme") or dev.get("tran") == "nvme":
        return "nvme"
    if name.startswith(("vd", "xvd")) or any(v in model for v in ("virtual", "qemu", "vbox", "vmware")):
        return "virtual"
    rota = dev.get("rota")
    if rota in (True, "1", 1):
        return "hdd"
    if rota in (False, "0", 0):
        return "ssd"
    return "unknown"


def smart_health(device: str, ctx: Context) -> tuple[str, str]:
    """("ok"|"failing"|"unknown", detail) from ``smartctl -j -H``."""
    try:
        result = run_command(["smartctl", "-j", "-H", device], timeout=ctx.command_timeout, ok_codes=None)
    except Unavailable as exc:
        return "unknown", str(exc)
    try:
        data = json.loads(result.stdout)
    except ValueError:
        return "unknown", "smartctl gave no JSON"
    status = data.get("smart_status")
    if isinstance(status, dict) and "passed" in status:
        return ("ok" if status["passed"] else "failing"), ""
    messages = [
        m.get("string", "") for m in data.get("smartctl", {}).get("messages", []) if isinstance(m, dict)
    ]
    return "unknown", "; ".join(m for m in messages if m) or "no SMART status reported"


def parse_lsblk_disks(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        dev
        for dev in data.get("blockdevices", [])
        if dev.get("type") == "disk" and not str(dev.get("name", "")).startswith(SKIP_DISKS)
    ]


def disks(ctx: Context) -> list[Disk]:
    result = run_command(
        ["lsblk", "-J", "-b", "-d", "-o", "NAME,TYPE,MODEL,SERIAL,SIZE,ROTA,TRAN"],
        timeout=ctx.command_timeout,
    )
    found: list[Disk] = []
    for dev in parse_lsblk_disks(json.loads(result.stdout))[:64]:
        name = str(dev["name"])
        smart, detail = smart_health(f"/dev/{name}", ctx)
        found.append(
            Disk(
                name=clip(name),
                model=clip(dev.get("model")),
                serial=clip(dev.get("serial")),
                size_bytes=max(0, int(dev.get("size") or 0)),
                media=media_of(dev),  # type: ignore[arg-type]
                smart_status=smart,  # type: ignore[arg-type]
                smart_detail=clip(detail, 2000),
            )
        )
    return found


@register("hardware", "linux")
def collect_hardware(ctx: Context) -> Partial | Hardware:
    missing: list[str] = []
    vendor = _dmi("sys_vendor", missing)
    model = _dmi("product_name", missing)
    serial = _dmi("product_serial", missing)
    bios = Bios(
        vendor=clip(_dmi("bios_vendor", missing)),
        version=clip(_dmi("bios_version", missing)),
        release_date=parse_bios_date(_dmi("bios_date", missing)),
    )
    chassis = chassis_of(_dmi("chassis_type", missing), vendor, model, detect_virtualisation())
    try:
        disk_list = disks(ctx)
    except (Unavailable, RuntimeError, ValueError) as exc:
        disk_list = []
        missing.append(f"disks ({exc})")
    hardware = Hardware(
        vendor=clip(vendor),
        model=clip(model),
        serial_number=clip(serial),
        chassis=chassis,  # type: ignore[arg-type]
        cpu_model=clip(cpu_model(read_text("/proc/cpuinfo", default=""))),
        cpu_cores=min(4096, psutil.cpu_count(logical=False) or psutil.cpu_count() or 0),
        ram_bytes=psutil.virtual_memory().total,
        bios=bios,
        disks=disk_list,
    )
    if not DMI.is_dir():
        missing = [m for m in missing if m.startswith("disks")] + ["SMBIOS (no /sys/class/dmi/id)"]
    if missing:
        return Partial(hardware, clip("could not read: " + ", ".join(sorted(set(missing))), 2000))
    return hardware
