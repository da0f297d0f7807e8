"""Hardware via CIM (Win32_ComputerSystem, Win32_BIOS, Win32_Processor) and
Get-PhysicalDisk (media type, health)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward_agent.collectors.base import Context, clip, register
from steward_agent.collectors.windows.powershell import as_list, powershell
from steward_protocol.messages import Bios, Disk, Hardware

SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$cs = Get-CimInstance Win32_ComputerSystem
$bios = Get-CimInstance Win32_BIOS
$cpu = @(Get-CimInstance Win32_Processor)
$disks = @()
try {
  $disks = @(Get-PhysicalDisk | ForEach-Object {
    [pscustomobject]@{ name = $_.FriendlyName; serial = $_.SerialNumber; size = [int64]$_.Size;
      media = [string]$_.MediaType; bus = [string]$_.BusType; health = [string]$_.HealthStatus } })
} catch { }
[pscustomobject]@{
  vendor = $cs.Manufacturer; model = $cs.Model; serial = $bios.SerialNumber
  pc_system_type = [int]$cs.PCSystemType; hypervisor = [bool]$cs.HypervisorPresent
  cpu = $cpu[0].Name; cores = ($cpu | Measure-Object NumberOfCores -Sum).Sum
  ram = [int64]$cs.TotalPhysicalMemory
  bios_vendor = $bios.Manufacturer; bios_version = $bios.SMBIOSBIOSVersion
  bios_date = $(if ($bios.ReleaseDate) { $bios.ReleaseDate.ToString('yyyy-MM-dd') } else { '' })
  disks = $disks
} | ConvertTo-Json -Depth 4 -Compress
"""
VIRTUAL_MODELS = ("virtual", "vmware", "kvm", "qemu", "hvm domu", "virtualbox")


def chassis_of(data: dict[str, Any]) -> str:
    text = f"{data.get('vendor', '')} {data.get('model', '')}".lower()
    if any(v in text for v in VIRTUAL_MODELS):
        return "virtual"
    # Win32_ComputerSystem.PCSystemType: 1 desktop, 2 mobile, 3 workstation, 4/5/7 servers.
    return {1: "desktop", 2: "laptop", 3: "desktop", 4: "server", 5: "server", 7: "server"}.get(
        int(data.get("pc_system_type") or 0), "unknown"
    )


def disk_of(item: dict[str, Any]) -> Disk:
    media = str(item.get("media") or "").upper()
    bus = str(item.get("bus") or "").lower()
    name = str(item.get("name") or "disk")
    kind = "nvme" if bus == "nvme" else "ssd" if media == "SSD" else "hdd" if media == "HDD" else "unknown"
    if "virtual" in name.lower() or bus in ("file backed virtual", "virtual"):
        kind = "virtual"
    health = str(item.get("health") or "")
    smart = {"healthy": "ok", "warning": "failing", "unhealthy": "failing"}.get(health.lower(), "unknown")
    return Disk(
        name=clip(name),
        serial=clip(item.get("serial")),
        size_bytes=max(0, int(item.get("size") or 0)),
        media=kind,  # type: ignore[arg-type]
        smart_status=smart,  # type: ignore[arg-type]
        smart_detail=clip(f"Get-PhysicalDisk HealthStatus: {health}" if health else "", 2000),
    )


def parse_hardware(data: dict[str, Any]) -> Hardware:
    try:
        bios_date = dt.date.fromisoformat(str(data.get("bios_date") or ""))
    except ValueError:
        bios_date = None
    return Hardware(
        vendor=clip(data.get("vendor")),
        model=clip(data.get("model")),
        serial_number=clip(data.get("serial")),
        chassis=chassis_of(data),  # type: ignore[arg-type]
        cpu_model=clip(data.get("cpu")),
        cpu_cores=min(4096, int(data.get("cores") or 0)),
        ram_bytes=max(0, int(data.get("ram") or 0)),
        bios=Bios(
            vendor=clip(data.get("bios_vendor")),
            version=clip(data.get("bios_version")),
            release_date=bios_date,
        ),
        disks=[disk_of(d) for d in as_list(data.get("disks"))[:64]],
    )


@register("hardware", "windows")
def collect_hardware(ctx: Context) -> Hardware:
    return parse_hardware(powershell(SCRIPT, ctx))
