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
import sys
import time
from typing import Any

import pagebench

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
    pagebench.setup_django()
    from django.db import connection
    from django.test import Client as HttpClient

    with pagebench.fresh_database(database):
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
        results = pagebench.time_pages(http, urls, repeat)
        return {"vendor": connection.vendor, "seed_seconds": round(seed_seconds, 1), "results": results}


def seed(rows: int) -> tuple[Any, int]:

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
    pagebench.analyze()
    admin = User.unscoped.create_user(
        "bench@bench.example", None, full_name="Bench Admin", provider=provider, role=Role.PROVIDER_ADMIN
    )
    return admin, clients[rows // 2].pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.repeat)))
        return

    report: dict[str, Any] = {}
    for name, url in pagebench.databases().items():
        print(f"… {name}: seeding {args.rows:,} clients, sites and contacts", file=sys.stderr)
        child_args = ["--rows", str(args.rows), "--repeat", str(args.repeat)]
        report[name] = pagebench.run_child(__file__, name, url, child_args)

    print(f"\nWeb list pages, {args.rows:,} rows each, {args.repeat} requests per line (ms)\n")
    pagebench.print_table(report, SCENARIOS)
    summary = {"bench": "web_lists", "rows": args.rows, "repeat": args.repeat}
    print(json.dumps({**summary, "databases": pagebench.summary(report)}))


if __name__ == "__main__":
    main()
