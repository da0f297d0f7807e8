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
import sys
import time
from typing import Any

import pagebench

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
    pagebench.setup_django()
    from django.db import connection
    from django.test import Client as HttpClient

    with pagebench.fresh_database(database):
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
        results = pagebench.time_pages(http, urls, repeat, count_queries=True)
        return {"vendor": connection.vendor, "seed_seconds": round(seed_seconds, 1), "results": results}


def seed(devices: int, clients: int) -> tuple[Any, int, int]:
    import datetime as dt
    import random

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
    pagebench.analyze()
    admin = User.unscoped.create_user(
        "bench@bench.example", None, full_name="Bench Admin", provider=provider, role=Role.PROVIDER_ADMIN
    )
    return admin, client_rows[clients // 2].pk, group.pk


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

    report: dict[str, Any] = {}
    for name, url in pagebench.databases().items():
        print(f"… {name}: seeding {args.devices:,} devices across {args.clients} clients", file=sys.stderr)
        child_args = [
            "--devices",
            str(args.devices),
            "--clients",
            str(args.clients),
            "--repeat",
            str(args.repeat),
        ]
        report[name] = pagebench.run_child(__file__, name, url, child_args)

    print(
        f"\nFleet list, {args.devices:,} devices, {args.clients} clients, "
        f"{args.repeat} requests per line (ms)\n"
    )
    pagebench.print_table(report, SCENARIOS, queries=True)
    summary = {"bench": "fleet_list", "devices": args.devices, "clients": args.clients, "repeat": args.repeat}
    print(json.dumps({**summary, "databases": pagebench.summary(report)}))


if __name__ == "__main__":
    main()
