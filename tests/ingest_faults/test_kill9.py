"""kill -9 of the whole server during sustained ingest: nothing acknowledged is lost, nothing doubles.

The real server (``steward serve``: gunicorn gthread workers, the group-commit writer) runs
as a subprocess on its own data directory. Simulated agents post heartbeats back to back and
record every acknowledged message id; after a fixed number of acknowledgements the server's
whole process group gets SIGKILL, then it is started again. Agents keep each unacknowledged
heartbeat and replay it with the same message id, as the real agent does. At the end every
acknowledged id must be stored exactly once, and the only stored ids never acknowledged are
the few in flight when the agents stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from steward.devices.simulator.agent import Stats
from steward.devices.simulator.runner import SimulationConfig, build_agents, run_simulation

AGENTS = 24
ACKS_BEFORE_KILL = 600
ACKS_AFTER_RESTART = 600
DEADLINE = 150.0  # seconds for the whole test; it fails instead of hanging


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def steward_env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DJANGO_"))}
    env.update(
        STEWARD_DATA_DIR=str(data_dir),
        STEWARD_DATABASE_URL=database_url,
        STEWARD_COOKIE_SECURE="0",
        STEWARD_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="steward.settings",
        COLUMNS="200",
    )
    return env


def steward(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "steward.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"steward {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


class Server:
    def __init__(self, env: dict[str, str], cwd: Path, port: int) -> None:
        self.env, self.cwd, self.port = env, cwd, port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = cwd / "serve.log"

    def start(self, deadline: float) -> None:
        argv = [sys.executable, "-m", "steward.cli", "serve", "--port", str(self.port)]
        argv += ["--workers", "2", "--threads", "8", "--no-access-log"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                url = f"http://127.0.0.1:{self.port}/api/agent/v1/ping"
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not answer in time:\n{self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # the CLI, gunicorn's master and every worker
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def wait_for(predicate, deadline: float, what: str) -> None:  # type: ignore[no-untyped-def]
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def stored_ids(database_url: str, data_dir: Path) -> list[str]:
    sql = "SELECT message_id FROM devices_metricsample"
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        with sqlite3.connect(data_dir / "steward.sqlite3") as conn:
            rows = conn.execute(sql).fetchall()
    return [uuid.UUID(str(row[0])).hex for row in rows]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    if request.param == "sqlite":
        yield ""
        return
    base = os.environ.get("STEWARD_TEST_DATABASE_URL", "")
    if not base:
        pytest.skip("STEWARD_TEST_DATABASE_URL is not set")
    import psycopg

    name = f"steward_faults_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_kill9_during_ingest_loses_no_acknowledged_heartbeat_and_duplicates_none(tmp_path, database_url):
    deadline = time.monotonic() + DEADLINE
    env = steward_env(tmp_path, database_url)
    steward(env, tmp_path, "migrate")
    steward(env, tmp_path, "demo")
    server = Server(env, tmp_path, free_port())
    url = f"http://127.0.0.1:{server.port}"
    state = tmp_path / "agents.json"
    try:
        server.start(deadline)
        # Enroll through the real command (demo tokens; credentials kept in the state file).
        steward(
            env,
            tmp_path,
            "simulate",
            "-n",
            str(AGENTS),
            "--server",
            url,
            "--duration",
            "2",
            "--state",
            str(state),
        )
        before = set(stored_ids(database_url, tmp_path))
        config = SimulationConfig(
            server=url,
            agents=AGENTS,
            duration=DEADLINE,
            interval=0,  # back to back: sustained ingest
            state_file=state,
            start_spread=0.2,
            connections=AGENTS,
            timeout=10,
        )
        config.agent_list = build_agents(config)
        assert all(a.credential for a in config.agent_list), "the agents did not enroll"
        config.stats = Stats(acked=[])
        config.stop = threading.Event()
        acked = config.stats.acked
        assert acked is not None
        outcome: dict[str, BaseException] = {}

        def drive() -> None:
            try:
                asyncio.run(run_simulation(config))
            except BaseException as exc:
                outcome["error"] = exc

        driver = threading.Thread(target=drive, daemon=True)
        driver.start()
        wait_for(
            lambda: len(acked) >= ACKS_BEFORE_KILL or not driver.is_alive(), deadline, "acks before the kill"
        )
        assert driver.is_alive(), outcome
        server.kill9()
        killed_at = len(acked)
        server.start(deadline)
        wait_for(
            lambda: len(acked) >= killed_at + ACKS_AFTER_RESTART or not driver.is_alive(),
            deadline,
            "acknowledgements after the restart",
        )
        config.stop.set()
        driver.join(timeout=max(1.0, deadline - time.monotonic()))
        assert not driver.is_alive(), "the agents did not stop"
        assert "error" not in outcome, outcome.get("error")
        stats = config.stats
    finally:
        server.stop()

    stored = Counter(stored_ids(database_url, tmp_path))
    assert len(stored) > len(before), "nothing was stored"
    assert max(stored.values()) == 1  # (also the database's unique constraint)
    acked_ids = [uuid.UUID(mid).hex for mid, _dup in acked]
    fresh = [uuid.UUID(mid).hex for mid, dup in acked if not dup]
    # Every acknowledged heartbeat is stored, exactly once.
    missing = [mid for mid in acked_ids if mid not in stored]
    assert missing == [], f"{len(missing)} acknowledged heartbeats were lost"
    # Acknowledged as new at most once: a replay of a stored message is answered "duplicate".
    assert len(fresh) == len(set(fresh))
    # The agents really replayed across the kill, and the replays doubled nothing.
    assert stats.replays > 0
    assert stats.heartbeat_errors > 0  # the kill was felt
    # Stored but never acknowledged: only what was in flight when the agents stopped
    # (at most one heartbeat per agent; everything cut off by the kill was replayed).
    unacked_stored = set(stored) - set(acked_ids) - before
    assert len(unacked_stored) <= AGENTS
    assert len(stored) == len(before) + len(set(acked_ids)) + len(unacked_stored)
