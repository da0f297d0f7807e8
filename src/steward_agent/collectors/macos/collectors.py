"""The macOS collectors (one module: each is a thin parser around one command)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import plistlib
import re
from pathlib import Path
from typing import Any

from steward_agent.collectors.base import Context, Partial, Unavailable, clip, register, run_command
from steward_agent.collectors.common import with_pending_since
from steward_protocol.messages import (
    Backup,
    Bios,
    Disk,
    Encryption,
    Firewall,
    Hardware,
    OperatingSystem,
    PendingUpdate,
    Protection,
    Software,
    Updates,
)

SYSTEM_PROFILER = "/usr/sbin/system_profiler"
SOFTWAREUPDATE = "/usr/sbin/softwareupdate"
FDESETUP = "/usr/bin/fdesetup"
SOCKETFILTERFW = "/usr/libexec/ApplicationFirewall/socketfilterfw"
XPROTECT_PLIST = Path("/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist")
SOFTWAREUPDATE_PLIST = Path("/Library/Preferences/com.apple.SoftwareUpdate.plist")
SETUP_DONE = Path("/var/db/.AppleSetupDone")
# "Developer ID Application: Google LLC (EQHXZ8M8AV)" → "Google LLC"
SIGNER = re.compile(
    r"(?:Developer ID Application|Apple Mac OS Application Signing|Apple Development):\s*(.+?)"
    r"(?:\s*\([A-Z0-9]+\))?$"
)


def system_profiler(ctx: Context, *types: str, timeout: float | None = None) -> dict[str, Any]:
    res = run_command([SYSTEM_PROFILER, "-json", *types], timeout=timeout or ctx.command_timeout * 4)
    data = json.loads(res.stdout)
    if not isinstance(data, dict):
        raise ValueError("system_profiler gave no JSON object")
    return data


def parse_size(text: Any) -> int:
    """ "16 GB" → bytes (system_profiler's human sizes are powers of 1024 for memory)."""
    match = re.match(r"\s*([\d.]+)\s*([KMGT]?B)", str(text or ""))
    if not match:
        return 0
    factor = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}[match.group(2)]
    return int(float(match.group(1)) * factor)


def parse_cores(value: Any) -> int:
    """number_processors is an int on Intel Macs, "proc 10:8:2" (total:perf:eff) on Apple silicon."""
    if isinstance(value, int):
        return value
    match = re.search(r"(\d+)", str(value or ""))
    return int(match.group(1)) if match else 0


def chassis_of(model_name: str) -> str:
    name = model_name.lower()
    if "book" in name:
        return "laptop"
    if any(v in name for v in ("vmware", "virtual", "parallels")):
        return "virtual"
    if "xserve" in name:
        return "server"
    if name.startswith(("imac", "mac mini", "mac pro", "mac studio")):
        return "desktop"
    return "unknown"


def parse_hardware(data: dict[str, Any]) -> Hardware:
    hw = (data.get("SPHardwareDataType") or [{}])[0]
    disks: dict[str, Disk] = {}
    for volume in data.get("SPStorageDataType") or []:
        drive = volume.get("physical_drive") or {}
        name = str(drive.get("device_name") or volume.get("bsd_name") or "")
        if not name or name in disks:
            continue
        smart = str(drive.get("smart_status") or "")
        medium = str(drive.get("medium_type") or "").lower()
        disks[name] = Disk(
            name=clip(name),
            model=clip(drive.get("device_name")),
            size_bytes=max(0, int(volume.get("size_in_bytes") or 0)),
            media="ssd" if medium == "ssd" else "hdd" if medium in ("hdd", "rotational") else "unknown",
            smart_status="ok" if smart == "Verified" else "failing" if smart == "Failing" else "unknown",
            smart_detail=clip(f"SMART: {smart}" if smart else "", 2000),
        )
    model_name = str(hw.get("machine_name") or "")
    return Hardware(
        vendor="Apple Inc.",
        model=clip(f"{model_name} ({hw.get('machine_model')})" if hw.get("machine_model") else model_name),
        serial_number=clip(hw.get("serial_number")),
        chassis=chassis_of(model_name),  # type: ignore[arg-type]
        cpu_model=clip(hw.get("chip_type") or hw.get("cpu_type")),
        cpu_cores=min(4096, parse_cores(hw.get("number_processors"))),
        ram_bytes=parse_size(hw.get("physical_memory")),
        bios=Bios(
            vendor="Apple Inc.", version=clip(hw.get("boot_rom_version") or hw.get("system_firmware_version"))
        ),
        disks=list(disks.values())[:64],
    )


@register("hardware", "macos")
def collect_hardware(ctx: Context) -> Hardware:
    return parse_hardware(system_profiler(ctx, "SPHardwareDataType", "SPStorageDataType"))


def parse_os(data: dict[str, Any], install: dt.date | None = None, arch: str = "") -> OperatingSystem:
    sw = (data.get("SPSoftwareDataType") or [{}])[0]
    text = str(sw.get("os_version") or "")  # "macOS 14.2.1 (23C71)"
    match = re.match(r"(.*?)\s+([\d.]+)\s*\((\w+)\)", text)
    name, version, build = (
        (match.group(1), match.group(2), match.group(3)) if match else (text or "macOS", "", "")
    )
    return OperatingSystem(
        family="macos",
        name=clip(name),
        version=clip(version),
        build=clip(build),
        architecture=clip(arch, 128),
        kernel=clip(sw.get("kernel_version")),
        install_date=install,
    )


@register("os", "macos")
def collect_os(ctx: Context) -> OperatingSystem:
    try:
        install = dt.datetime.fromtimestamp(os.stat(SETUP_DONE).st_mtime, dt.UTC).date()
    except OSError:
        install = None
    return parse_os(system_profiler(ctx, "SPSoftwareDataType"), install, platform.machine())


def _publisher(app: dict[str, Any]) -> str:
    signed = app.get("signed_by") or []
    if signed:
        match = SIGNER.match(str(signed[0]))
        if match:
            return match.group(1)
        if str(signed[0]).startswith("Software Signing"):
            return "Apple Inc."
    return {"apple": "Apple Inc.", "mac_app_store": "Mac App Store"}.get(str(app.get("obtained_from")), "")


def parse_applications(data: dict[str, Any]) -> list[Software]:
    found: dict[tuple[str, str], Software] = {}
    for app in data.get("SPApplicationsDataType") or []:
        name = str(app.get("_name") or "")
        if not name:
            continue
        modified = app.get("lastModified")
        try:
            date = (
                dt.datetime.fromisoformat(str(modified).replace("Z", "+00:00")).date() if modified else None
            )
        except ValueError:
            date = None
        entry = Software(
            name=clip(name),
            version=clip(app.get("version")),
            publisher=clip(_publisher(app)),
            install_date=date,
        )
        found.setdefault((entry.name, entry.version), entry)
    return sorted(found.values(), key=lambda s: (s.name.lower(), s.version))[:10000]


@register("software", "macos", timeout=300)
def collect_software(ctx: Context) -> list[Software]:
    return parse_applications(system_profiler(ctx, "SPApplicationsDataType", timeout=280))


def parse_softwareupdate(output: str) -> list[PendingUpdate]:
    updates: list[PendingUpdate] = []
    label = None
    for line in output.splitlines():
        head = re.match(r"\s*\*\s*Label:\s*(.+)", line)
        if head:
            label = head.group(1).strip()
            continue
        title = re.match(r"\s*Title:\s*([^,]+)(?:,\s*Version:\s*([^,]+))?", line)
        if title and label:
            text = f"{title.group(1).strip()} {title.group(2) or ''}".strip()
            security = "security" in f"{label} {text}".lower() or "rapid security" in text.lower()
            updates.append(PendingUpdate(update_id=clip(label), title=clip(text), is_security=security))
            label = None
    return updates


def last_update_success(path: Path = SOFTWAREUPDATE_PLIST) -> dt.datetime | None:
    try:
        with open(path, "rb") as fh:
            data = plistlib.load(fh)
    except (OSError, plistlib.InvalidFileException, ValueError):
        return None
    value = data.get("LastSuccessfulDate") or data.get("LastFullSuccessfulDate")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


@register("updates", "macos", timeout=600)
def collect_updates(ctx: Context) -> Updates:
    res = run_command([SOFTWAREUPDATE, "-l"], timeout=540)
    pending = with_pending_since(ctx, parse_softwareupdate(res.stdout + "\n" + res.stderr))
    return Updates(pending=pending, last_success_at=last_update_success())


def parse_socketfilterfw(output: str) -> Firewall:
    text = output.lower()
    if "enabled" in text or "state = 1" in text or "state = 2" in text or "blocking all" in text:
        return Firewall(state="on", product="macOS Application Firewall", detail=clip(output.strip(), 2000))
    if "disabled" in text or "state = 0" in text:
        return Firewall(state="off", product="macOS Application Firewall", detail=clip(output.strip(), 2000))
    raise Unavailable(f"unexpected socketfilterfw output: {output.strip()[:200]}")


@register("firewall", "macos")
def collect_firewall(ctx: Context) -> Firewall:
    return parse_socketfilterfw(
        run_command([SOCKETFILTERFW, "--getglobalstate"], timeout=ctx.command_timeout).stdout
    )


@register("protection", "macos")
def collect_protection(ctx: Context) -> Partial | list[Protection]:
    try:
        with open(XPROTECT_PLIST, "rb") as fh:
            info = plistlib.load(fh)
        updated = dt.datetime.fromtimestamp(os.stat(XPROTECT_PLIST).st_mtime, dt.UTC)
    except (OSError, plistlib.InvalidFileException, ValueError) as exc:
        raise Unavailable(f"XProtect not found: {exc}") from exc
    version = info.get("CFBundleShortVersionString", "")
    return Partial(
        [
            Protection(
                product=clip(f"XProtect {version}".strip()), enabled=True, definitions_updated_at=updated
            )
        ],
        "third-party products are not detected on macOS yet",
    )


def parse_fdesetup(output: str) -> Encryption:
    text = output.strip()
    if "FileVault is On" in text:
        state = "encrypted"
    elif "FileVault is Off" in text:
        state = "not_encrypted"
    elif "Encryption in progress" in text:
        state = "encrypting"
    else:
        state = "unknown"
    return Encryption(volume="/", method="FileVault", state=state)  # type: ignore[arg-type]


@register("encryption", "macos")
def collect_encryption(ctx: Context) -> list[Encryption]:
    return [parse_fdesetup(run_command([FDESETUP, "status"], timeout=ctx.command_timeout).stdout)]


def parse_tmutil_latest(output: str) -> dt.datetime | None:
    """``tmutil latestbackup`` prints a path ending in YYYY-MM-DD-HHMMSS(.backup)."""
    match = re.search(r"(\d{4}-\d{2}-\d{2}-\d{6})", output)
    if not match:
        return None
    return dt.datetime.strptime(match.group(1), "%Y-%m-%d-%H%M%S").astimezone(dt.UTC)


@register("backups", "macos", timeout=300)
def collect_backups(ctx: Context) -> Partial | list[Backup]:
    from steward_agent.collectors.linux.backups import borg_backup, restic_backup

    backups: list[Backup] = []
    notes: list[str] = []
    try:
        res = run_command(["/usr/bin/tmutil", "latestbackup"], timeout=ctx.command_timeout, ok_codes=None)
        latest = parse_tmutil_latest(res.stdout)
        if latest:
            backups.append(Backup(tool="Time Machine", last_success_at=latest))
        else:
            notes.append(clip(f"Time Machine: {(res.stderr or res.stdout).strip() or 'no backup'}", 300))
    except Unavailable as exc:
        notes.append(str(exc))
    if ctx.settings.get("restic_repository"):
        backups.append(restic_backup(ctx))
    if ctx.settings.get("borg_repository"):
        backups.append(borg_backup(ctx))
    return Partial(backups, "; ".join(notes)) if notes else backups


def parse_dscl_members(output: str) -> list[str]:
    _, _, members = output.partition("GroupMembership:")
    return sorted({clip(m, 128) for m in members.split() if m})[:256]


@register("local_admins", "macos")
def collect_admins(ctx: Context) -> list[str]:
    res = run_command(
        ["/usr/bin/dscl", ".", "-read", "/Groups/admin", "GroupMembership"], timeout=ctx.command_timeout
    )
    return parse_dscl_members(res.stdout)
