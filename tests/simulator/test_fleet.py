"""Fleet profiles: deterministic by seed, realistic shares, valid protocol messages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest

from steward.devices.simulator.agent import Stats, VirtualAgent
from steward.devices.simulator.fleet import RATES, generate_fleet, make_profile
from steward.devices.simulator.runner import Target, assign_targets
from steward_protocol.messages import (
    MAX_ENROLL_BYTES,
    MAX_HEARTBEAT_BYTES,
    MAX_INVENTORY_BYTES,
    EnrollRequest,
    Heartbeat,
    Inventory,
)

TODAY = dt.date(2026, 11, 22)
SIZE = 1500


@pytest.fixture(scope="module")
def fleet():
    return generate_fleet(SIZE, seed=11, today=TODAY)


def test_same_seed_same_fleet_and_machine_independent_of_fleet_size():
    first = generate_fleet(40, seed=5, today=TODAY)
    assert first == generate_fleet(40, seed=5, today=TODAY)
    assert first[:10] == generate_fleet(10, seed=5, today=TODAY)
    assert make_profile(17, 5, TODAY) == first[17]
    other = generate_fleet(40, seed=6, today=TODAY)
    assert [p.hostname for p in first] != [p.hostname for p in other] or first != other
    assert sum(a.hardware_uuid == b.hardware_uuid for a, b in zip(first, other, strict=True)) == 0
    assert len({p.hostname for p in first}) == 40  # unique names


def test_os_mix(fleet):
    shares = Counter(p.os_family for p in fleet)
    assert 0.65 <= shares["windows"] / SIZE <= 0.75
    assert 0.11 <= shares["macos"] / SIZE <= 0.19
    assert 0.11 <= shares["linux"] / SIZE <= 0.19
    names = Counter(p.os.name for p in fleet)
    for expected in (
        "Windows 11 Pro",
        "Windows Server 2022 Standard",
        "macOS Sequoia",
        "Ubuntu",
        "CentOS Linux",
    ):
        assert names[expected] > 0, expected
    kinds = Counter(p.kind for p in fleet)
    assert set(kinds) == {"workstation", "laptop", "server", "virtual"}
    assert 0.15 <= (kinds["server"] + kinds["virtual"]) / SIZE <= 0.45


@pytest.mark.parametrize(
    ("problem", "low", "high"),
    [
        ("av_disabled", 0.01, 0.07),
        ("av_stale", 0.03, 0.12),
        ("backup_failing", 0.03, 0.10),
        ("backup_never_configured", 0.04, 0.13),
        ("disk_full", 0.03, 0.09),
        ("smart_failing", 0.003, 0.04),
        ("firewall_off", 0.02, 0.08),
        ("critical_updates_pending", 0.08, 0.25),
        ("end_of_life_os", 0.06, 0.18),
        ("old_bios", 0.15, 0.50),
        ("offline_gone", 0.005, 0.04),
        ("offline_intermittent", 0.03, 0.12),
    ],
)
def test_problem_shares_are_realistic(fleet, problem, low, high):
    share = sum(problem in p.problems for p in fleet) / SIZE
    assert low <= share <= high, f"{problem}: {share:.3f}"


def test_profiles_are_internally_consistent(fleet):
    for p in fleet:
        assert 0 <= p.age_years <= 8
        assert p.bios_release_date <= TODAY
        assert 150 <= len(p.software) <= 400, (p.os.name, len(p.software))
        assert len({s.name for s in p.software}) == len(p.software)
        assert p.end_of_life == ("end_of_life_os" in p.problems)
        assert ("old_bios" in p.problems) == ((TODAY - p.bios_release_date).days > 3 * 365)
        system = p.volumes[1] if p.os_family == "macos" else p.volumes[0]
        if "disk_full" in p.problems:
            assert 0.90 <= system.used_fraction <= 0.99
        else:
            assert system.used_fraction < 0.90
        if "smart_failing" in p.problems:
            assert any(d.smart_status == "failing" for d in p.disks)
        if "av_disabled" in p.problems:
            assert p.protection
            assert p.protection[0].enabled is False
        if "backup_never_configured" in p.problems:
            assert p.backups == ()
        if "critical_updates_pending" in p.problems:
            oldest = min(u.pending_since for u in p.updates_pending if u.severity == "critical")
            assert (dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC) - oldest).days >= 21
        if p.offline == "gone":
            assert p.offline_after >= 1
    eol = {p.os.name for p in fleet if p.end_of_life}
    assert {
        "Windows 7 Professional",
        "Windows Server 2012 R2 Standard",
        "CentOS Linux",
        "macOS Big Sur",
    } <= eol


def test_messages_validate_against_the_protocol(fleet):
    for profile in fleet[:60]:
        agent = VirtualAgent(profile, "ste_0123abcd_" + "x" * 40, device_id=str(uuid.uuid4()), credential="c")
        enroll = agent.enroll_request().model_dump_json()
        assert len(enroll) < MAX_ENROLL_BYTES
        EnrollRequest.model_validate_json(enroll)
        beats = [agent.heartbeat() for _ in range(3)]
        for beat in beats:
            raw = beat.model_dump_json()
            assert len(raw) < MAX_HEARTBEAT_BYTES
            assert Heartbeat.model_validate_json(raw) == beat
        assert len({b.message_id for b in beats}) == 3
        assert all(0 <= b.cpu_percent <= 100 for b in beats)
        assert beats[-1].inventory_hash == agent.inventory_hash()
        inventory = agent.inventory()
        raw = inventory.model_dump_json()
        assert len(raw) < MAX_INVENTORY_BYTES
        parsed = Inventory.model_validate_json(raw)
        assert parsed.os.family == profile.os_family
        assert len(parsed.software) == len(profile.software)
        assert parsed.inventory_hash == agent.inventory_hash()


def test_heartbeat_values_drift_but_stay_in_range(fleet):
    agent = VirtualAgent(fleet[3], "t", device_id=str(uuid.uuid4()), credential="c")
    beats = [agent.heartbeat() for _ in range(200)]
    cpu = [b.cpu_percent for b in beats]
    assert len(set(cpu)) > 50
    used = [b.volumes[0].used_bytes for b in beats]
    assert used[-1] >= used[0]  # disks fill up, never empty themselves
    assert all(b.memory_used_bytes <= b.memory_total_bytes for b in beats)


def test_software_update_changes_the_inventory_hash(fleet):
    agent = VirtualAgent(fleet[0], "t", device_id=str(uuid.uuid4()), credential="c")
    before = agent.inventory_hash()
    agent.rng.random = lambda: 0.0  # type: ignore[method-assign]  # force a change now
    agent.maybe_change()
    assert agent.inventory_hash() != before


def test_offline_behaviour(fleet):
    gone = next(p for p in fleet if p.offline == "gone")
    agent, stats = VirtualAgent(gone, "t"), Stats()
    agent.checkins = gone.offline_after - 1
    assert agent._offline_now(stats) == 0
    agent.checkins = gone.offline_after
    assert agent._offline_now(stats) is None
    away = next(p for p in fleet if p.offline == "intermittent")
    agent = VirtualAgent(away, "t")
    agent.checkins = away.offline_after
    assert agent._offline_now(stats) == away.offline_for > 0


def test_targets_are_spread_by_weight():
    targets = [Target("a", 1), Target("b", 3)]
    spread = assign_targets(400, targets)
    counts = Counter(t.token for t in spread)
    assert counts == {"a": 100, "b": 300}
    assert Counter(t.token for t in spread[:40]) == {"a": 10, "b": 30}  # prefixes are spread too
    assert assign_targets(5, []) == []


def test_rates_are_probabilities():
    assert all(0 < rate < 0.5 for rate in RATES.values())
