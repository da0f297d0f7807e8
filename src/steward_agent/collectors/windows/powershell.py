"""Running fixed PowerShell scripts and reading their JSON output."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from steward_agent.collectors.base import Context, Unavailable, run_command, which

PS_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")


def powershell(script: str, ctx: Context, *, timeout: float | None = None) -> Any:
    """Run ``script`` (a constant of this package, never built from input) and parse the
    JSON it prints; empty output is None."""
    exe = which("powershell.exe", ()) or which("pwsh", ())
    if not exe:
        raise Unavailable("PowerShell is not available")
    res = run_command(
        [exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script],
        timeout=timeout or ctx.command_timeout * 4,
    )
    text = res.stdout.strip()
    return json.loads(text) if text else None


def as_list(value: Any) -> list[Any]:
    """ConvertTo-Json prints one object bare and several as an array."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_date(value: Any) -> dt.datetime | None:
    """ISO 8601 (what our scripts print) or Windows PowerShell 5.1's "/Date(ms)/"."""
    if not value:
        return None
    text = str(value)
    match = PS_DATE.search(text)
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, dt.UTC)
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.strip().replace("Z", "+00:00"))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
