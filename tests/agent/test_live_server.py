"""The agent against the REAL Steward server (pytest-django's live server, real HTTP):
enrollment, check-in and a real inventory of this machine, spool replay without duplicates,
401 → re-enroll, and a clone switching identity."""

from __future__ import annotations

import json
import random
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("steward.devices.services.tokens", reason="server endpoints not available")

from steward.core import audit
from steward.core.models import Client, Provider, Site
from steward.core.scoping import Scope
from steward.devices.models import Device, InstalledSoftware, InventorySnapshot, MetricSample
from steward.devices.services.credentials import revoke_credentials
from steward.devices.services.tokens import create_enrollment_token
from steward_agent import cli, runner
from steward_agent.config import StateDir
from steward_agent.runner import Agent, ReEnrollRequired
from steward_agent.spool import Spool
from steward_agent.transport import AgentClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token() -> str:
    provider = Provider.objects.create(name="Agent MSP", slug="agent-msp")
    scope = Scope.system(provider.pk, label="agent tests")
    with audit.acting_as(audit.Actor.system("test")):
        client = Client.unscoped.create(provider=provider, name="Agent Client", short_code="AGT")
        site = Site.unscoped.create(client=client, name="AGT HQ", time_zone="Europe/London")
        _row, text = create_enrollment_token(scope, client.pk, site.pk, "agent test token", 1, None)
    return text


def enroll(live_server: Any, token: str, state_dir: Path) -> dict[str, str]:
    code = cli.main(["--state-dir", str(state_dir), "enroll", "--server", live_server.url, "--token", token])
    assert code == 0
    return json.loads((state_dir / "credential.json").read_text())


def make_agent(state_dir: Path) -> Agent:
    sd = StateDir(state_dir)
    creds = sd.load_credentials()
    assert creds is not None
    return Agent(sd, sd.load_settings(), creds, rng=random.Random(3))


def test_enroll_checkin_and_a_real_inventory(live_server: Any, token: str, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    stored = enroll(live_server, token, state_dir)
    assert stat.S_IMODE((state_dir / "credential.json").stat().st_mode) == 0o600
    device = Device.unscoped.get(uid=stored["device_id"])

    agent = make_agent(state_dir)
    try:
        agent.cycle()  # heartbeat, then the inventory the server wants from a new device
    finally:
        agent.close()
    assert agent.state.last_error is None
    assert MetricSample.unscoped.filter(device=device).count() == 1
    snapshot = InventorySnapshot.unscoped.get(device=device)
    assert agent.inventory is not None and snapshot.inventory_hash == agent.inventory.inventory_hash
    assert agent.state.last_inventory_hash == agent.inventory.inventory_hash
    names = set(InstalledSoftware.unscoped.filter(device=device).values_list("name", flat=True))
    assert {s.name for s in agent.inventory.software} <= names | {""}
    if any(s.name == "bash" for s in agent.inventory.software):
        assert "bash" in names


def test_replayed_spool_messages_are_not_duplicated(live_server: Any, token: str, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    stored = enroll(live_server, token, state_dir)
    device = Device.unscoped.get(uid=stored["device_id"])
    agent = make_agent(state_dir)
    real_client = agent.client
    try:
        # The server is unreachable for two check-ins: heartbeats (and the inventory) are spooled.
        agent.client = AgentClient("http://127.0.0.1:9", credential=stored["credential"])
        agent.cycle()
        agent.cycle()
        agent.client.close()
        spooled = agent.spool.pending()
        assert [m.kind for m in spooled] == ["heartbeat", "inventory", "heartbeat"]
        # The first heartbeat did reach the server, but its answer was lost.
        real_client.checkin(spooled[0].body)
        assert MetricSample.unscoped.filter(device=device).count() == 1
        # Back online: the whole spool is replayed in order, the first one again.
        agent.client = real_client
        agent.cycle()
        assert len(agent.spool) == 0
    finally:
        agent.close()
    heartbeat_ids = {uuid.UUID(m.message_id) for m in spooled if m.kind == "heartbeat"}
    stored_ids = set(MetricSample.unscoped.filter(device=device).values_list("message_id", flat=True))
    assert heartbeat_ids <= stored_ids
    assert MetricSample.unscoped.filter(device=device).count() == len(heartbeat_ids) + 1  # + this cycle's
    assert InventorySnapshot.unscoped.filter(device=device).count() == 1


def test_a_revoked_credential_stops_the_agent(
    live_server: Any, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_dir = tmp_path / "state"
    stored = enroll(live_server, token, state_dir)
    device = Device.unscoped.get(uid=stored["device_id"])
    revoke_credentials(device.pk, "test")
    agent = make_agent(state_dir)
    try:
        with pytest.raises(ReEnrollRequired):
            agent.cycle()
    finally:
        agent.close()
    assert cli.main(["--state-dir", str(state_dir), "run", "--once"]) == cli.EXIT_REENROLL
    assert "Re-enroll: steward-agent enroll" in capsys.readouterr().err
    with Spool(state_dir / "spool.sqlite3") as spool:
        assert len(spool) == 0  # a refused credential is not an outage: nothing spooled


def test_a_clone_gets_and_uses_a_new_identity(
    live_server: Any, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / "state"
    stored = enroll(live_server, token, state_dir)
    original = Device.unscoped.get(uid=stored["device_id"])
    agent = make_agent(state_dir)
    try:
        agent.cycle()
        # The disk image is copied to another machine: same credential, another machine-id.
        real = runner.collect_identity()
        clone_identity = real.model_copy(update={"machine_id": "f" * 32, "hardware_uuid": ""})
        monkeypatch.setattr(runner, "collect_identity", lambda: clone_identity)
        agent.cycle()
        new = json.loads((state_dir / "credential.json").read_text())
        assert new["device_id"] != stored["device_id"] and new["credential"] != stored["credential"]
        clone = Device.unscoped.get(uid=new["device_id"])
        assert clone.cloned_from_id == original.pk
        assert stat.S_IMODE((state_dir / "credential.json").stat().st_mode) == 0o600
        agent.cycle()  # carries on as the clone
        assert agent.state.last_error is None
    finally:
        agent.close()
    assert MetricSample.unscoped.filter(device=clone).count() >= 1
    assert InventorySnapshot.unscoped.filter(device=clone).exists()
