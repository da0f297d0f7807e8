"""Collectors that work the same on every platform (through psutil), and shared helpers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
from pathlib import Path

import psutil

from steward_agent.collectors.base import Context, clip, register
from steward_protocol.messages import NetworkInterface, PendingUpdate

MAX_INTERFACES = 128
MAX_ADDRESSES = 32
ZERO_MAC = {"", "00:00:00:00:00:00", "00-00-00-00-00-00"}


def normalise_mac(mac: str) -> str:
    return mac.strip().lower().replace("-", ":")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def network_interfaces() -> list[NetworkInterface]:
    """Every interface with its MAC and IPv4/IPv6 addresses; loopback ones are left out."""
    stats = psutil.net_if_stats()
    result: list[NetworkInterface] = []
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        mac = ""
        addresses: list[str] = []
        for addr in addrs:
            if addr.family == psutil.AF_LINK:
                mac = normalise_mac(addr.address or "")
            elif addr.family in (socket.AF_INET, socket.AF_INET6) and addr.address:
                addresses.append(addr.address.split("%", 1)[0])
        if (addresses and all(_is_loopback(a) for a in addresses)) or (
            not addresses and mac in ZERO_MAC and name.lower().startswith(("lo", "loopback"))
        ):
            continue
        stat = stats.get(name)
        result.append(
            NetworkInterface(
                name=clip(name, 128),
                mac=clip("" if mac in ZERO_MAC else mac, 32),
                addresses=[clip(a, 64) for a in addresses[:MAX_ADDRESSES]],
                is_up=stat.isup if stat else None,
            )
        )
    return result[:MAX_INTERFACES]


def _network(ctx: Context) -> list[NetworkInterface]:
    return network_interfaces()


register("network", "linux")(_network)
register("network", "windows")(_network)
register("network", "macos")(_network)


# --- pending-update ages ------------------------------------------------------------

PENDING_FILE = "pending_updates.json"


def with_pending_since(
    ctx: Context, updates: list[PendingUpdate], now: dt.datetime | None = None
) -> list[PendingUpdate]:
    """Set ``pending_since`` from when the agent first saw each update pending.

    The first-seen times live in the state dir; updates no longer pending are forgotten,
    so one that comes back later starts a new age. Without a state dir nothing is stored
    and each update is reported as first seen now.
    """
    now = now or dt.datetime.now(dt.UTC)
    path = Path(ctx.state_dir) / PENDING_FILE if ctx.state_dir else None
    seen: dict[str, str] = {}
    if path is not None:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                seen = {str(k): str(v) for k, v in loaded.items()}
        except (OSError, ValueError):
            seen = {}
    current: dict[str, str] = {}
    result: list[PendingUpdate] = []
    for update in updates:
        first = seen.get(update.update_id)
        try:
            since = dt.datetime.fromisoformat(first) if first else now
        except ValueError:
            since = now
        current[update.update_id] = since.isoformat()
        result.append(update.model_copy(update={"pending_since": since}))
    if path is not None and current != seen:
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(current, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # the ages are a nicety; the inventory goes out without them stored
    return result
