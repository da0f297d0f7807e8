"""Benchmark: the service desk with 1,000,000 tickets and ~5,000,000 replies across 200 clients.

Seeds a fresh SQLite database (and PostgreSQL when ``STEWARD_BENCH_DATABASE_URL`` is set) in
a child process per database (see ``servicedesk_seed.py``), then measures, signed in as a
provider admin through ``django.test.Client`` (the whole middleware, session and template
stack):

- the ticket list page and the ticket API with filters, sorting and full-text search
  (median and p95 of ``--repeat`` requests each, and each median over a ``/healthz``
  baseline measured in the same run);
- an SLA recompute of ``--recompute`` tickets from their event logs.

Prints a table, then one JSON line ``{"bench": "servicedesk", …}``.
Usage: ``.venv/bin/python bench/servicedesk.py [--tickets 1000000] [--repeat 20] [--recompute 100000]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import pagebench

SCENARIOS = [
    ("baseline", "baseline: /healthz"),
    ("list_open", "list: open tickets"),
    ("list_client_open", "list: one client, open, by priority"),
    ("list_assignee", "list: one technician's open tickets"),
    ("list_breached", "list: SLA breached, P1"),
    ("list_page_500", "list: all, page 500"),
    ("search_common", "search: common word"),
    ("search_rare", "search: rare host name"),
    ("search_two_words", "search: two words"),
    ("search_client", "search: word + client filter"),
    ("search_prefix", "search: prefix"),
    ("api_open", "API: open tickets"),
    ("api_search", "API: search + status"),
]


def child(database: str, tickets: int, repeat: int, recompute: int) -> dict[str, Any]:
    pagebench.setup_django()
    from django.db import connection
    from django.test import Client as HttpClient

    from steward.core.models import User

    with pagebench.fresh_database(database):
        import servicedesk_seed

        started = time.perf_counter()
        report = servicedesk_seed.seed(
            tickets=tickets, progress=lambda message: print(message, file=sys.stderr)
        )
        seed_seconds = time.perf_counter() - started
        policy_seconds = _policies(report.provider_id)
        pagebench.analyze()
        http = HttpClient()
        http.force_login(
            User.unscoped.get(email=report.admin_email), backend="steward.core.auth.EmailBackend"
        )
        client_id = report.client_ids[7]
        tech_id = report.technician_ids[3]
        urls = {
            "baseline": "/healthz",
            "list_open": "/tickets/?status=open",
            "list_client_open": f"/tickets/?client={client_id}&status=open&sort=priority",
            "list_assignee": f"/tickets/?assignee={tech_id}&status=open",
            "list_breached": "/tickets/?sla=breached&priority=p1",
            "list_page_500": "/tickets/?page=500",
            "search_common": "/tickets/?q=printer",
            "search_rare": f"/tickets/?q={report.rare_word}",
            "search_two_words": "/tickets/?q=outlook+password",
            "search_client": f"/tickets/?q=vpn&client={client_id}",
            "search_prefix": "/tickets/?q=certif*",
            "api_open": "/api/v1/tickets?status=open&limit=50",
            "api_search": "/api/v1/tickets?q=backup&status=open&limit=50",
        }
        results = pagebench.time_pages(http, urls, repeat)
        sla = _recompute(recompute)
        return {
            "vendor": connection.vendor,
            "tickets": report.tickets,
            "replies": report.replies,
            "events": report.events,
            "seed_seconds": round(seed_seconds, 1),
            "seed_parts_seconds": report.seconds,
            "policy_setup_seconds": policy_seconds,
            "results": results,
            "sla_recompute": sla,
        }


def _policies(provider_id: int) -> float:
    """A default calendar and SLA, as a real desk has, so tickets carry SLA state."""
    from steward.servicedesk.models import BusinessCalendar, SlaPolicy

    started = time.perf_counter()
    calendar = BusinessCalendar.objects.create(
        provider_id=provider_id,
        name="Office hours",
        is_default=True,
        definition={
            "timezone": "Europe/London",
            "hours": {"mon-fri": ["08:00-12:30", "13:30-18:00"]},
            "holidays": [{"date": "2026-12-25", "name": "Christmas Day", "recurring": True}],
        },
    )
    SlaPolicy.objects.create(
        provider_id=provider_id,
        name="Managed service",
        is_default=True,
        calendar=calendar,
        definition={
            "warn_at": "80%",
            "targets": {
                "first_response": {"p1": "30m", "p2": "1h", "p3": "4h", "p4": "8h"},
                "next_update": {"p1": "1h", "p2": "4h", "p3": "16h", "p4": "24h"},
                "resolution": {"p1": "4h", "p2": "8h", "p3": "24h", "p4": "40h"},
            },
        },
    )
    return round(time.perf_counter() - started, 2)


def _recompute(count: int) -> dict[str, Any]:
    """Recompute the SLA of the ``count`` newest tickets (open and recently closed), twice;
    the second run is the figure (the first warms caches as a live server would have)."""
    from steward.servicedesk.models import Ticket
    from steward.servicedesk.services import sla

    ids = list(Ticket.unscoped.order_by("-id").values_list("id", flat=True)[:count])
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        done = sla.recompute(ids)
        runs.append(time.perf_counter() - started)
    breached = Ticket.unscoped.filter(pk__in=ids[:1000], sla_breached=True).count()
    return {
        "tickets": done,
        "seconds_first": round(runs[0], 2),
        "seconds": round(runs[1], 2),
        "tickets_per_s": round(done / runs[1]),
        "breached_in_sample_of_1000": breached,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--recompute", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.tickets, args.repeat, args.recompute)))
        return
    report: dict[str, Any] = {}
    for name, url in pagebench.databases().items():
        print(f"seeding and measuring {name} ({args.tickets:,} tickets)…", file=sys.stderr)
        report[name] = pagebench.run_child(
            __file__,
            name,
            url,
            [
                "--tickets",
                str(args.tickets),
                "--repeat",
                str(args.repeat),
                "--recompute",
                str(args.recompute),
            ],
        )
        # Each database's figures as soon as they exist: a long run cut short keeps them.
        print(json.dumps({"bench": "servicedesk", "partial": name, "result": report[name]}), file=sys.stderr)
    pagebench.print_table(report, SCENARIOS)
    for name, result in report.items():
        recompute = result["sla_recompute"]
        print(
            f"{name}: seeded {result['tickets']:,} tickets, {result['replies']:,} replies, "
            f"{result['events']:,} events in {result['seed_seconds']} s {result['seed_parts_seconds']}; "
            f"SLA recompute of {recompute['tickets']:,} tickets: {recompute['seconds']} s "
            f"({recompute['tickets_per_s']:,}/s)"
        )
    print(json.dumps({"bench": "servicedesk", "databases": report}))


if __name__ == "__main__":
    main()
