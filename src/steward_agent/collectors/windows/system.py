"""Operating system (Win32_OperatingSystem + the CurrentVersion registry values) and local
administrators (members of the built-in Administrators group, SID S-1-5-32-544)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward_agent.collectors.base import Context, clip, register
from steward_agent.collectors.windows.powershell import as_list, parse_date, powershell
from steward_protocol.messages import OperatingSystem

OS_SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$os = Get-CimInstance Win32_OperatingSystem
$cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
[pscustomobject]@{
  caption = $os.Caption; version = $os.Version; build = $os.BuildNumber; ubr = $cv.UBR
  display_version = $cv.DisplayVersion; architecture = $os.OSArchitecture
  install_date = $(if ($os.InstallDate) { $os.InstallDate.ToUniversalTime().ToString('o') } else { $null })
} | ConvertTo-Json -Compress
"""

ADMINS_SCRIPT = r"""
$ErrorActionPreference = 'Stop'
try {
  $names = @(Get-LocalGroupMember -SID 'S-1-5-32-544' | ForEach-Object { $_.Name })
} catch {
  # Get-LocalGroupMember fails on orphaned SIDs; ask CIM instead.
  $group = Get-CimInstance Win32_Group -Filter "LocalAccount=True AND SID='S-1-5-32-544'"
  $names = @(Get-CimAssociatedInstance -InputObject $group -Association Win32_GroupUser |
    ForEach-Object { "$($_.Domain)\$($_.Name)" })
}
ConvertTo-Json -InputObject $names -Compress
"""


def parse_os(data: dict[str, Any]) -> OperatingSystem:
    build = str(data.get("build") or "")
    if data.get("ubr") not in (None, ""):
        build = f"{build}.{data['ubr']}"
    installed = parse_date(data.get("install_date"))
    arch = str(data.get("architecture") or "")
    return OperatingSystem(
        family="windows",
        name=clip(data.get("caption") or "Windows"),
        version=clip(data.get("display_version") or data.get("version")),
        build=clip(build),
        architecture=clip(arch, 128),
        kernel=clip(data.get("version")),
        install_date=installed.astimezone(dt.UTC).date() if installed else None,
    )


@register("os", "windows")
def collect_os(ctx: Context) -> OperatingSystem:
    return parse_os(powershell(OS_SCRIPT, ctx))


def parse_admins(data: Any) -> list[str]:
    return sorted({clip(n, 128) for n in as_list(data) if n})[:256]


@register("local_admins", "windows")
def collect_admins(ctx: Context) -> list[str]:
    return parse_admins(powershell(ADMINS_SCRIPT, ctx))
