"""Firewall (Get-NetFirewallProfile), endpoint protection (Security Center's
root/SecurityCenter2 AntiVirusProduct, Get-MpComputerStatus for Defender) and BitLocker
(Get-BitLockerVolume, falling back to manage-bde -status)."""

from __future__ import annotations

import re
from typing import Any

from steward_agent.collectors.base import Context, Partial, Unavailable, clip, register, run_command
from steward_agent.collectors.windows.powershell import as_list, parse_date, powershell
from steward_protocol.messages import Encryption, Firewall, Protection

FIREWALL_SCRIPT = r"""
$ErrorActionPreference = 'Stop'
@(Get-NetFirewallProfile | ForEach-Object {
  [pscustomobject]@{ name = $_.Name; enabled = [string]$_.Enabled } }) | ConvertTo-Json -Compress
"""

PROTECTION_SCRIPT = r"""
$ErrorActionPreference = 'Continue'
$av = @()
try {
  $products = Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct -ErrorAction Stop
  $av = @($products | ForEach-Object {
    [pscustomobject]@{ name = $_.displayName; state = [int]$_.productState; timestamp = $_.timestamp } })
} catch { }
$mp = $null
try {
  $s = Get-MpComputerStatus -ErrorAction Stop
  $mp = [pscustomobject]@{ enabled = [bool]$s.AntivirusEnabled; realtime = [bool]$s.RealTimeProtectionEnabled
    updated = $(if ($s.AntivirusSignatureLastUpdated) {
      $s.AntivirusSignatureLastUpdated.ToUniversalTime().ToString('o') } else { $null })
    age_days = [int]$s.AntivirusSignatureAge }
} catch { }
[pscustomobject]@{ av = $av; defender = $mp } | ConvertTo-Json -Depth 4 -Compress
"""

BITLOCKER_SCRIPT = r"""
$ErrorActionPreference = 'Stop'
@(Get-BitLockerVolume | ForEach-Object { [pscustomobject]@{ mount = $_.MountPoint
  status = [string]$_.VolumeStatus; method = [string]$_.EncryptionMethod
  protection = [string]$_.ProtectionStatus } }) | ConvertTo-Json -Compress
"""


def parse_firewall(data: Any) -> Firewall:
    profiles = [(str(p.get("name")), str(p.get("enabled")).lower() in ("true", "1")) for p in as_list(data)]
    if not profiles:
        raise Unavailable("no firewall profiles reported")
    on = sum(1 for _, enabled in profiles if enabled)
    state = "on" if on == len(profiles) else "off" if on == 0 else "partial"
    detail = ", ".join(f"{name}: {'on' if enabled else 'off'}" for name, enabled in profiles)
    return Firewall(state=state, product="Windows Defender Firewall", detail=clip(detail, 2000))  # type: ignore[arg-type]


@register("firewall", "windows")
def collect_firewall(ctx: Context) -> Firewall:
    return parse_firewall(powershell(FIREWALL_SCRIPT, ctx))


def decode_product_state(state: int) -> tuple[bool, bool]:
    """(enabled, definitions up to date) from SecurityCenter2's productState: the middle
    byte is 0x10/0x11 when real-time protection is on, the low byte 0x00 when current."""
    return ((state >> 8) & 0xFF) in (0x10, 0x11), (state & 0xFF) == 0x00


def parse_protection(data: dict[str, Any]) -> list[Protection]:
    products: list[Protection] = []
    defender = data.get("defender")
    for item in as_list(data.get("av")):
        name = str(item.get("name") or "unknown")
        if defender and "defender" in name.lower():
            continue  # reported below with its definition date
        enabled, current = decode_product_state(int(item.get("state") or 0))
        products.append(
            Protection(
                product=clip(name),
                enabled=enabled,
                up_to_date=current,
                definitions_updated_at=parse_date(item.get("timestamp")),
            )
        )
    if defender:
        products.append(
            Protection(
                product="Microsoft Defender Antivirus",
                enabled=bool(defender.get("enabled")) and bool(defender.get("realtime")),
                up_to_date=int(defender.get("age_days") or 0) <= 3,
                definitions_updated_at=parse_date(defender.get("updated")),
            )
        )
    return products[:32]


@register("protection", "windows")
def collect_protection(ctx: Context) -> Partial | list[Protection]:
    products = parse_protection(powershell(PROTECTION_SCRIPT, ctx) or {})
    if not products:
        return Partial([], "Security Center and Defender report no antivirus product")
    return products


BITLOCKER_STATES = {
    "fullyencrypted": "encrypted",
    "fullydecrypted": "not_encrypted",
    "encryptioninprogress": "encrypting",
    "encryptionpaused": "encrypting",
}


def parse_bitlocker(data: Any) -> list[Encryption]:
    return [
        Encryption(
            volume=clip(item.get("mount")),
            method=clip("BitLocker " + str(item.get("method") or "").strip(), 128).strip(),
            state=BITLOCKER_STATES.get(str(item.get("status") or "").lower(), "unknown"),  # type: ignore[arg-type]
        )
        for item in as_list(data)
        if item.get("mount")
    ][:64]


def parse_manage_bde(output: str) -> list[Encryption]:
    volumes: list[Encryption] = []
    for block in re.split(r"\n(?=Volume )", output):
        head = re.match(r"Volume (\S+)", block.strip())
        if not head:
            continue
        conversion = re.search(r"Conversion Status:\s*(.+)", block)
        method = re.search(r"Encryption Method:\s*(.+)", block)
        status = (conversion.group(1).strip().lower() if conversion else "").replace(" ", "")
        state = BITLOCKER_STATES.get(status, "unknown")
        name = method.group(1).strip() if method else ""
        volumes.append(
            Encryption(
                volume=clip(head.group(1)),
                method=clip(f"BitLocker {name}" if name and name != "None" else "BitLocker", 128),
                state=state,  # type: ignore[arg-type]
            )
        )
    return volumes[:64]


@register("encryption", "windows")
def collect_encryption(ctx: Context) -> list[Encryption]:
    try:
        volumes = parse_bitlocker(powershell(BITLOCKER_SCRIPT, ctx))
        if volumes:
            return volumes
    except (Unavailable, RuntimeError, ValueError):
        pass
    return parse_manage_bde(run_command(["manage-bde.exe", "-status"], timeout=ctx.command_timeout).stdout)
