"""The plug-in registry: failures, timeouts and missing tools never stop other collectors."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from steward_agent.collectors import base
from steward_agent.collectors.base import (
    Collector,
    Context,
    Partial,
    Unavailable,
    run_collectors,
    run_command,
)
from steward_agent.inventory import assemble
from steward_protocol.messages import Firewall, Inventory, OperatingSystem


def _collector(name: str, section: str, fn: base.CollectFn, timeout: float = 5) -> Collector:
    return Collector(name, section, "linux", fn, timeout)


def test_failures_are_reported_and_others_still_run() -> None:
    release = threading.Event()

    def boom(ctx: Context) -> None:
        raise ValueError("parser choked on line 3")

    def missing(ctx: Context) -> None:
        raise Unavailable("ufw is not installed")

    def slow(ctx: Context) -> None:
        release.wait(10)

    def good(ctx: Context) -> OperatingSystem:
        return OperatingSystem(family="linux", name="Test OS")

    def partial(ctx: Context) -> Partial:
        return Partial(["root"], "group wheel unreadable")

    collectors = [
        _collector("software", "software", boom),
        _collector("firewall", "firewall", missing),
        _collector("updates", "updates", slow, timeout=0.3),
        _collector("os", "os", good),
        _collector("local_admins", "local_admins", partial),
    ]
    started = time.monotonic()
    outcomes = run_collectors(collectors, Context())
    release.set()
    assert time.monotonic() - started < 5
    assert outcomes["software"].state == "error"
    assert "ValueError: parser choked on line 3" in outcomes["software"].reason
    assert outcomes["firewall"].state == "unknown"
    assert outcomes["firewall"].reason == "ufw is not installed"
    assert outcomes["updates"].state == "unknown"
    assert outcomes["updates"].reason == "timed out after 0.3 s"
    assert outcomes["os"].state == "ok"
    assert outcomes["local_admins"].state == "ok"
    assert outcomes["local_admins"].reason == "group wheel unreadable"

    inventory = assemble(outcomes, "linux")
    Inventory.model_validate_json(inventory.model_dump_json())
    assert inventory.os.name == "Test OS"
    assert inventory.software == []
    assert inventory.firewall == Firewall()  # default: state unknown
    assert inventory.local_admins == ["root"]
    assert inventory.collectors["software"].state == "error"
    assert inventory.collectors["updates"].reason == "timed out after 0.3 s"


def test_every_platform_registers_every_section() -> None:
    platforms: tuple[base.Platform, ...] = ("linux", "windows", "macos")
    for platform in platforms:
        sections = {c.section for c in base.collectors_for(platform)}
        assert sections == set(base.SECTIONS), platform


def test_register_refuses_unknown_sections() -> None:
    with pytest.raises(ValueError, match="unknown inventory section"):
        base.register("gpu", "linux")


def test_run_command_missing_program_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="is not installed"):
        run_command(["steward-no-such-tool-xyz"])


def test_run_command_timeout_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="timed out"):
        run_command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.5)


def test_run_command_never_uses_a_shell() -> None:
    out = run_command([sys.executable, "-c", "import sys; print(sys.argv[1])", "$(id); rm -rf /tmp/x"])
    assert out.stdout.strip() == "$(id); rm -rf /tmp/x"


def test_run_command_failure_carries_stderr() -> None:
    with pytest.raises(RuntimeError, match="exited with 3: bad things"):
        run_command([sys.executable, "-c", "import sys; sys.stderr.write('bad things\\n'); sys.exit(3)"])
