"""Firewall (ufw, firewalld, nftables), endpoint protection (ClamAV, Microsoft Defender,
CrowdStrike, SentinelOne) and disk encryption (LUKS/dm-crypt via lsblk)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from steward_agent.collectors.base import Context, Partial, Unavailable, clip, register, run_command, which
from steward_protocol.messages import Encryption, Firewall, Protection

# --- firewall -------------------------------------------------------------------------


def ufw_state(output: str) -> str:
    first = output.strip().splitlines()[0].lower() if output.strip() else ""
    if "status: active" in first:
        return "on"
    if "status: inactive" in first:
        return "off"
    return "unknown"


def nft_rule_count(ruleset: str) -> int:
    """Rules in an ``nft list ruleset`` (lines inside chains that are not declarations)."""
    count = 0
    for line in ruleset.splitlines():
        text = line.strip()
        if not text or text.startswith(
            ("table ", "chain ", "type ", "policy ", "}", "#", "set ", "elements")
        ):
            continue
        count += 1
    return count


@register("firewall", "linux")
def collect_firewall(ctx: Context) -> Firewall:
    reasons: list[str] = []
    off: list[str] = []
    if which("ufw"):
        try:
            state = ufw_state(run_command(["ufw", "status"], timeout=ctx.command_timeout).stdout)
            if state == "on":
                return Firewall(state="on", product="ufw")
            if state == "off":
                off.append("ufw")
        except (Unavailable, RuntimeError) as exc:
            reasons.append(str(exc))
    if which("firewall-cmd"):
        try:
            # Exit 0 "running"; 252 "not running".
            res = run_command(["firewall-cmd", "--state"], timeout=ctx.command_timeout, ok_codes=None)
            text = (res.stdout + res.stderr).strip().lower()
            if text == "running":
                return Firewall(state="on", product="firewalld")
            if "not running" in text:
                off.append("firewalld")
        except Unavailable as exc:
            reasons.append(str(exc))
    if which("nft"):
        try:
            ruleset = run_command(["nft", "list", "ruleset"], timeout=ctx.command_timeout).stdout
            rules = nft_rule_count(ruleset)
            if rules:
                return Firewall(state="on", product="nftables", detail=f"{rules} rules loaded")
            off.append("nftables")
        except (Unavailable, RuntimeError) as exc:
            reasons.append(str(exc))
    if off:
        return Firewall(state="off", product=clip(", ".join(off)), detail=clip("; ".join(reasons), 2000))
    if reasons:
        raise Unavailable("; ".join(reasons))
    raise Unavailable("none of ufw, firewalld (firewall-cmd) or nftables (nft) is installed")


# --- endpoint protection ------------------------------------------------------------

CLAMAV_DB = Path("/var/lib/clamav")


def _service_active(*units: str) -> bool | None:
    if not which("systemctl"):
        return None
    for unit in units:
        try:
            res = run_command(["systemctl", "is-active", unit], timeout=10, ok_codes=None)
        except Unavailable:
            return None
        if res.stdout.strip() == "active":
            return True
    return False


def _clamav(db: Path = CLAMAV_DB) -> Protection | None:
    if not (which("clamscan") or which("clamd") or which("freshclam")):
        return None
    newest = None
    for name in ("daily.cld", "daily.cvd", "main.cld", "main.cvd"):
        try:
            mtime = os.stat(db / name).st_mtime
        except OSError:
            continue
        newest = mtime if newest is None or mtime > newest else newest
    updated = dt.datetime.fromtimestamp(newest, dt.UTC) if newest else None
    fresh = None if updated is None else (dt.datetime.now(dt.UTC) - updated) < dt.timedelta(days=3)
    return Protection(
        product="ClamAV",
        enabled=_service_active("clamav-daemon", "clamd@scan", "clamd"),
        up_to_date=fresh,
        definitions_updated_at=updated,
    )


def _flag(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    return value.get("value") if isinstance(value, dict) else value


def parse_mdatp_health(data: dict[str, Any]) -> Protection:
    """``mdatp health --output json``: values are plain or {"value": …} depending on version."""
    enabled = _flag(data, "real_time_protection_enabled")
    status = str(_flag(data, "definitions_status") or "").lower()
    updated_ms = _flag(data, "definitions_updated")
    updated = None
    if isinstance(updated_ms, int | float) and updated_ms > 0:
        updated = dt.datetime.fromtimestamp(updated_ms / 1000, dt.UTC)
    return Protection(
        product="Microsoft Defender for Endpoint",
        enabled=bool(enabled) if enabled is not None else None,
        up_to_date=("up_to_date" in status) if status else None,
        definitions_updated_at=updated,
    )


def _mdatp(ctx: Context) -> Protection | None:
    if not which("mdatp"):
        return None
    res = run_command(["mdatp", "health", "--output", "json"], timeout=ctx.command_timeout)
    return parse_mdatp_health(json.loads(res.stdout))


@register("protection", "linux")
def collect_protection(ctx: Context) -> Partial | list[Protection]:
    found: list[Protection] = []
    notes: list[str] = []
    clam = _clamav()
    if clam:
        found.append(clam)
    try:
        defender = _mdatp(ctx)
        if defender:
            found.append(defender)
    except (Unavailable, RuntimeError, ValueError) as exc:
        notes.append(f"mdatp: {exc}")
        found.append(Protection(product="Microsoft Defender for Endpoint"))
    if os.path.exists("/opt/CrowdStrike/falconctl"):
        found.append(Protection(product="CrowdStrike Falcon", enabled=_service_active("falcon-sensor")))
    if os.path.exists("/opt/sentinelone/bin/sentinelctl"):
        found.append(Protection(product="SentinelOne", enabled=_service_active("sentinelone")))
    if not found:
        return Partial([], "no known product found (ClamAV, Microsoft Defender, CrowdStrike, SentinelOne)")
    return Partial(found, "; ".join(notes)) if notes else found


# --- disk encryption ----------------------------------------------------------------


def encryption_from_lsblk(data: dict[str, Any]) -> list[Encryption]:
    """Each mounted filesystem (and swap), encrypted when it sits on a LUKS/dm-crypt device."""
    result: list[Encryption] = []

    def walk(node: dict[str, Any], method: str) -> None:
        fstype = str(node.get("fstype") or "")
        kind = str(node.get("type") or "")
        if fstype == "crypto_LUKS":
            method = "LUKS"
        elif kind == "crypt" and not method:
            method = "dm-crypt"
        mounts = node.get("mountpoints") or [node.get("mountpoint")]
        for mount in mounts:
            if mount:
                volume = "swap" if mount == "[SWAP]" else mount
                result.append(
                    Encryption(
                        volume=clip(volume),
                        method=clip(method, 128),
                        state="encrypted" if method else "not_encrypted",
                    )
                )
        for child in node.get("children") or []:
            walk(child, method)

    for device in data.get("blockdevices") or []:
        walk(device, "")
    unique: dict[str, Encryption] = {}
    for item in result:
        unique.setdefault(item.volume, item)
    return list(unique.values())[:64]


@register("encryption", "linux")
def collect_encryption(ctx: Context) -> list[Encryption]:
    res = run_command(["lsblk", "-J", "-o", "NAME,TYPE,FSTYPE,MOUNTPOINT"], timeout=ctx.command_timeout)
    volumes = encryption_from_lsblk(json.loads(res.stdout))
    if not volumes:
        raise Unavailable("lsblk shows no mounted block device")
    return volumes
