"""A short simulation against a real server (pytest-django's live server, real HTTP)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from steward.core import audit
from steward.core.models import Client, Provider, Site
from steward.core.scoping import Scope
from steward.devices.models import Device, InstalledSoftware, InventorySnapshot, MetricSample
from steward.devices.services.tokens import create_enrollment_token
from steward.devices.simulator.agent import VirtualAgent
from steward.devices.simulator.fleet import generate_fleet
from steward.devices.simulator.runner import SimulationConfig, Target, run_simulation

pytestmark = pytest.mark.django_db(transaction=True)

# The live server shares one connection between its threads when the test database is an
# in-memory SQLite database, so requests must not overlap there: one HTTP connection.
CONNECTIONS = 1


@pytest.fixture
def tokens() -> list[Target]:
    provider = Provider.objects.create(name="Sim MSP", slug="sim-msp")
    scope = Scope.system(provider.pk, label="test")
    out = []
    with audit.acting_as(audit.Actor.system("test")):
        for code in ("ONE", "TWO"):
            client = Client.unscoped.create(provider=provider, name=f"Client {code}", short_code=code)
            site = Site.unscoped.create(client=client, name=f"{code} HQ", time_zone="Europe/London")
            _token, text = create_enrollment_token(scope, client.pk, site.pk, f"sim {code}", 1, None)
            out.append(Target(text, 1.0, code))
    return out


def test_short_simulation_enrolls_reports_and_offline_agents_go_quiet(live_server, tokens):
    profiles = generate_fleet(400, seed=4, today=dt.date.today())
    gone = [p for p in profiles if p.offline == "gone"][:3]
    steady = [p for p in profiles if not p.offline][:17]
    assert len(gone) == 3
    config = SimulationConfig(
        server=live_server.url,
        agents=20,
        targets=tokens,
        # Long enough that even a loaded CI box gets several check-ins from every agent.
        duration=15,
        interval=0.25,
        start_spread=0.5,
        connections=CONNECTIONS,
    )
    config.agent_list = [
        VirtualAgent(p, tokens[i % 2].token, run_seed=1) for i, p in enumerate(steady + gone)
    ]
    stats = asyncio.run(run_simulation(config))

    assert stats.enrolled == 20
    assert stats.enroll_errors == stats.heartbeat_errors == stats.inventory_errors == 0
    assert stats.gone == 3
    devices = {str(d.uid): d for d in Device.unscoped.select_related("site")}
    assert len(devices) == 20
    assert {d.client.short_code for d in devices.values()} == {"ONE", "TWO"}
    assert all(d.site is not None for d in devices.values())
    assert MetricSample.unscoped.count() == stats.heartbeats - stats.duplicates > 20 * 2
    assert InventorySnapshot.unscoped.count() >= 20
    assert InstalledSoftware.unscoped.count() >= 20 * 150

    for agent in config.agent_list:
        device = devices[agent.device_id]
        assert device.hostname == agent.profile.hostname
        assert device.os_family == agent.profile.os_family
        samples = MetricSample.unscoped.filter(device=device).count()
        if agent.profile.offline == "gone":
            # It stopped after its last check-ins and never came back.
            assert samples == agent.profile.offline_after
        else:
            assert samples >= 3
            assert device.last_seen_at is not None
    quiet = [devices[a.device_id] for a in config.agent_list if a.profile.offline == "gone"]
    busy = [devices[a.device_id] for a in config.agent_list if not a.profile.offline]
    assert max(d.last_seen_at for d in quiet) < min(d.last_seen_at for d in busy)


def test_replayed_heartbeat_is_acknowledged_as_duplicate(live_server, tokens):
    profile = generate_fleet(1, seed=9, today=dt.date.today())[0]
    agent = VirtualAgent(profile, tokens[0].token)
    config = SimulationConfig(
        server=live_server.url, agents=1, duration=3, interval=0.2, max_checkins=2, connections=1
    )
    config.agent_list = [agent]
    config.record_acks = True
    stats = asyncio.run(run_simulation(config))
    assert stats.heartbeats == 2
    assert stats.acked is not None
    first_id = uuid.UUID(stats.acked[0][0])
    sample = MetricSample.unscoped.get(message_id=first_id)

    # The agent did not hear the answer and sends the very same message again.
    import httpx

    beat = agent.heartbeat().model_copy(update={"message_id": first_id})
    with httpx.Client(base_url=live_server.url) as http:
        response = http.post(
            "/api/agent/v1/checkin",
            content=beat.model_dump_json(),
            headers={"Authorization": f"Device {agent.credential}", "Content-Type": "application/json"},
        )
    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert MetricSample.unscoped.filter(message_id=first_id).count() == 1
    assert MetricSample.unscoped.get(message_id=first_id).pk == sample.pk
