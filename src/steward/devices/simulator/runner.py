"""Run N virtual agents on one asyncio loop with a shared HTTP connection pool.

Agents start spread over the first interval (a fleet does not all boot at the same second),
then each keeps its own rhythm. Credentials can be kept in a state file so a restarted
simulation resumes the same devices instead of enrolling new ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from steward.devices.simulator.agent import Stats, VirtualAgent
from steward.devices.simulator.fleet import generate_fleet


@dataclass(frozen=True)
class Target:
    """An enrollment token and how big a share of the fleet enrolls with it."""

    token: str
    weight: float = 1.0
    label: str = ""


@dataclass
class SimulationConfig:
    server: str
    agents: int
    targets: Sequence[Target] = ()
    duration: float = 60.0  # seconds; 0 = until cancelled
    interval: float | None = None  # overrides the server's check-in interval
    speed: float = 1.0  # divides the server's interval
    seed: int = 1
    connections: int = 100
    timeout: float = 30.0
    state_file: Path | None = None
    max_checkins: int | None = None
    today: dt.date | None = None
    record_acks: bool = False
    start_spread: float | None = None  # seconds over which agents start; default: one interval
    progress: Callable[[Stats, float], None] | None = None
    progress_every: float = 10.0
    # Set it to end the run early (Ctrl-C; a threading.Event may be set from another thread).
    stop: asyncio.Event | threading.Event | None = None
    agent_list: list[VirtualAgent] = field(default_factory=list)
    stats: Stats | None = None  # the run's live counters (readable from another thread)


def assign_targets(count: int, targets: Sequence[Target]) -> list[Target]:
    """Spread ``count`` agents over the targets in proportion to their weights (stable)."""
    if not targets:
        return []
    total = sum(t.weight for t in targets)
    quotas = [t.weight / total * count for t in targets]
    counts = [int(q) for q in quotas]
    for i in sorted(range(len(targets)), key=lambda i: quotas[i] - counts[i], reverse=True)[
        : count - sum(counts)
    ]:
        counts[i] += 1
    # Interleave so any prefix of the fleet is spread too.
    out: list[Target] = []
    used = [0] * len(targets)
    for n in range(count):
        i = max(range(len(targets)), key=lambda i: counts[i] / (used[i] + 1) if used[i] < counts[i] else -1)
        used[i] += 1
        out.append(targets[i])
        del n
    return out


def load_state(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return dict(data.get("agents", {})) if isinstance(data, dict) else {}


def save_state(
    path: Path | None, agents: Sequence[VirtualAgent], extra: dict[str, object] | None = None
) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(extra or {})
    known = dict(current.get("agents", {}))
    known.update(
        {
            str(a.profile.index): {"device_id": a.device_id, "credential": a.credential, "token": a.token}
            for a in agents
            if a.credential
        }
    )
    current["agents"] = known
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # credentials: owner only
    with os.fdopen(fd, "w") as handle:
        json.dump(current, handle)
    tmp.replace(path)


def build_agents(config: SimulationConfig) -> list[VirtualAgent]:
    profiles = generate_fleet(config.agents, config.seed, config.today)
    saved = load_state(config.state_file)
    tokens = assign_targets(config.agents, config.targets)
    agents = []
    for profile in profiles:
        state = saved.get(str(profile.index), {})
        agents.append(
            VirtualAgent(
                profile,
                state.get("token") or (tokens[profile.index].token if tokens else ""),
                device_id=state.get("device_id", ""),
                credential=state.get("credential", ""),
                run_seed=int(time.time()),
            )
        )
    return agents


async def run_simulation(config: SimulationConfig) -> Stats:
    """Run the fleet until the duration is over (or the task is cancelled); returns the stats."""
    stats = config.stats or Stats(acked=[] if config.record_acks else None)
    config.stats = stats
    agents = config.agent_list or build_agents(config)
    config.agent_list = agents
    dirty = {"changed": False}

    def remember(agent: VirtualAgent) -> None:
        dirty["changed"] = True

    for agent in agents:
        agent.on_credentials = remember
    limits = httpx.Limits(max_connections=config.connections, max_keepalive_connections=config.connections)
    started = time.monotonic()
    deadline = started + config.duration if config.duration > 0 else float("inf")
    spread = config.start_spread
    if spread is None:
        spread = config.interval if config.interval is not None else 60.0 / max(config.speed, 1e-6)
        if config.duration > 0:
            spread = min(spread, config.duration / 3)  # a short run still enrolls everyone early
    async with httpx.AsyncClient(base_url=config.server, limits=limits, timeout=config.timeout) as http:
        tasks = [
            asyncio.create_task(
                agent.run(
                    http,
                    stats,
                    deadline=deadline,
                    interval=config.interval,
                    speed=config.speed,
                    start_delay=spread * i / max(1, len(agents)),
                    max_checkins=config.max_checkins,
                )
            )
            for i, agent in enumerate(agents)
        ]
        last_report = time.monotonic()
        try:
            while not all(task.done() for task in tasks):
                if config.stop is not None and config.stop.is_set():
                    break
                await asyncio.wait(tasks, timeout=0.5)
                if dirty["changed"]:
                    dirty["changed"] = False
                    save_state(config.state_file, agents)
                if config.progress and time.monotonic() - last_report >= config.progress_every:
                    last_report = time.monotonic()
                    config.progress(stats, last_report - started)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            save_state(config.state_file, agents)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # a bug in the simulator, not a server error
    return stats
