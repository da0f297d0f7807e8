"""Installed software from the registry's Uninstall keys (64- and 32-bit views), read with
winreg: DisplayName, DisplayVersion, Publisher, InstallDate. System components and
updates (entries with a parent) are left out, as in "Apps & features"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward_agent.collectors.base import Context, Unavailable, clip, register
from steward_protocol.messages import Software

UNINSTALL = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
MAX_SOFTWARE = 10000


def _value(reg: Any, key: Any, name: str) -> Any:
    try:
        return reg.QueryValueEx(key, name)[0]
    except OSError:
        return None


def parse_install_date(value: Any) -> dt.date | None:
    text = str(value or "").strip()
    for fmt in ("%Y%m%d", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_uninstall_keys(reg: Any) -> list[Software]:
    """Walk HKLM's Uninstall key in both registry views; ``reg`` is the winreg module."""
    found: dict[tuple[str, str], Software] = {}
    for view in (reg.KEY_WOW64_64KEY, reg.KEY_WOW64_32KEY):
        try:
            root = reg.OpenKey(reg.HKEY_LOCAL_MACHINE, UNINSTALL, 0, reg.KEY_READ | view)
        except OSError:
            continue
        index = 0
        while True:
            try:
                sub = reg.EnumKey(root, index)
            except OSError:
                break
            index += 1
            try:
                key = reg.OpenKey(root, sub)
            except OSError:
                continue
            name = _value(reg, key, "DisplayName")
            if not name or _value(reg, key, "SystemComponent") == 1 or _value(reg, key, "ParentKeyName"):
                continue
            version = str(_value(reg, key, "DisplayVersion") or "")
            entry = Software(
                name=clip(name),
                version=clip(version),
                publisher=clip(_value(reg, key, "Publisher")),
                install_date=parse_install_date(_value(reg, key, "InstallDate")),
            )
            found.setdefault((entry.name, entry.version), entry)
    return sorted(found.values(), key=lambda s: (s.name.lower(), s.version))[:MAX_SOFTWARE]


@register("software", "windows")
def collect_software(ctx: Context) -> list[Software]:
    try:
        import winreg  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise Unavailable("the registry (winreg) is only available on Windows") from exc
    return read_uninstall_keys(winreg)
