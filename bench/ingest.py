"""Benchmark: agent ingest (heartbeats and inventories) against the server as it runs in production.

Starts ``steward serve`` (gunicorn, gthread workers) on a throwaway data directory with a
fresh SQLite database (or, with ``--database-url postgresql://…`` /
``STEWARD_BENCH_DATABASE_URL``, a fresh PostgreSQL database next to the one named, dropped
afterwards), enrolls N simulated agents over HTTP, then measures in the same run:

1. the ceiling: ``GET /api/agent/v1/ping`` (no database) at the highest rate the load
   generator reaches;
2. sustained heartbeats: real ``Heartbeat`` messages (fresh ``message_id`` each) from the
   enrolled agents, one in flight per agent, as fast as the server takes them;
3. full inventories with 300 software items each (one item changes per send, so every one is
   a real change the server must diff and store);
4. server memory: summed RSS of the gunicorn master and workers.

The load generator is a small asyncio HTTP/1.1 client over keep-alive connections in
``--drivers`` processes (it shares the machine's cores with the server; ``--compare``
measures the ceiling with the alternatives first). The same generator drives every phase,
so "ratio" (heartbeats/s ÷ ceiling) is fair. Prints a table, then one JSON line::

    {"bench": "ingest", "database": "sqlite", "heartbeats_per_s": …, "p50_ms": …, "p99_ms": …, …}

Usage: ``.venv/bin/python bench/ingest.py [--agents 2000] [--workers 2] [--threads 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PING = "/api/agent/v1/ping"
CHECKIN = "/api/agent/v1/checkin"
INVENTORY = "/api/agent/v1/inventory"
MID = "00000000-0000-4000-8000-00000000beef"  # placeholder message id in a template
SENT = "2000-01-01T00:00:00.000000Z"  # placeholder time (same length as a real one)
HASH = "f" * 64
VERSION = "9999999"  # placeholder software version (7 digits)
HARD_LIMIT = 900.0  # seconds: the whole benchmark gives up after this


# --- load generator -------------------------------------------------------------------------


def _request(method: str, path: str, host: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    keep = b"connection: close" not in lower
    at = lower.find(b"content-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at)
        body = await reader.readexactly(int(lower[at + 15 : end]))
    elif b"transfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(parts)
    else:
        body, keep = await reader.read(), False
    return status, body, keep


class Work:
    """The requests one connection sends, round-robin over its agents."""

    def __init__(self, kind: str, host: str, items: list[tuple[str, str]]) -> None:
        self.kind, self.host, self.items, self.n = kind, host, items, 0
        self.static = _request("GET", PING, host, {}) if kind == "ping" else b""

    def next(self) -> bytes:
        if self.kind == "ping":
            return self.static
        credential, template = self.items[self.n % len(self.items)]
        self.n += 1
        body = template.replace(MID, str(uuid.uuid4()), 1)
        body = body.replace(SENT, dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), 1)
        if self.kind == "inventory":
            body = body.replace(HASH, secrets.token_hex(32), 1).replace(VERSION, f"{self.n % 10**7:07d}", 1)
            path = INVENTORY
        else:
            path = CHECKIN
        headers = {"Authorization": f"Device {credential}", "Content-Type": "application/json"}
        return _request("POST", path, self.host, headers, body.encode())


async def _connection(
    host: str, port: int, work: Work, warm_until: float, stop_at: float, out: dict[str, Any]
) -> None:
    reader = writer = None
    while time.monotonic() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            request = work.next()
            started = time.perf_counter()
            writer.write(request)
            status, body, keep = await asyncio.wait_for(_read_response(reader), timeout=30)
            done = time.monotonic()
            if done >= warm_until and done <= stop_at:
                if status == 200:
                    out["ok"] += 1
                    out["latencies"].append((time.perf_counter() - started) * 1000)
                else:
                    out["errors"] += 1
                    out["statuses"][str(status)] = out["statuses"].get(str(status), 0) + 1
                    if len(out["samples"]) < 3:
                        out["samples"].append(body[:300].decode(errors="replace"))
            if not keep:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            out["errors"] += 1
            out["statuses"][type(exc).__name__] = out["statuses"].get(type(exc).__name__, 0) + 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def _drive_raw(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": 0, "errors": 0, "statuses": {}, "samples": [], "latencies": []}
    items = spec["items"]
    conns = spec["connections"]
    host = f"{spec['host']}:{spec['port']}"
    works = [Work(spec["kind"], host, items[i::conns] or items) for i in range(conns)]
    now = time.monotonic()
    warm_until, stop_at = now + spec["warmup"], now + spec["warmup"] + spec["duration"]
    await asyncio.gather(
        *(_connection(spec["host"], spec["port"], work, warm_until, stop_at, out) for work in works)
    )
    return out


async def _drive_httpx(spec: dict[str, Any]) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {"ok": 0, "errors": 0, "statuses": {}, "samples": [], "latencies": []}
    conns = spec["connections"]
    now = time.monotonic()
    warm_until, stop_at = now + spec["warmup"], now + spec["warmup"] + spec["duration"]
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    base = f"http://{spec['host']}:{spec['port']}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:

        async def one() -> None:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                response = await http.get(PING)
                done = time.monotonic()
                if warm_until <= done <= stop_at:
                    if response.status_code == 200:
                        out["ok"] += 1
                        out["latencies"].append((time.perf_counter() - started) * 1000)
                    else:
                        out["errors"] += 1

        await asyncio.gather(*(one() for _ in range(conns)))
    return out


def _driver_main(spec: dict[str, Any], queue: Any) -> None:
    try:
        runner = _drive_httpx if spec.get("generator") == "httpx" else _drive_raw
        cpu = time.process_time()
        result = asyncio.run(runner(spec))
        result["cpu_s"] = time.process_time() - cpu
        queue.put(result)
    except BaseException as exc:  # report, never hang the parent
        queue.put({"ok": 0, "errors": 1, "statuses": {"crash": 1}, "samples": [repr(exc)], "latencies": []})


def run_phase(
    kind: str,
    port: int,
    items: list[tuple[str, str]],
    *,
    drivers: int,
    connections: int,
    duration: float,
    warmup: float = 2.0,
    generator: str = "raw",
    server_pid: int = 0,
) -> dict[str, Any]:
    """Drive one phase with ``drivers`` processes; returns rate, latency percentiles, errors.

    Also the CPU time per request of the server (all gunicorn processes) and of the load
    generator, over the whole phase including its warm-up, to show where the cores went.
    """
    server_cpu = server_cpu_seconds(server_pid)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = []
    per = max(1, connections // drivers)
    for d in range(drivers):
        spec = {
            "kind": kind,
            "host": "127.0.0.1",
            "port": port,
            "connections": per,
            "duration": duration,
            "warmup": warmup,
            "generator": generator,
            "items": items[d::drivers] if items else [],
        }
        proc = ctx.Process(target=_driver_main, args=(spec, queue), daemon=True)
        proc.start()
        procs.append(proc)
    results = [queue.get(timeout=duration + warmup + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    server_cpu = server_cpu_seconds(server_pid) - server_cpu
    latencies = sorted(x for r in results for x in r["latencies"])
    ok = sum(r["ok"] for r in results)
    # Requests over the whole phase (warm-up included), estimated from the measured rate.
    total_requests = max(1.0, ok / duration * (duration + warmup))
    statuses: dict[str, int] = {}
    for r in results:
        for key, value in r["statuses"].items():
            statuses[key] = statuses.get(key, 0) + value

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else 0.0

    return {
        "rate": round(ok / duration, 1),
        "ok": ok,
        "errors": sum(r["errors"] for r in results),
        "statuses": statuses,
        "samples": [s for r in results for s in r["samples"]][:3],
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "server_cpu_ms_per_req": round(server_cpu * 1000 / total_requests, 3),
        "generator_cpu_ms_per_req": round(
            sum(r.get("cpu_s", 0.0) for r in results) * 1000 / total_requests, 3
        ),
    }


# --- server and data ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def steward(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "steward.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"steward {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def create_postgres_database(url: str) -> tuple[str, str]:
    """A fresh database next to the one ``url`` names; returns (its URL, its name)."""
    import psycopg

    parts = urlsplit(url)
    name = f"steward_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_postgres_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def wait_ready(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{PING}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer within the deadline")


def _server_processes(pid: int) -> list[Any]:
    import psutil

    try:
        return [
            p for p in psutil.Process(pid).children(recursive=True) if "gunicorn" in " ".join(p.cmdline())
        ]
    except psutil.Error:
        return []


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the gunicorn master and workers so far."""
    import psutil

    total = 0.0
    for proc in _server_processes(pid) if pid else []:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def server_rss_mb(pid: int) -> float:
    import psutil

    try:
        return round(sum(p.memory_info().rss for p in _server_processes(pid)) / 1024**2, 1)
    except psutil.Error:
        return 0.0


def enroll_agents(port: int, count: int, tokens: list[str], seed: int) -> list[Any]:
    """Enroll ``count`` simulated agents over HTTP (the real enrollment endpoint)."""
    from steward.devices.simulator.runner import SimulationConfig, Target, build_agents

    config = SimulationConfig(
        server=f"http://127.0.0.1:{port}",
        agents=count,
        targets=[Target(t) for t in tokens],
        seed=seed,
        today=dt.date.today(),
    )
    agents = build_agents(config)

    async def go() -> None:
        import httpx

        from steward.devices.simulator.agent import Stats

        stats = Stats()
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=config.server, limits=limits, timeout=60) as http:
            sem = asyncio.Semaphore(16)

            async def one(agent: Any) -> None:
                async with sem:
                    await agent.enroll(http, stats)

            await asyncio.gather(*(one(a) for a in agents))

    asyncio.run(go())
    return agents


def heartbeat_items(agents: list[Any]) -> list[tuple[str, str]]:
    items = []
    for agent in agents:
        body = agent.heartbeat().model_dump_json()
        message = json.loads(body)
        body = body.replace(message["message_id"], MID, 1).replace(message["sent_at"], SENT, 1)
        items.append((agent.credential, body))
    return items


def inventory_items(agents: list[Any], software: int = 300) -> list[tuple[str, str]]:
    from steward.devices.simulator.fleet import SoftwareSpec

    items = []
    for agent in agents:
        pool = list(agent.profile.software)
        listed = [pool[i % len(pool)] for i in range(software)]
        listed = [
            SoftwareSpec(
                f"{s.name}" if i < len(pool) else f"{s.name} ({i // len(pool) + 1})",
                s.version,
                s.publisher,
                s.install_date,
            )
            for i, s in enumerate(listed)
        ]
        listed[0] = SoftwareSpec("Bench Changing Product", f"1.{VERSION}", "Bench", None)
        agent.software = listed
        body = agent.inventory().model_dump_json()
        message = json.loads(body)
        body = body.replace(message["message_id"], MID, 1).replace(message["collected_at"], SENT, 1)
        body = body.replace(message["inventory_hash"], HASH, 1)
        assert body.count(VERSION) == 1
        assert len(message["software"]) == software
        items.append((agent.credential, body))
    return items


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="steward-bench-ingest-")
    database_url, pg_name = "", ""
    if args.database_url:
        database_url, pg_name = create_postgres_database(args.database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DJANGO_"))}
    env.update(
        STEWARD_DATA_DIR=data_dir,
        STEWARD_DATABASE_URL=database_url,
        STEWARD_COOKIE_SECURE="0",
        STEWARD_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="steward.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    )
    port = free_port()
    server: subprocess.Popen[bytes] | None = None
    log = open(Path(data_dir) / "serve.log", "wb")  # noqa: SIM115
    report: dict[str, Any] = {"database": "postgresql" if database_url else "sqlite"}
    try:
        print("… migrate and demo data", file=sys.stderr)
        steward(env, "migrate")
        steward(env, "demo")
        done = subprocess.run(
            [sys.executable, __file__, "--child", "tokens"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"could not create enrollment tokens:\n{done.stderr[-3000:]}")
        tokens = json.loads(done.stdout.strip().splitlines()[-1])
        argv = [sys.executable, "-m", "steward.cli", "serve", "--port", str(port)]
        argv += ["--workers", str(args.workers), "--threads", str(args.threads), "--no-access-log"]
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_ready(port, server, time.monotonic() + 60)
        print(f"… enrolling {args.agents} agents over HTTP", file=sys.stderr)
        started = time.monotonic()
        agents = enroll_agents(port, args.agents, tokens, args.seed)
        report["enroll_per_s"] = round(args.agents / (time.monotonic() - started), 1)
        common = {"drivers": args.drivers, "connections": args.connections, "server_pid": server.pid}

        if args.compare:
            report["generators"] = {}
            for label, gen, drivers in (("raw x1", "raw", 1), ("raw x2", "raw", 2), ("httpx x2", "httpx", 2)):
                result = run_phase(
                    "ping", port, [], drivers=drivers, connections=args.connections, duration=8, generator=gen
                )
                report["generators"][label] = result["rate"]
                print(f"… generator {label}: {result['rate']} req/s", file=sys.stderr)

        print(f"… ceiling: GET {PING} for {args.ceiling_seconds} s", file=sys.stderr)
        report["ceiling"] = run_phase("ping", port, [], duration=args.ceiling_seconds, **common)
        print(f"… heartbeats for {args.heartbeat_seconds} s", file=sys.stderr)
        report["heartbeats"] = run_phase(
            "heartbeat", port, heartbeat_items(agents), duration=args.heartbeat_seconds, **common
        )
        print(f"… inventories (300 software items) for {args.inventory_seconds} s", file=sys.stderr)
        inv_agents = agents[: max(1, min(len(agents), args.inventory_agents))]
        report["inventories"] = run_phase(
            "inventory",
            port,
            inventory_items(inv_agents),
            duration=args.inventory_seconds,
            drivers=args.drivers,
            connections=min(args.connections, args.inventory_connections),
            server_pid=server.pid,
        )
        report["server_rss_mb"] = server_rss_mb(server.pid)
        report["rows"] = count_rows(env)
        return report
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()
        if args.keep:
            print(f"kept {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
        if pg_name:
            drop_postgres_database(args.database_url, pg_name)


def count_rows(env: dict[str, str]) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", "rows"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        return {}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def child(task: str) -> None:
    """Runs with the server's environment: Django-side helpers."""
    import django

    django.setup()
    if task == "tokens":
        from steward.devices.simulator.enrollment import demo_targets

        print(json.dumps([t.token for t in demo_targets(1)]))
        return
    from steward.devices.models import Device, InstalledSoftware, InventorySnapshot, MetricSample

    rows = {
        "devices": Device.unscoped.count(),
        "metric_samples": MetricSample.unscoped.count(),
        "software_rows": InstalledSoftware.unscoped.count(),
        "inventory_snapshots": InventorySnapshot.unscoped.count(),
    }
    print(json.dumps(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("STEWARD_BENCH_DATABASE_URL", ""))
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="0: steward serve's default for the database")
    parser.add_argument("--drivers", type=int, default=1, help="load generator processes")
    parser.add_argument(
        "--connections",
        type=int,
        default=0,
        help="concurrent keep-alive connections (0: 32 SQLite, 96 PostgreSQL)",
    )
    parser.add_argument("--inventory-connections", type=int, default=8)
    parser.add_argument("--inventory-agents", type=int, default=200)
    parser.add_argument("--ceiling-seconds", type=float, default=15)
    parser.add_argument("--heartbeat-seconds", type=float, default=30)
    parser.add_argument("--inventory-seconds", type=float, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--compare", action="store_true", help="first compare load generators on the ceiling")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--child", choices=["tokens", "rows"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if not args.threads:
        from steward.cli import default_threads

        args.threads = default_threads("postgresql" if args.database_url else "sqlite")
    if not args.connections:
        args.connections = 96 if args.database_url else 32

    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(SystemExit("benchmark took too long")))
    signal.alarm(int(HARD_LIMIT))
    report = run(args)
    signal.alarm(0)

    ceiling, beats, inv = report["ceiling"], report["heartbeats"], report["inventories"]
    ratio = round(beats["rate"] / ceiling["rate"], 2) if ceiling["rate"] else 0.0
    print(
        f"\nAgent ingest on {report['database']}: {args.workers} workers x {args.threads} threads (gthread), "
        f"{args.agents} agents, {args.connections} connections from {args.drivers} generator process(es)\n"
    )
    header = (
        f"{'phase':34} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'server CPU ms/req':>18} {'generator CPU ms/req':>21}"
    )
    print(header)
    print("-" * len(header))
    for label, r in (
        (f"ceiling: GET {PING}", ceiling),
        ("heartbeats (POST checkin)", beats),
        ("inventories, 300 software items", inv),
    ):
        print(
            f"{label:34} {r['rate']:>9.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>7} "
            f"{r['server_cpu_ms_per_req']:>18.3f} {r['generator_cpu_ms_per_req']:>21.3f}"
        )
        if r["errors"]:
            print(f"{'':34} errors: {r['statuses']} {r['samples'][:1]}")
    print(
        f"\nheartbeats / ceiling: {ratio}   server RSS: {report['server_rss_mb']} MB   rows: {report['rows']}"
    )
    if "generators" in report:
        print(f"load generators on the ceiling (req/s): {report['generators']}")
    print(
        json.dumps(
            {
                "bench": "ingest",
                "database": report["database"],
                "heartbeats_per_s": beats["rate"],
                "p50_ms": beats["p50_ms"],
                "p99_ms": beats["p99_ms"],
                "heartbeat_errors": beats["errors"],
                "inventories_per_s": inv["rate"],
                "inventory_p50_ms": inv["p50_ms"],
                "inventory_p99_ms": inv["p99_ms"],
                "ceiling_rps": ceiling["rate"],
                "ratio": ratio,
                "server_rss_mb": report["server_rss_mb"],
                "server_cpu_ms_per_heartbeat": beats["server_cpu_ms_per_req"],
                "server_cpu_ms_per_ping": ceiling["server_cpu_ms_per_req"],
                "workers": args.workers,
                "threads": args.threads,
                "agents": args.agents,
                "connections": args.connections,
            }
        )
    )


if __name__ == "__main__":
    main()
