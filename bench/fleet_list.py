"""Benchmark: the fleet list at 50,000 devices across 200 clients.

Creates a throwaway data directory and a fresh SQLite database (and, when
``STEWARD_BENCH_DATABASE_URL`` is set, a fresh PostgreSQL database next to the one it
names), seeds devices with facts, tags and last heartbeats through ``bulk_create``, then
times requests through ``django.test.Client`` signed in as a provider admin: the first
page, filters (client, OS, status offline, search, a dynamic group), sorting by last seen
and page 500, with /healthz as the same-run baseline. Prints a table, then one JSON line::

    {"bench": "fleet_list", "databases": {"sqlite": {"first_page": {"median_ms": …, "p95_ms": …}, …}}}

Each database runs in its own child process because Django reads its settings once.
Usage: ``.venv/bin/python bench/fleet_list.py [--devices 50000] [--clients 200] [--repeat 30]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The baseline is a request through the same middleware, session and database stack that
# renders no list (/healthz); each page's "x base" is its median over the baseline's median,
# both measured in the same run, so the figures survive a noisy shared machine.
SCENARIOS = [
    ("baseline", "baseline: /healthz"),
    ("first_page", "fleet list, page 1"),
    ("by_client", "filtered by client"),
    ("by_os", "filtered by OS (linux)"),
    ("status_offline", "status offline"),
    ("search", "search q=…"),
    ("dynamic_group", "dynamic group"),
    ("sort_last_seen", "sorted by last seen (desc)"),
    ("page_500", "page 500"),
]


def child(database: str, devices: int, clients: int, repeat: int) -> dict[str, Any]:
    """Runs inside the child process: set up Django, seed, measure."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient

    # No setup_test_environment(): its template instrumentation would add to the timings.
    created_test_db = False
    if database == "postgresql":
        # A fresh database next to the one named by the URL, dropped afterwards.
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        created_test_db = True
    else:
        call_command("migrate", verbosity=0, interactive=False)
    try:
        seed_started = time.perf_counter()
        user, client_id, group_id = seed(devices, clients)
        seed_seconds = time.perf_counter() - seed_started
        http = HttpClient()
        http.force_login(user, backend="steward.core.auth.EmailBackend")
        urls = {
            "baseline": "/healthz",
            "first_page": "/devices/",
            "by_client": f"/devices/?client={client_id}",
            "by_os": "/devices/?os=linux",
            "status_offline": "/devices/?status=offline",
            "search": "/devices/?q=host-04711",
            "dynamic_group": f"/devices/?group={group_id}",
            "sort_last_seen": "/devices/?sort=-seen",
            "page_500": "/devices/?page=500",
        }
        results: dict[str, Any] = {}
        for key, url in urls.items():
            for _ in range(3):  # warm caches (templates, query plans)
                check(http.get(url), url)
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = http.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                check(response, url)
            timings.sort()
            results[key] = {
                "url": url,
                "median_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)], 2),
                "rows_on_page": response.content.count(b"<tr data-href="),
                "queries": queries(http, url),
            }
        base = results["baseline"]["median_ms"]
        for entry in results.values():
            entry["x_baseline"] = round(entry["median_ms"] / base, 1) if base else None
        return {"vendor": connection.vendor, "seed_seconds": round(seed_seconds, 1), "results": results}
    finally:
        if created_test_db:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def check(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")


def queries(http: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        http.get(url)
    return len(context.captured_queries)


def seed(devices: int, clients: int) -> tuple[Any, int, int]:
    import datetime as dt
    import random

    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from steward.core.models import Client, Provider, Site, User
    from steward.core.roles import Role
    from steward.devices.models import Device, DeviceFacts, DeviceGroup, Tag

    rng = random.Random(7)
    now = timezone.now()
    provider = Provider.objects.create(name="Bench MSP", slug="bench")
    client_rows = Client.unscoped.bulk_create(
        Client(provider=provider, name=f"Client {i:04d}", short_code=f"C{i:04d}", status="active")
        for i in range(clients)
    )
    sites = Site.unscoped.bulk_create(
        Site(client=client, name=f"{client.name} HQ", time_zone="Europe/London") for client in client_rows
    )
    families = ["windows"] * 6 + ["linux"] * 2 + ["macos"]
    kinds = ["workstation", "laptop", "laptop", "server", "virtual"]

    def last_seen(i: int) -> dt.datetime | None:
        roll = i % 20
        if roll == 0:
            return None  # never checked in
        if roll <= 2:
            return now - dt.timedelta(seconds=rng.randint(4000, 30 * 86400))  # offline
        if roll == 3:
            return now - dt.timedelta(seconds=rng.randint(200, 3500))  # overdue
        return now - dt.timedelta(seconds=rng.randint(0, 170))  # online

    batch = 5000
    for start in range(0, devices, batch):
        rows = Device.unscoped.bulk_create(
            Device(
                client=client_rows[i % clients],
                site=sites[i % clients] if i % 3 else None,
                hostname=f"HOST-{i:05d}",
                display_name=f"Reception {i}" if i % 50 == 0 else "",
                os_family=families[i % len(families)],
                os_name="Windows 11 Pro" if families[i % len(families)] == "windows" else "Ubuntu 24.04",
                kind=kinds[i % len(kinds)],
                serial_number=f"SN{i:08d}",
                agent_version="1.0.0",
                last_seen_at=last_seen(i),
                cpu_percent=rng.uniform(0, 100),
                memory_percent=rng.uniform(10, 95),
                disk_percent=rng.uniform(5, 99),
                uptime_seconds=rng.randint(60, 10**7),
                last_heartbeat={
                    "volumes": [{"mount": "C:", "total_bytes": 512 * 10**9, "used_bytes": 300 * 10**9}],
                    "logged_in_users": [f"user{i % 997}"],
                },
            )
            for i in range(start, min(devices, start + batch))
        )
        DeviceFacts.unscoped.bulk_create(
            DeviceFacts(
                device=device, chassis="laptop", cpu_model="Intel Core i5", cpu_cores=8, ram_bytes=16 * 2**30
            )
            for device in rows
        )
    # Seeding a large database takes a while: move every check-in forward by that time so
    # the statuses are what they were meant to be when the requests run.
    Device.unscoped.filter(last_seen_at__isnull=False).update(
        last_seen_at=F("last_seen_at") + (timezone.now() - now)
    )
    tags = Tag.objects.bulk_create(Tag(provider=provider, name=f"tag {i}") for i in range(20))
    through = Device.tags.through
    device_ids = list(Device.unscoped.order_by("pk").values_list("pk", flat=True)[: devices // 10])
    through.objects.bulk_create(
        through(device_id=pk, tag_id=tags[n % len(tags)].pk) for n, pk in enumerate(device_ids)
    )
    group = DeviceGroup.unscoped.create(
        provider=provider,
        name="Online Windows laptops",
        kind="dynamic",
        filter={"os": "windows", "kind": "laptop", "status": "online"},
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as a live database would have
    admin = User.unscoped.create_user(
        "bench@bench.example", None, full_name="Bench Admin", provider=provider, role=Role.PROVIDER_ADMIN
    )
    return admin, client_rows[clients // 2].pk, group.pk


def run_child(database: str, url: str, devices: int, clients: int, repeat: int) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="steward-bench-")
    env = {
        **os.environ,
        "STEWARD_DATA_DIR": data_dir,
        "STEWARD_DATABASE_URL": url,
        "STEWARD_COOKIE_SECURE": "0",
        "STEWARD_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("STEWARD_REDIS_URL", None)
    try:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                database,
                "--devices",
                str(devices),
                "--clients",
                str(clients),
                "--repeat",
                str(repeat),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{database} benchmark failed:\n{done.stderr[-4000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.devices, args.clients, args.repeat)))
        return

    databases = {"sqlite": ""}
    if os.environ.get("STEWARD_BENCH_DATABASE_URL"):
        databases["postgresql"] = os.environ["STEWARD_BENCH_DATABASE_URL"]
    report: dict[str, Any] = {}
    for name, url in databases.items():
        print(f"… {name}: seeding {args.devices:,} devices across {args.clients} clients", file=sys.stderr)
        report[name] = run_child(name, url, args.devices, args.clients, args.repeat)

    print(
        f"\nFleet list, {args.devices:,} devices, {args.clients} clients, "
        f"{args.repeat} requests per line (ms)\n"
    )
    header = f"{'scenario':34} " + " ".join(
        f"{name + ' median':>18} {name + ' p95':>15} {'x base':>7} {'SQL':>4}" for name in report
    )
    print(header)
    print("-" * len(header))
    for key, label in SCENARIOS:
        cells = " ".join(
            "{median_ms:>18.1f} {p95_ms:>15.1f} {x_baseline:>7} {queries:>4}".format(
                **report[name]["results"][key]
            )
            for name in report
        )
        print(f"{label:34} {cells}")
    print()
    print(
        json.dumps(
            {
                "bench": "fleet_list",
                "devices": args.devices,
                "clients": args.clients,
                "repeat": args.repeat,
                "databases": {
                    name: {
                        "seed_seconds": data["seed_seconds"],
                        **{
                            key: {
                                "median_ms": r["median_ms"],
                                "p95_ms": r["p95_ms"],
                                "rows_on_page": r["rows_on_page"],
                                "queries": r["queries"],
                                "x_baseline": r["x_baseline"],
                            }
                            for key, r in data["results"].items()
                        },
                    }
                    for name, data in report.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
