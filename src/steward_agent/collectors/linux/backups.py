"""Backup status: restic and borg repositories named in the agent's config, and, as a
fallback signal, the last run of systemd units/timers of known backup tools."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from steward_agent.collectors.base import Context, Partial, Unavailable, clip, register, run_command, which
from steward_protocol.messages import Backup

KNOWN_UNITS = re.compile(
    r"(restic|borgmatic|borg|duplicity|duplicati|rsnapshot|bacula|bareos|urbackup|veeam|timeshift|kopia|"
    r"backup)",
    re.IGNORECASE,
)


def parse_timestamp(value: str) -> dt.datetime | None:
    """RFC 3339 with up to nanoseconds (restic) or naive local ISO times (borg)."""
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(dt.UTC)


def parse_restic_snapshots(data: list[dict[str, Any]]) -> dt.datetime | None:
    times = [parse_timestamp(str(s.get("time", ""))) for s in data if isinstance(s, dict)]
    found = [t for t in times if t]
    return max(found) if found else None


def restic_backup(ctx: Context) -> Backup:
    repo = str(ctx.settings["restic_repository"])
    env = {"RESTIC_REPOSITORY": repo}
    if ctx.settings.get("restic_password_file"):
        env["RESTIC_PASSWORD_FILE"] = str(ctx.settings["restic_password_file"])
    try:
        res = run_command(
            ["restic", "snapshots", "--json", "--no-lock"], timeout=ctx.command_timeout * 4, env=env
        )
        last = parse_restic_snapshots(json.loads(res.stdout) or [])
    except (RuntimeError, ValueError) as exc:
        return Backup(tool="restic", job=clip(repo), detail=clip(str(exc), 2000))
    return Backup(
        tool="restic",
        job=clip(repo),
        last_success_at=last,
        detail="" if last else "no snapshots in the repository",
    )


def parse_borg_info(data: dict[str, Any]) -> dt.datetime | None:
    ends = [
        parse_timestamp(str(a.get("end") or a.get("start") or ""))
        for a in data.get("archives") or []
        if isinstance(a, dict)
    ]
    found = [t for t in ends if t]
    return max(found) if found else None


def borg_backup(ctx: Context) -> Backup:
    repo = str(ctx.settings["borg_repository"])
    env = {"BORG_RELOCATED_REPO_ACCESS_IS_OK": "no", "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "no"}
    if ctx.settings.get("borg_passcommand"):
        env["BORG_PASSCOMMAND"] = str(ctx.settings["borg_passcommand"])
    try:
        res = run_command(
            ["borg", "info", "--json", "--last", "1", repo], timeout=ctx.command_timeout * 4, env=env
        )
        last = parse_borg_info(json.loads(res.stdout))
    except (RuntimeError, ValueError) as exc:
        return Backup(tool="borg", job=clip(repo), detail=clip(str(exc), 2000))
    return Backup(tool="borg", job=clip(repo), last_success_at=last, detail="" if last else "no archives")


def parse_systemctl_show(output: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = value
    return values


def _unix_time(value: str) -> dt.datetime | None:
    """``--timestamp=unix`` values look like "@1700000000"; empty or 0 means never."""
    value = value.strip().lstrip("@")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds > 0 else None


def backup_from_unit(unit: str, props: dict[str, str]) -> Backup | None:
    finished = _unix_time(props.get("ExecMainExitTimestamp", ""))
    if finished is None:
        return None
    ok = props.get("Result") == "success" and props.get("ExecMainStatus", "0") == "0"
    tool = KNOWN_UNITS.search(unit)
    return Backup(
        tool=clip(tool.group(1).lower() if tool else "systemd", 128),
        job=clip(unit),
        last_success_at=finished if ok else None,
        last_failure_at=None if ok else finished,
        detail=clip(f"systemd unit, result {props.get('Result', '?')}", 2000),
    )


def systemd_backups(ctx: Context) -> list[Backup]:
    if not which("systemctl"):
        return []
    listing = run_command(
        ["systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager", "--type=service"],
        timeout=ctx.command_timeout,
        ok_codes=None,
    )
    units = sorted(
        {
            line.split()[0]
            for line in listing.stdout.splitlines()
            if line.strip() and KNOWN_UNITS.search(line.split()[0])
        }
    )
    found: list[Backup] = []
    for unit in units[:32]:
        res = run_command(
            [
                "systemctl",
                "show",
                "--timestamp=unix",
                "-p",
                "Result,ExecMainStatus,ExecMainExitTimestamp",
                unit,
            ],
            timeout=ctx.command_timeout,
            ok_codes=None,
        )
        backup = backup_from_unit(unit, parse_systemctl_show(res.stdout))
        if backup:
            found.append(backup)
    return found


@register("backups", "linux", timeout=300)
def collect_backups(ctx: Context) -> Partial | list[Backup]:
    found: list[Backup] = []
    notes: list[str] = []
    if ctx.settings.get("restic_repository"):
        if which("restic"):
            found.append(restic_backup(ctx))
        else:
            notes.append("restic is configured but not installed")
    if ctx.settings.get("borg_repository"):
        if which("borg"):
            found.append(borg_backup(ctx))
        else:
            notes.append("borg is configured but not installed")
    try:
        found.extend(systemd_backups(ctx))
    except (Unavailable, RuntimeError) as exc:
        notes.append(f"systemd: {exc}")
    if not found:
        notes.append("no configured backup tool and no systemd unit of a known one")
    return Partial(found[:64], "; ".join(notes)) if notes else found[:64]
