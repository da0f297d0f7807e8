"""The agent over real HTTP against a protocol-faithful fake server (tests/agent/fake_server.py):
enrollment, check-ins, inventory, the offline spool, 401, clone hand-over, SIGTERM."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from steward_agent import cli, runner
from steward_agent.collectors.base import Outcome
from steward_agent.config import StateDir
from steward_agent.inventory import assemble
from steward_agent.runner import Agent, ReEnrollRequired, jittered
from steward_protocol.messages import InventoryResponse, OperatingSystem, Software
from tests.agent.fake_server import RunningServer


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steward_agent", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def enroll(server: RunningServer, state_dir: Path) -> None:
    assert (
        cli.main(
            ["--state-dir", str(state_dir), "enroll", "--server", server.url, "--token", server.app.token]
        )
        == 0
    )


@pytest.fixture
def small_inventory(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Replace the (slow, real) collectors in the run loop by a tiny inventory whose
    content the test controls; the real collectors are tested in test_real_machine.py."""
    content = {"version": "5.2"}

    def fake_collect(ctx: object, *, device_id: uuid.UUID, **kwargs: object) -> object:
        outcomes = {
            "os": Outcome("os", "os", "ok", OperatingSystem(family="linux", name="Test")),
            "software": Outcome(
                "software", "software", "ok", [Software(name="bash", version=content["version"])]
            ),
        }
        return assemble(outcomes, "linux", device_id)

    monkeypatch.setattr(runner, "collect_inventory", fake_collect)
    return content


def make_agent(state_dir: Path) -> Agent:
    sd = StateDir(state_dir)
    creds = sd.load_credentials()
    assert creds is not None
    return Agent(sd, sd.load_settings(), creds, rng=random.Random(1))


# --- enrollment and the CLI -----------------------------------------------------------


def test_enroll_stores_a_private_credential(fake_server: RunningServer, state_dir: Path) -> None:
    result = run_cli(
        "--state-dir", str(state_dir), "enroll", "--server", fake_server.url, "--token", fake_server.app.token
    )
    assert result.returncode == 0, result.stderr
    assert "Enrolled with" in result.stdout
    credential = state_dir / "credential.json"
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    stored = json.loads(credential.read_text())
    assert stored["credential"] in fake_server.app.devices
    assert stored["device_id"] == fake_server.app.devices[stored["credential"]]["device_id"]
    config = json.loads((state_dir / "config.json").read_text())
    assert config["server_url"] == fake_server.url

    status = run_cli("--state-dir", str(state_dir), "status")
    assert status.returncode == 0
    assert stored["device_id"] in status.stdout and "mode 0o600" in status.stdout


def test_reinstall_keeps_the_device(fake_server: RunningServer, tmp_path: Path) -> None:
    enroll(fake_server, tmp_path / "first")
    enroll(fake_server, tmp_path / "second")  # same machine-id: the server takes it over
    first = json.loads((tmp_path / "first" / "credential.json").read_text())
    second = json.loads((tmp_path / "second" / "credential.json").read_text())
    assert first["device_id"] == second["device_id"]
    assert first["credential"] != second["credential"]


def test_enroll_with_a_wrong_token(fake_server: RunningServer, state_dir: Path) -> None:
    result = run_cli(
        "--state-dir", str(state_dir), "enroll", "--server", fake_server.url, "--token", "ste_bad_bad_bad"
    )
    assert result.returncode == 1
    assert "refused the enrollment (401): unknown or expired enrollment token" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state_dir / "credential.json").exists()


def test_enroll_with_an_unreachable_server(state_dir: Path) -> None:
    result = run_cli(
        "--state-dir", str(state_dir), "enroll", "--server", "http://127.0.0.1:9", "--token", "ste_12345678_x"
    )
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["enroll", "--server", "https://s.example"],  # no token
        ["enroll", "--server", "ftp://s.example", "--token", "ste_12345678_x"],
        ["enroll", "--server", "http://s.example", "--token", "ste_12345678_x"],  # plain http, not loopback
        ["launch"],
        [],
        ["run", "--forever"],
    ],
)
def test_bad_arguments_exit_2_with_usage(args: list[str], state_dir: Path) -> None:
    result = run_cli("--state-dir", str(state_dir), *args)
    assert result.returncode == 2
    assert "usage: steward-agent" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_enrollment(state_dir: Path) -> None:
    result = run_cli("--state-dir", str(state_dir), "run", "--once")
    assert result.returncode == 1
    assert "not enrolled" in result.stderr


def test_uninstall_removes_the_state(fake_server: RunningServer, state_dir: Path) -> None:
    enroll(fake_server, state_dir)
    result = run_cli("--state-dir", str(state_dir), "uninstall", "--yes", "--keep-service")
    assert result.returncode == 0, result.stderr
    assert not state_dir.exists()
    assert run_cli("--state-dir", str(state_dir), "uninstall").returncode == 2  # needs --yes without a tty


# --- the run loop ---------------------------------------------------------------------


def test_run_once_with_real_collectors(fake_server: RunningServer, state_dir: Path) -> None:
    enroll(fake_server, state_dir)
    result = run_cli("--state-dir", str(state_dir), "run", "--once", timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(fake_server.app.heartbeats()) == 1
    assert len(fake_server.app.inventories()) == 1  # the server asked (want_inventory) and it was new
    state = json.loads((state_dir / "state.json").read_text())
    assert state["last_inventory_hash"] and state["last_checkin_at"]

    again = run_cli("--state-dir", str(state_dir), "run", "--once", timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(fake_server.app.heartbeats()) == 2
    assert len(fake_server.app.inventories()) == 1  # same hash, not asked: not sent again


def test_inventory_only_when_changed_or_requested(
    fake_server: RunningServer, state_dir: Path, small_inventory: dict[str, str]
) -> None:
    enroll(fake_server, state_dir)
    agent = make_agent(state_dir)
    agent.cycle()
    assert len(fake_server.app.inventories()) == 1
    agent.cycle()
    assert len(fake_server.app.inventories()) == 1
    small_inventory["version"] = "5.3"  # the software changed
    agent.settings.inventory_check_seconds = 0
    agent.cycle()
    assert len(fake_server.app.inventories()) == 2
    fake_server.app.want_inventory = True  # the server asks although nothing changed
    agent.cycle()  # the heartbeat's answer asks …
    assert len(fake_server.app.inventories()) == 3  # … and the inventory follows at once
    agent.close()


def test_server_sets_the_interval_with_jitter(
    fake_server: RunningServer, state_dir: Path, small_inventory: dict[str, str]
) -> None:
    fake_server.app.interval = 120
    enroll(fake_server, state_dir)
    agent = make_agent(state_dir)
    waits = [agent.cycle() for _ in range(3)]
    assert all(102 <= w <= 138 for w in waits)
    rng = random.Random(7)
    samples = [jittered(100, rng) for _ in range(2000)]
    assert min(samples) >= 85 and max(samples) <= 115
    assert min(samples) < 88 and max(samples) > 112  # it really spreads
    agent.close()


def test_offline_spool_replays_in_order_without_duplicates(
    fake_server: RunningServer, state_dir: Path, small_inventory: dict[str, str]
) -> None:
    enroll(fake_server, state_dir)
    app = fake_server.app
    agent = make_agent(state_dir)
    app.fail_next = 3  # the server is down for three check-ins
    for _ in range(3):
        agent.cycle()
    assert app.accepted == []
    queued = [m.message_id for m in agent.spool.pending()]
    kinds = [m.kind for m in agent.spool.pending()]
    assert kinds == ["heartbeat", "inventory", "heartbeat", "heartbeat"]
    agent.close()

    # The agent restarts; the server comes back but loses the answer to the second replayed
    # message (it stored it, the agent never heard): the replay stops there, nothing lost.
    agent = make_agent(state_dir)
    assert [m.message_id for m in agent.spool.pending()] == queued
    original = agent.client.inventory

    def inventory_answer_lost(body: str) -> InventoryResponse:
        app.drop_after_accept = 1  # stored server-side, then the connection drops
        return original(body)

    agent.client.inventory = inventory_answer_lost  # type: ignore[method-assign]
    agent.cycle()
    assert [mid for _, mid in app.received] == queued[:2]
    assert len(agent.spool) == len(queued) - 1 + 1  # the inventory stays, plus this heartbeat
    agent.client.inventory = original  # type: ignore[method-assign]
    agent.cycle()  # the rest is replayed, the lost one again: the server recognises it
    assert len(agent.spool) == 0
    accepted_ids = [mid for _, mid in app.accepted]
    assert len(accepted_ids) == len(set(accepted_ids))  # the server stored nothing twice
    assert accepted_ids[: len(queued)] == queued  # in the order they were queued
    assert len(app.received) > len(app.accepted)  # one message really was delivered twice
    agent.close()


def test_a_revoked_credential_stops_the_agent(fake_server: RunningServer, state_dir: Path) -> None:
    enroll(fake_server, state_dir)
    credential = json.loads((state_dir / "credential.json").read_text())["credential"]
    fake_server.app.revoked.add(credential)
    result = run_cli("--state-dir", str(state_dir), "run", timeout=300)
    assert result.returncode == 78
    assert "rejected this device's credential" in result.stderr
    assert "Re-enroll: steward-agent enroll" in result.stderr
    assert "Traceback" not in result.stderr
    status = run_cli("--state-dir", str(state_dir), "status")
    assert "credential rejected" in status.stdout


def test_401_during_replay_keeps_the_spool(
    fake_server: RunningServer, state_dir: Path, small_inventory: dict[str, str]
) -> None:
    enroll(fake_server, state_dir)
    agent = make_agent(state_dir)
    fake_server.app.fail_next = 1
    agent.cycle()
    waiting = len(agent.spool)
    fake_server.app.revoked.add(agent.credentials.credential)
    with pytest.raises(ReEnrollRequired):
        agent.cycle()
    assert len(agent.spool) == waiting
    agent.close()


def test_a_clone_switches_to_its_new_identity(
    fake_server: RunningServer, state_dir: Path, small_inventory: dict[str, str]
) -> None:
    enroll(fake_server, state_dir)
    old = json.loads((state_dir / "credential.json").read_text())
    agent = make_agent(state_dir)
    agent.cycle()
    fake_server.app.clone_next = True
    agent.cycle()
    new = json.loads((state_dir / "credential.json").read_text())
    assert new["device_id"] != old["device_id"] and new["credential"] != old["credential"]
    assert fake_server.app.devices[new["credential"]]["device_id"] == new["device_id"]
    assert stat.S_IMODE((state_dir / "credential.json").stat().st_mode) == 0o600
    # The new device got an inventory right away, sent with the new credential.
    path, auth = fake_server.app.requests[-1]
    assert path.endswith("/inventory") and auth == f"Device {new['credential']}"
    agent.cycle()
    assert fake_server.app.requests[-1][1] == f"Device {new['credential']}"
    agent.close()


def test_sigterm_stops_the_service_cleanly(fake_server: RunningServer, state_dir: Path) -> None:
    enroll(fake_server, state_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "steward_agent", "--state-dir", str(state_dir), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not fake_server.app.heartbeats() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert fake_server.app.heartbeats(), "no check-in"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "stopping" in stderr and "Traceback" not in stderr


def test_credential_file_permissions_are_repaired(fake_server: RunningServer, state_dir: Path) -> None:
    enroll(fake_server, state_dir)
    os.chmod(state_dir / "credential.json", 0o644)
    assert StateDir(state_dir).load_credentials() is not None
    assert stat.S_IMODE((state_dir / "credential.json").stat().st_mode) == 0o600
