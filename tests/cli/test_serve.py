"""`steward serve --with-worker` as a real process: gunicorn, the jobs worker and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def steward_env(data_dir: Path) -> dict[str, str]:
    """A production-like environment of its own: SQLite and the SQLite queue in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DJANGO_"))}
    env.update(
        STEWARD_DATA_DIR=str(data_dir),
        STEWARD_COOKIE_SECURE="0",
        DJANGO_SETTINGS_MODULE="steward.settings",
        COLUMNS="200",
    )
    return env


def steward(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steward.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def get_health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_refuses_pending_migrations_then_runs_and_stops_cleanly(tmp_path):
    env = steward_env(tmp_path)
    refused = steward("serve", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "steward migrate" in refused.stderr
    assert "Traceback" not in refused.stderr

    migrated = steward("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steward.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--with-worker",
        ],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, {}
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                status, body = get_health(port)
            except OSError:
                status = 0
            # The worker's scheduler enqueues the minutely heartbeat as it starts.
            if status == 200 and body["checks"]["scheduler"]["ok"]:
                break
            time.sleep(0.3)
        else:
            log_text = (tmp_path / "serve.log").read_text()
            pytest.fail(f"no healthy answer within 60 s (last: {status} {body}):\n{log_text}")
        assert body["checks"]["database"] == {"ok": True, "vendor": "sqlite"}
        assert body["checks"]["queue"]["backend"] == "SqliteHuey"

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
        deadline = time.monotonic() + 10
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_alive(proc.pid), "a child process outlived `steward serve`"
        assert not port_open(port)
        output = (tmp_path / "serve.log").read_text()
        assert f"http://127.0.0.1:{port}" in output
        assert "GET /healthz" in output  # gunicorn's access log
        assert "Traceback" not in output
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()
