"""Benchmark: the directory list pages with 10,000 clients, sites and contacts.

Creates a throwaway data directory and a fresh SQLite database (and, when
``STEWARD_BENCH_DATABASE_URL`` is set, a fresh PostgreSQL database next to the one it
names), seeds it with ``bulk_create``, then times requests through ``django.test.Client``
signed in as a provider admin. Prints a table, then one JSON line::

    {"bench": "web_lists", "databases": {"sqlite": {"client_list": {"median_ms": …, "p95_ms": …}, …}}}

Each database runs in its own child process because Django reads its settings once.
Usage: ``.venv/bin/python bench/web_lists.py [--rows 10000] [--repeat 30]``
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
    ("client_list", "client list, page 1"),
    ("client_sorted", "clients sorted by name desc"),
    ("client_search", "client search q=…"),
    ("client_page_150", "client list, page 150"),
    ("site_by_client", "site list filtered by client"),
    ("contact_search", "contact search"),
]


def child(database: str, rows: int, repeat: int) -> dict[str, Any]:
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
        user, client_id = seed(rows)
        seed_seconds = time.perf_counter() - seed_started
        http = HttpClient()
        http.force_login(user, backend="steward.core.auth.EmailBackend")
        urls = {
            "baseline": "/healthz",
            "client_list": "/clients/",
            "client_sorted": "/clients/?sort=-name",
            "client_search": "/clients/?q=client 04",
            "client_page_150": "/clients/?page=150",
            "site_by_client": f"/sites/?client={client_id}",
            "contact_search": "/contacts/?q=person 77",
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


def seed(rows: int) -> tuple[Any, int]:
    from django.db import connection

    from steward.core.models import Client, Contact, Provider, Site, User
    from steward.core.roles import Role

    provider = Provider.objects.create(name="Bench MSP", slug="bench")
    zones = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin"]
    clients = Client.unscoped.bulk_create(
        (
            Client(
                provider=provider,
                name=f"Client {i:05d}",
                short_code=f"C{i:05d}",
                status=("active", "onboarding", "offboarded")[i % 3],
                email_domain=f"client{i}.example",
            )
            for i in range(rows)
        ),
        batch_size=1000,
    )
    sites = Site.unscoped.bulk_create(
        (
            Site(
                client=clients[i % len(clients)],
                name=f"Site {i:05d}",
                city=f"City {i % 97}",
                country="GB",
                time_zone=zones[i % len(zones)],
            )
            for i in range(rows)
        ),
        batch_size=1000,
    )
    Contact.unscoped.bulk_create(
        (
            Contact(
                client=clients[i % len(clients)],
                site=sites[i % len(sites)],
                full_name=f"Person {i:05d}",
                email=f"person{i}@client{i % len(clients)}.example",
                job_title="Office manager",
            )
            for i in range(rows)
        ),
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as a live database would have
    admin = User.unscoped.create_user(
        "bench@bench.example", None, full_name="Bench Admin", provider=provider, role=Role.PROVIDER_ADMIN
    )
    return admin, clients[rows // 2].pk


def run_child(database: str, url: str, rows: int, repeat: int) -> dict[str, Any]:
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
            [sys.executable, __file__, "--child", database, "--rows", str(rows), "--repeat", str(repeat)],
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
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.repeat)))
        return

    databases = {"sqlite": ""}
    if os.environ.get("STEWARD_BENCH_DATABASE_URL"):
        databases["postgresql"] = os.environ["STEWARD_BENCH_DATABASE_URL"]
    report: dict[str, Any] = {}
    for name, url in databases.items():
        print(f"… {name}: seeding {args.rows:,} clients, sites and contacts", file=sys.stderr)
        report[name] = run_child(name, url, args.rows, args.repeat)

    print(f"\nWeb list pages, {args.rows:,} rows each, {args.repeat} requests per line (ms)\n")
    header = f"{'scenario':34} " + " ".join(
        f"{name + ' median':>18} {name + ' p95':>15} {'x base':>7}" for name in report
    )
    print(header)
    print("-" * len(header))
    for key, label in SCENARIOS:
        cells = " ".join(
            "{median_ms:>18.1f} {p95_ms:>15.1f} {x_baseline:>7}".format(**report[name]["results"][key])
            for name in report
        )
        print(f"{label:34} {cells}")
    print()
    print(
        json.dumps(
            {
                "bench": "web_lists",
                "rows": args.rows,
                "repeat": args.repeat,
                "databases": {
                    name: {
                        "seed_seconds": data["seed_seconds"],
                        **{
                            key: {
                                "median_ms": r["median_ms"],
                                "p95_ms": r["p95_ms"],
                                "rows_on_page": r["rows_on_page"],
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
