"""The collector plug-in registry: small per-platform functions, each filling one part of
the inventory, run with a time limit so one slow or broken collector never stops the others.

A collector is a function ``(ctx) -> value`` registered for a platform and an inventory
section. It raises :class:`Unavailable` when what it reads is not there (the tool is not
installed, the file is unreadable): that is reported as state "unknown" with the reason.
Any other exception is reported as state "error" with the exception's message, and a
collector that runs past its time limit as "unknown" ("timed out after N s").
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

Platform = Literal["linux", "windows", "macos"]
# The inventory sections a collector may fill (fields of steward_protocol.Inventory).
SECTIONS = (
    "hardware",
    "os",
    "software",
    "updates",
    "firewall",
    "protection",
    "encryption",
    "backups",
    "local_admins",
    "network",
)
DEFAULT_TIMEOUT = 60.0
COMMAND_TIMEOUT = 30.0


class Unavailable(Exception):
    """What this collector reads is not present here; the reason is reported as "unknown"."""


@dataclass(frozen=True)
class Partial:
    """A collector's value with a note on what it could not read (state stays "ok")."""

    value: Any
    note: str


@dataclass
class Context:
    """What collectors may use besides the machine itself: the agent's settings and state."""

    state_dir: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    command_timeout: float = COMMAND_TIMEOUT


CollectFn = Callable[[Context], Any]


@dataclass(frozen=True)
class Collector:
    name: str
    section: str
    platform: Platform
    fn: CollectFn
    timeout: float = DEFAULT_TIMEOUT


@dataclass
class Outcome:
    """One collector's result: its value (None unless ok) and its reported status."""

    name: str
    section: str
    state: Literal["ok", "unknown", "error"]
    value: Any = None
    reason: str = ""


_REGISTRY: dict[Platform, dict[str, Collector]] = {"linux": {}, "windows": {}, "macos": {}}


def register(
    section: str, platform: Platform, *, name: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Callable[[CollectFn], CollectFn]:
    """Register ``fn`` as the collector of ``section`` on ``platform`` (one per section)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown inventory section {section!r}")

    def decorate(fn: CollectFn) -> CollectFn:
        _REGISTRY[platform][section] = Collector(name or section, section, platform, fn, timeout)
        return fn

    return decorate


def current_platform() -> Platform | None:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return None


def load_platform(platform: Platform) -> None:
    """Import the plug-in modules of one platform (they register themselves)."""
    if platform == "linux":
        from steward_agent.collectors import linux  # noqa: F401
    elif platform == "windows":
        from steward_agent.collectors import windows  # noqa: F401
    else:
        from steward_agent.collectors import macos  # noqa: F401
    from steward_agent.collectors import common  # noqa: F401


def collectors_for(platform: Platform) -> list[Collector]:
    load_platform(platform)
    return [_REGISTRY[platform][section] for section in SECTIONS if section in _REGISTRY[platform]]


def run_collectors(
    collectors: Iterable[Collector], ctx: Context, *, timeout: float | None = None
) -> dict[str, Outcome]:
    """Run every collector concurrently; each gets its own time limit and failure report."""
    collectors = list(collectors)
    outcomes: dict[str, Outcome] = {}
    if not collectors:
        return outcomes
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=min(8, len(collectors)), thread_name_prefix="collector"
    )
    try:
        futures = {c.name: (c, pool.submit(c.fn, ctx)) for c in collectors}
        for name, (collector, future) in futures.items():
            limit = timeout if timeout is not None else collector.timeout
            outcomes[name] = _outcome(collector, future, limit)
    finally:
        # A collector stuck past its limit is abandoned, not waited for (its commands
        # have their own timeouts, so the thread ends soon after).
        pool.shutdown(wait=False, cancel_futures=True)
    return outcomes


def _outcome(collector: Collector, future: concurrent.futures.Future[Any], limit: float) -> Outcome:
    name, section = collector.name, collector.section
    try:
        value = future.result(timeout=limit)
    except concurrent.futures.TimeoutError:
        log.warning("collector %s timed out after %s s", name, limit)
        return Outcome(name, section, "unknown", reason=f"timed out after {limit:g} s")
    except Unavailable as exc:
        return Outcome(name, section, "unknown", reason=str(exc) or "not available")
    except Exception as exc:
        log.warning("collector %s failed: %s", name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return Outcome(name, section, "error", reason=f"{type(exc).__name__}: {exc}")
    if isinstance(value, Partial):
        return Outcome(name, section, "ok", value=value.value, reason=value.note)
    return Outcome(name, section, "ok", value=value)


# --- helpers for collectors ---------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


def which(program: str, extra_dirs: Sequence[str] = ("/usr/sbin", "/sbin")) -> str | None:
    """The full path of ``program`` (also looking in sbin dirs a service's PATH may lack)."""
    found = shutil.which(program)
    if found:
        return found
    for directory in extra_dirs:
        candidate = os.path.join(directory, program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def run_command(
    argv: Sequence[str],
    *,
    timeout: float = COMMAND_TIMEOUT,
    env: dict[str, str] | None = None,
    ok_codes: Iterable[int] | None = (0,),
) -> CommandResult:
    """Run a program directly (never through a shell) with a time limit.

    ``argv[0]`` is resolved to a full path; a missing program raises :class:`Unavailable`.
    A return code outside ``ok_codes`` (None: any) raises :class:`RuntimeError` with stderr.
    """
    program = argv[0] if os.path.isabs(argv[0]) else which(argv[0])
    if not program or not os.path.exists(program):
        raise Unavailable(f"{argv[0]} is not installed")
    run_env = {**os.environ, "LC_ALL": "C", "LANG": "C", **(env or {})}
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell, resolved program path
            [program, *argv[1:]],
            capture_output=True,
            timeout=timeout,
            env=run_env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"{argv[0]} timed out after {timeout:g} s") from exc
    except PermissionError as exc:
        raise Unavailable(f"{argv[0]}: permission denied") from exc
    result = CommandResult(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )
    if ok_codes is not None and proc.returncode not in set(ok_codes):
        detail = (result.stderr or result.stdout).strip().splitlines()
        message = detail[-1] if detail else ""
        raise RuntimeError(f"{argv[0]} exited with {proc.returncode}: {message}"[:500])
    return result


def read_text(path: str | Path, default: str | None = None) -> str:
    """A small text file's stripped content; ``default`` (or Unavailable) if unreadable."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        if default is not None:
            return default
        raise Unavailable(f"cannot read {path}: {exc.strerror or exc}") from exc


def clip(value: object, limit: int = 255) -> str:
    """A string that fits a wire-model field of ``limit`` characters."""
    text = "" if value is None else str(value).strip()
    return text[:limit].strip()
