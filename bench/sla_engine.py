"""Benchmark: the pure SLA engine, ``compute()`` over 100,000 synthetic tickets.

No Django, no database: this measures the engine alone, single-threaded, the share of the
service desk's "recompute every ticket's SLA state" job that is pure computation. Tickets
are generated from a seed with realistic logs of 4-10 events spanning hours to a few weeks:
creation at any hour (a third outside business hours), a first reply, waits on the
customer, priority changes, further replies, resolve and close, some reopens and merges,
some still open. The calendar is a London office (split Monday, two holidays, crossing
both DST changes of 2026); the policy has per-type overrides and P1 running 24/7.

Tickets are processed like the service desk's recompute does: in batches (``--batch``,
2,000), building the ``TicketEvent`` objects of a batch from row tuples, then calling
``compute()`` for each ticket. Three timings: ``compute()`` with a cold calendar (its day
tables built on the way), ``compute()`` warm (best of ``--repeat`` passes: the steady state
of a long-running worker), and building the events (what the caller pays to feed it). Times are CPU
seconds of this process (``time.process_time``), so other work on a shared machine disturbs
them less; single-threaded, they equal wall time on an idle machine. Prints a table, then
one JSON line::

    {"bench": "sla_engine", "tickets_per_s": …, "cold_tickets_per_s": …, …}

Usage: ``.venv/bin/python bench/sla_engine.py [--tickets 100000] [--repeat 3] [--batch 2000] [--seed 7]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import time
from collections import Counter
from typing import Any

from steward.servicedesk.sla import BusinessCalendar, SlaPolicy, compute, parse_calendar, parse_policy
from steward.servicedesk.sla.events import TicketEvent

CALENDAR = {
    "name": "London office",
    "timezone": "Europe/London",
    "hours": {"mon": ["08:00-12:30", "13:30-17:30"], "tue-fri": ["08:00-17:30"]},
    "holidays": [
        {"date": "2026-12-25", "name": "Christmas Day", "recurring": True},
        {"date": "2026-04-03", "name": "Good Friday"},
    ],
}
POLICY = {
    "name": "Managed service standard",
    "warn_at": "80%",
    "targets": {
        "first_response": {"p1": "30m", "p2": "1h", "p3": "4h", "p4": "8h"},
        "next_update": {"p1": "1h", "p2": "4h", "p3": "8h", "p4": "16h"},
        "resolution": {"p1": "4h", "p2": "8h", "p3": "27h", "p4": "45h"},
    },
    "always_open_priorities": ["p1"],
    "overrides": [{"ticket_type": "service_request", "resolution": {"p3": "45h", "p4": "90h"}}],
}
START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400


def ticket_log(rng: random.Random) -> list[dict[str, Any]]:
    """One ticket's events as plain dicts (what a database row would give)."""
    t = START.timestamp() + rng.randrange(0, 340 * DAY)
    priority = rng.choices(["p1", "p2", "p3", "p4"], [3, 17, 55, 25])[0]
    ticket_type = rng.choices(["incident", "service_request", "proactive"], [6, 3, 1])[0]
    log: list[dict[str, Any]] = [
        {"at": t, "kind": "created", "priority": priority, "status": "new", "ticket_type": ticket_type}
    ]

    def later(low: float, high: float) -> float:
        nonlocal t
        t += rng.uniform(low, high)
        return t

    log.append({"at": later(5 * MINUTE, 6 * HOUR), "kind": "agent_reply"})
    log.append({"at": t + 1, "kind": "status", "status": "in_progress"})
    for _ in range(rng.randrange(0, 4)):
        step = rng.random()
        if step < 0.35:
            log.append({"at": later(HOUR, 2 * DAY), "kind": "status", "status": "waiting_on_customer"})
            log.append({"at": later(HOUR, 3 * DAY), "kind": "customer_reply"})
            log.append({"at": t + 1, "kind": "status", "status": "in_progress"})
        elif step < 0.45:
            log.append(
                {"at": later(10 * MINUTE, DAY), "kind": "priority", "priority": rng.choice(["p2", "p3"])}
            )
        else:
            log.append({"at": later(30 * MINUTE, 2 * DAY), "kind": "agent_reply"})
    ending = rng.random()
    if ending < 0.08:
        return log  # still open
    if ending < 0.10:
        log.append({"at": later(HOUR, DAY), "kind": "merged"})
        return log
    log.append({"at": later(HOUR, 3 * DAY), "kind": "status", "status": "resolved"})
    if ending < 0.15:
        log.append({"at": later(HOUR, 2 * DAY), "kind": "status", "status": "in_progress"})
        log.append({"at": later(HOUR, DAY), "kind": "status", "status": "resolved"})
    if rng.random() < 0.7:
        log.append({"at": later(3 * DAY, 4 * DAY), "kind": "status", "status": "closed"})
    return log


Row = tuple[dt.datetime, str, str | None, str | None, str | None]  # as a database query gives them


def rows_of(log: list[dict[str, Any]]) -> list[Row]:
    return [
        (
            dt.datetime.fromtimestamp(row["at"], dt.UTC),
            row["kind"],
            row.get("status"),
            row.get("priority"),
            row.get("ticket_type"),
        )
        for row in log
    ]


def run_pass(
    tickets: list[list[Row]],
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    batch: int,
    states: Counter[str] | None = None,
) -> tuple[float, float]:
    """Like the service desk's recompute: per batch, build the events, then compute each
    ticket. Returns (seconds building events, seconds in compute())."""
    build_s = compute_s = 0.0
    for first in range(0, len(tickets), batch):
        started = time.process_time()
        events = [[TicketEvent(*row) for row in rows] for rows in tickets[first : first + batch]]
        built = time.process_time()
        outcomes = [compute(log, policy, calendar, NOW) for log in events]
        done = time.process_time()
        build_s += built - started
        compute_s += done - built
        if states is not None:
            states.update(result.state for outcome in outcomes for result in outcome.targets)
    return build_s, compute_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=2000, help="tickets per batch, as the desk reads them")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    tickets = [rows_of(ticket_log(rng)) for _ in range(args.tickets)]
    events_total = sum(len(rows) for rows in tickets)

    policy = parse_policy(POLICY)
    calendar = parse_calendar(CALENDAR)  # fresh: no memoised days yet
    states: Counter[str] = Counter()
    _, cold_s = run_pass(tickets, policy, calendar, args.batch, states)
    build_s = warm_s = float("inf")
    for _ in range(args.repeat):
        built, computed = run_pass(tickets, policy, calendar, args.batch)
        build_s, warm_s = min(build_s, built), min(warm_s, computed)

    n = args.tickets
    rows = [
        ("compute(), cold calendar", cold_s, n / cold_s),
        (f"compute(), warm (best of {args.repeat})", warm_s, n / warm_s),
        (f"building TicketEvent objects (best of {args.repeat})", build_s, n / build_s),
    ]
    print(
        f"SLA engine: {n:,} tickets, {events_total:,} events ({events_total / n:.1f} per ticket), "
        f"Python {platform.python_version()}"
    )
    print(f"{'measure':<46} {'seconds':>8} {'tickets/s':>11} {'us/ticket':>10}")
    for label, seconds, rate in rows:
        print(f"{label:<46} {seconds:>8.2f} {rate:>11,.0f} {seconds / n * 1e6:>10.1f}")
    print("target states: " + ", ".join(f"{state} {count:,}" for state, count in sorted(states.items())))
    print(
        json.dumps(
            {
                "bench": "sla_engine",
                "tickets": n,
                "events_per_ticket": round(events_total / n, 2),
                "tickets_per_s": round(n / warm_s),
                "cold_tickets_per_s": round(n / cold_s),
                "us_per_ticket": round(warm_s / n * 1e6, 1),
                "event_build_tickets_per_s": round(n / build_s),
            }
        )
    )


if __name__ == "__main__":
    main()
