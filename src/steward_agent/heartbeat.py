"""The heartbeat: a small, frequent sample of this machine's health."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import uuid

import psutil

from steward_agent import __version__
from steward_agent.collectors.base import Unavailable, clip, run_command, which
from steward_protocol.messages import DeviceIdentity, Heartbeat, Volume

SKIP_FILESYSTEMS = {
    "squashfs",
    "tmpfs",
    "devtmpfs",
    "overlay",
    "iso9660",
    "udf",
    "autofs",
    "nsfs",
    "ramfs",
    "fuse.lxcfs",
    "devfs",
}
SKIP_MOUNT_PREFIXES = ("/snap/", "/var/lib/docker/", "/run/", "/boot/efi", "/System/Volumes/")
MAX_VOLUMES = 64


def volumes() -> list[Volume]:
    """Per-volume disk use of real filesystems (one entry per device, the shortest mount)."""
    by_device: dict[str, Volume] = {}
    partitions = psutil.disk_partitions(all=False)
    for part in sorted(partitions, key=lambda p: len(p.mountpoint)):
        if part.fstype in SKIP_FILESYSTEMS or part.mountpoint.startswith(SKIP_MOUNT_PREFIXES):
            continue
        if sys.platform == "win32" and ("cdrom" in part.opts or not part.fstype):
            continue
        if part.device in by_device:
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        by_device[part.device or part.mountpoint] = Volume(
            mount=clip(part.mountpoint),
            filesystem=clip(part.fstype, 128),
            total_bytes=usage.total,
            used_bytes=usage.used,
        )
    if not by_device:  # containers: the root is an overlay
        root = os.path.abspath(os.sep)
        usage = psutil.disk_usage(root)
        return [Volume(mount=root, total_bytes=usage.total, used_bytes=usage.used)]
    return sorted(by_device.values(), key=lambda v: v.mount)[:MAX_VOLUMES]


def logged_in_users() -> list[str]:
    return sorted({clip(u.name, 128) for u in psutil.users() if u.name})[:64]


def _linux_pending_reboot() -> bool | None:
    for path in ("/var/run/reboot-required", "/run/reboot-required"):
        if os.path.exists(path):
            return True
    if which("needs-restarting"):
        try:
            # Exit 1: a reboot is needed; 0: not.
            res = run_command(["needs-restarting", "-r"], timeout=60, ok_codes=(0, 1))
            return res.returncode == 1
        except (Unavailable, RuntimeError):
            return None
    if os.path.isdir("/var/lib/dpkg"):
        return False  # Debian family: the flag file is the signal, and it is absent
    return None


def _windows_pending_reboot() -> bool | None:
    try:
        import winreg  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    keys = [
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending",
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired",
    ]
    hklm = winreg.HKEY_LOCAL_MACHINE  # type: ignore[attr-defined,unused-ignore]
    for key in keys:
        try:
            winreg.CloseKey(winreg.OpenKey(hklm, key))  # type: ignore[attr-defined,unused-ignore]
            return True
        except OSError:
            continue
    try:
        session = winreg.OpenKey(hklm, r"SYSTEM\CurrentControlSet\Control\Session Manager")  # type: ignore[attr-defined,unused-ignore]
        value, _ = winreg.QueryValueEx(session, "PendingFileRenameOperations")  # type: ignore[attr-defined,unused-ignore]
        return bool(value)
    except OSError:
        return False


def pending_reboot() -> bool | None:
    if sys.platform == "win32":
        return _windows_pending_reboot()
    if sys.platform.startswith("linux"):
        return _linux_pending_reboot()
    return None  # macOS exposes no cheap, reliable signal


def build_heartbeat(
    device_id: uuid.UUID,
    identity: DeviceIdentity,
    inventory_hash: str | None = None,
    *,
    cpu_interval: float | None = None,
) -> Heartbeat:
    """Sample now. ``cpu_interval`` None uses the CPU time since the previous sample."""
    memory = psutil.virtual_memory()
    cpu = psutil.cpu_percent(interval=cpu_interval)
    return Heartbeat(
        message_id=uuid.uuid4(),
        device_id=device_id,
        sent_at=dt.datetime.now(dt.UTC),
        agent_version=__version__,
        identity=identity,
        cpu_percent=min(100.0, max(0.0, cpu)),
        memory_total_bytes=memory.total,
        memory_used_bytes=min(memory.total, memory.total - memory.available),
        volumes=volumes(),
        uptime_seconds=max(0, int(time.time() - psutil.boot_time())),
        logged_in_users=logged_in_users(),
        pending_reboot=pending_reboot(),
        inventory_hash=inventory_hash,
    )
