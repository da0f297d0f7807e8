"""Operating system: /etc/os-release, the kernel, and the install date."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import shlex
from pathlib import Path

from steward_agent.collectors.base import Context, Unavailable, clip, register, run_command
from steward_protocol.messages import OperatingSystem

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
# Before this the date is a placeholder (epoch birth times in images, reproducible builds).
EARLIEST_PLAUSIBLE = dt.datetime(1995, 1, 1, tzinfo=dt.UTC)


def parse_os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("'\"")]
        values[key.strip()] = parts[0] if parts else ""
    return values


def read_os_release() -> dict[str, str]:
    for path in OS_RELEASE:
        try:
            return parse_os_release(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    raise Unavailable("no /etc/os-release")


def _plausible(timestamp: float | None) -> dt.datetime | None:
    if not timestamp:
        return None
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment if moment >= EARLIEST_PLAUSIBLE else None


def install_date(ctx: Context) -> dt.date | None:
    """The installer's log, else the root filesystem's birth, else the base package's install."""
    candidates: list[dt.datetime | None] = []
    for path in ("/var/log/installer", "/root/anaconda-ks.cfg", "/var/log/anaconda"):
        try:
            candidates.append(_plausible(os.stat(path).st_mtime))
        except OSError:
            continue
    if not any(candidates):
        with contextlib.suppress(OSError):
            candidates.append(_plausible(getattr(os.stat("/"), "st_birthtime", None)))
    if not any(candidates):
        for path in ("/var/lib/dpkg/info/base-files.list", "/var/lib/dpkg/info/base-passwd.list"):
            try:
                candidates.append(_plausible(os.stat(path).st_mtime))
            except OSError:
                continue
    if not any(candidates):
        try:
            out = run_command(
                ["rpm", "-q", "basesystem", "--queryformat", "%{INSTALLTIME}"], timeout=ctx.command_timeout
            )
            candidates.append(_plausible(float(out.stdout.strip())))
        except (Unavailable, RuntimeError, ValueError):
            pass
    found = [c for c in candidates if c]
    return min(found).date() if found else None


@register("os", "linux")
def collect_os(ctx: Context) -> OperatingSystem:
    release = read_os_release()
    return OperatingSystem(
        family="linux",
        name=clip(release.get("NAME") or release.get("ID") or "Linux"),
        version=clip(release.get("VERSION") or release.get("VERSION_ID", "")),
        build=clip(release.get("BUILD_ID") or release.get("VERSION_ID", "")),
        architecture=clip(platform.machine(), 128),
        kernel=clip(platform.release()),
        install_date=install_date(ctx),
    )
