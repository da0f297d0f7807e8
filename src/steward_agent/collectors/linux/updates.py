"""Pending OS updates (apt or dnf, simulated, never installing anything) and the time of the
last successful update run (apt's history log, dnf history)."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

from steward_agent.collectors.base import Context, Unavailable, clip, register, run_command, which
from steward_agent.collectors.common import with_pending_since
from steward_protocol.messages import PendingUpdate, Updates

MAX_PENDING = 5000
APT_HISTORY = Path("/var/log/apt")
# "Inst bash [5.2.15-2+b8] (5.2.15-2+b13 Debian:12.15/oldstable [amd64])"
APT_INST = re.compile(
    r"^Inst (?P<pkg>\S+) (?:\[(?P<old>[^\]]*)\] )?\((?P<new>\S+)(?: (?P<origin>[^\[\)]*?))?(?: \[[^\]]*\])?\)"
)
DNF_SEVERITY = {"critical": "critical", "important": "important", "moderate": "moderate", "low": "low"}


def parse_apt_simulation(output: str) -> list[PendingUpdate]:
    updates: list[PendingUpdate] = []
    for line in output.splitlines():
        match = APT_INST.match(line)
        if not match:
            continue
        origin = match["origin"] or ""
        security = "security" in origin.lower()
        old = match["old"] or "not installed"
        updates.append(
            PendingUpdate(
                update_id=clip(match["pkg"]),
                title=clip(f"{match['pkg']} {old} → {match['new']}"),
                severity="unknown",
                is_security=security,
            )
        )
    return updates


def _apt_history_texts(directory: Path) -> list[str]:
    """history.log and its rotations, oldest first."""
    texts: list[str] = []
    rotated = sorted(
        directory.glob("history.log.*.gz"), key=lambda p: int(p.name.split(".")[2]), reverse=True
    )
    for path in rotated:
        try:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                texts.append(fh.read())
        except (OSError, EOFError, ValueError):
            continue
    for name in ("history.log.1", "history.log"):
        try:
            texts.append((directory / name).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


def parse_apt_history(text: str) -> dt.datetime | None:
    """End time of the last run that upgraded packages without an error."""
    last: dt.datetime | None = None
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in block.strip().splitlines():
            key, _, value = line.partition(": ")
            fields[key.strip()] = value.strip()
        if "Upgrade" not in fields or "Error" in fields or "End-Date" not in fields:
            continue
        try:
            end = dt.datetime.strptime(re.sub(r"\s+", " ", fields["End-Date"]), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        moment = end.astimezone(dt.UTC)  # the log is in local time
        last = moment if last is None or moment > last else last
    return last


def apt_updates(ctx: Context) -> Updates:
    out = run_command(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"], timeout=ctx.command_timeout * 4
    )
    pending = with_pending_since(ctx, parse_apt_simulation(out.stdout)[:MAX_PENDING])
    last = None
    for text in _apt_history_texts(Path(ctx.settings.get("apt_history_dir", APT_HISTORY))):
        found = parse_apt_history(text)
        if found and (last is None or found > last):
            last = found
    return Updates(pending=pending, last_success_at=last)


def parse_dnf_check_update(output: str) -> list[tuple[str, str]]:
    """``dnf check-update`` → [(name, new version)] (the arch is dropped from the name)."""
    found: list[tuple[str, str]] = []
    for line in output.splitlines():
        if line.startswith(("Obsoleting", "Security:", "Last metadata")):
            if line.startswith("Obsoleting"):
                break
            continue
        parts = line.split()
        if len(parts) != 3 or "." not in parts[0]:
            continue
        name = parts[0].rsplit(".", 1)[0]
        found.append((name, parts[1]))
    return found


def parse_dnf_updateinfo(output: str) -> list[tuple[str, str, str]]:
    """``dnf updateinfo list`` → [(advisory, type/severity, package NEVRA)]."""
    rows = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith(("Last metadata", "Updating")):
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def dnf_pending(check_update: str, updateinfo: str) -> list[PendingUpdate]:
    advisories = parse_dnf_updateinfo(updateinfo)
    updates: list[PendingUpdate] = []
    for name, version in parse_dnf_check_update(check_update):
        severity, security, advisory = "unknown", False, ""
        for adv, kind, nevra in advisories:
            if nevra.startswith(f"{name}-") and nevra[len(name) + 1 : len(name) + 2].isdigit():
                label = kind.split("/")[0].lower()
                security = security or kind.lower().endswith("/sec.") or kind.lower() == "security"
                if label in DNF_SEVERITY:
                    severity = DNF_SEVERITY[label]
                advisory = advisory or adv
        title = f"{name} → {version}" + (f" ({advisory})" if advisory else "")
        updates.append(
            PendingUpdate(
                update_id=clip(name),
                title=clip(title),
                severity=severity,  # type: ignore[arg-type]
                is_security=security,
            )
        )
    return updates


def parse_dnf_history(output: str) -> dt.datetime | None:
    """Newest row of ``dnf history list`` whose actions include an upgrade."""
    for line in output.splitlines():
        cols = [c.strip() for c in line.split("|")]
        if len(cols) < 4 or not cols[0].isdigit():
            continue
        actions = cols[3].lower()
        if "upgrade" in actions or "update" in actions or re.search(r"\bu\b", actions):
            try:
                return dt.datetime.strptime(cols[2], "%Y-%m-%d %H:%M").astimezone(dt.UTC)
            except ValueError:
                continue
    return None


def dnf_updates(ctx: Context) -> Updates:
    # check-update exits 100 when updates are available, 0 when none.
    check = run_command(
        ["dnf", "-q", "-C", "check-update"], timeout=ctx.command_timeout * 4, ok_codes=(0, 100)
    )
    try:
        info = run_command(["dnf", "-q", "-C", "updateinfo", "list"], timeout=ctx.command_timeout * 4).stdout
    except (Unavailable, RuntimeError):
        info = ""
    pending = with_pending_since(ctx, dnf_pending(check.stdout, info)[:MAX_PENDING])
    try:
        history = run_command(["dnf", "-q", "history", "list"], timeout=ctx.command_timeout).stdout
        last = parse_dnf_history(history)
    except (Unavailable, RuntimeError):
        last = None
    return Updates(pending=pending, last_success_at=last)


@register("updates", "linux", timeout=180)
def collect_updates(ctx: Context) -> Updates:
    if which("apt-get"):
        return apt_updates(ctx)
    if which("dnf"):
        return dnf_updates(ctx)
    raise Unavailable("neither apt nor dnf is installed")
