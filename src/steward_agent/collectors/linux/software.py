"""Installed software: dpkg (Debian/Ubuntu) or rpm (RHEL/Fedora/SUSE)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from steward_agent.collectors.base import Context, Unavailable, clip, register, run_command, which
from steward_protocol.messages import Software

MAX_SOFTWARE = 10000
DPKG_INFO = Path("/var/lib/dpkg/info")
DPKG_FORMAT = "${binary:Package}\\t${Package}\\t${Version}\\t${Maintainer}\\t${db:Status-Abbrev}\\n"
RPM_FORMAT = "%{NAME}\\t%{EPOCH}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{INSTALLTIME}\\n"


def _mtime_date(path: Path) -> dt.date | None:
    try:
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.UTC).date()
    except OSError:
        return None


def parse_dpkg(output: str, info_dir: Path = DPKG_INFO) -> list[Software]:
    """``dpkg-query -W -f`` lines → installed packages (state "ii"), install date from the
    package's file list in /var/lib/dpkg/info (rewritten when the package is installed)."""
    seen: set[tuple[str, str]] = set()
    result: list[Software] = []
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) < 5:
            continue
        binary, name, version, maintainer, status = parts[:5]
        if not status.startswith("ii") or (name, version) in seen:
            continue
        seen.add((name, version))
        installed = _mtime_date(info_dir / f"{binary}.list") or _mtime_date(info_dir / f"{name}.list")
        result.append(
            Software(
                name=clip(name), version=clip(version), publisher=clip(maintainer), install_date=installed
            )
        )
    return result


def parse_rpm(output: str) -> list[Software]:
    result: list[Software] = []
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) < 5 or parts[0] == "gpg-pubkey":
            continue
        name, epoch, version, vendor, installed = parts[:5]
        if epoch not in ("", "(none)", "0"):
            version = f"{epoch}:{version}"
        try:
            date = dt.datetime.fromtimestamp(int(installed), dt.UTC).date()
        except ValueError:
            date = None
        result.append(
            Software(
                name=clip(name),
                version=clip(version),
                publisher=clip("" if vendor == "(none)" else vendor),
                install_date=date,
            )
        )
    return result


@register("software", "linux")
def collect_software(ctx: Context) -> list[Software]:
    if which("dpkg-query"):
        out = run_command(["dpkg-query", "-W", "-f", DPKG_FORMAT], timeout=ctx.command_timeout * 2)
        packages = parse_dpkg(out.stdout)
    elif which("rpm"):
        out = run_command(["rpm", "-qa", "--queryformat", RPM_FORMAT], timeout=ctx.command_timeout * 2)
        packages = parse_rpm(out.stdout)
    else:
        raise Unavailable("neither dpkg nor rpm is installed")
    packages.sort(key=lambda s: (s.name.lower(), s.version))
    return packages[:MAX_SOFTWARE]
