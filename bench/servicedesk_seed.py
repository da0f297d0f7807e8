"""Seed a service desk at scale for bench/servicedesk.py: clients, technicians, tickets,
replies, notes and each ticket's event log, with realistic text for full-text search.

Rows go in with ``bulk_create`` in chunks (no audit, no signals). The full-text index is
built once at the end instead of row by row: on SQLite the FTS5 triggers are dropped during
the load and the index rebuilt; on PostgreSQL the GIN indexes are dropped and recreated.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_WORDS = (
    "printer scanner outlook teams onedrive sharepoint excel word laptop desktop monitor dock "
    "keyboard mouse headset vpn wifi network switch firewall router password mfa account locked "
    "reset license install update patch reboot slow crash error blue screen backup restore file "
    "folder permission access drive mapped share email mailbox calendar invite phone mobile "
    "iphone android tablet camera microphone speaker audio video meeting zoom browser chrome edge "
    "firefox website certificate expired server domain controller dns dhcp ip address cable port "
    "battery charger power adapter screen broken cracked replace order quote new starter leaver "
    "onboarding offboarding user group policy bitlocker encryption antivirus defender virus "
    "phishing spam quarantine sync cloud storage full disk space memory cpu fan noise hot "
    "warranty invoice contract project migration office upgrade windows macos linux ubuntu "
    "driver bios firmware signature template form pdf scan copy fax label sql database app "
    "crm erp accounting payroll quickbooks sage xero teamviewer remote desktop rdp citrix"
)
WORDS = _WORDS.split()
_FILLER = (
    "please could you have a look at this when you get a chance thanks the since this morning "
    "again still not working for me and my colleague we tried restarting it but no luck it "
    "says that there is a problem with it urgent today before meeting as soon as possible "
    "after the update yesterday from home office site all users some users only one user"
)
FILLER = _FILLER.split()
SUBJECTS = [
    "{a} not working",
    "Cannot open {a}",
    "{a} keeps crashing after {b}",
    "Request: new {a} for {name}",
    "{a} and {b} very slow",
    "Error when using {a}",
    "Set up {a} for new starter {name}",
    "{a} {b} issue at {site}",
]
_NAMES = "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil"
NAMES = _NAMES.split()
STATUSES = [
    ("closed", 52),
    ("resolved", 18),
    ("open", 10),
    ("in_progress", 8),
    ("new", 5),
    ("waiting_on_customer", 5),
    ("waiting_on_third_party", 2),
]
PRIORITIES = [("p1", 3), ("p2", 17), ("p3", 55), ("p4", 25)]
TYPES = [("incident", 60), ("service_request", 30), ("problem", 3), ("change", 3), ("proactive", 4)]


def _weighted(options: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [o for o, _ in options], [w for _, w in options]


@dataclass
class SeedReport:
    tickets: int = 0
    replies: int = 0
    events: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    provider_id: int = 0
    admin_email: str = ""
    technician_ids: list[int] = field(default_factory=list)
    client_ids: list[int] = field(default_factory=list)
    rare_word: str = ""


def _timed(report: SeedReport, name: str, fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = fn()
    report.seconds[name] = round(time.perf_counter() - started, 1)
    return result


def _fulltext(connection: Any, *, build: bool) -> None:
    from steward.servicedesk import fulltext

    with connection.cursor() as cursor:
        for statement in fulltext.statements(connection.vendor, build=build):
            cursor.execute(statement)


def seed(
    *,
    clients: int = 200,
    tickets: int = 1_000_000,
    replies_per_ticket: int = 5,
    technicians: int = 25,
    seed_value: int = 7,
    chunk: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    from django.db import connection, transaction

    from steward.core.models import Client, Provider, Site, User
    from steward.core.roles import Role
    from steward.servicedesk.models import Queue, Reply, Team, Ticket, TicketEvent

    rng = random.Random(seed_value)
    report = SeedReport()
    say = progress or (lambda message: None)
    provider = Provider.objects.create(name="Bench MSP", slug="bench-msp")
    report.provider_id = provider.pk
    admin = User.unscoped.create_user(
        "admin@bench.example", "bench-password-1", full_name="Bench Admin", provider=provider,
        role=Role.PROVIDER_ADMIN,
    )  # fmt: skip
    report.admin_email = admin.email
    techs = User.unscoped.bulk_create(
        User(
            email=f"tech{i}@bench.example",
            full_name=f"Technician {i}",
            provider=provider,
            role=Role.TECHNICIAN,
            all_clients=True,
            password="!",  # noqa: S106 (unusable password)
        )
        for i in range(technicians)
    )
    report.technician_ids = [t.pk for t in techs]
    client_rows = Client.unscoped.bulk_create(
        Client(provider=provider, name=f"Client {i:03d} Ltd", short_code=f"c{i:03d}", status="active",
               email_domain=f"client{i:03d}.example")
        for i in range(clients)
    )  # fmt: skip
    report.client_ids = [c.pk for c in client_rows]
    site_rows = Site.unscoped.bulk_create(
        Site(client=c, name=f"{c.name} HQ", time_zone="Europe/London") for c in client_rows
    )
    site_of = {s.client_id: s.pk for s in site_rows}
    team = Team.objects.create(provider=provider, name="Service desk")
    queues = [
        Queue.objects.create(
            provider=provider, name=name, default_team=team, is_default=(name == "Service desk")
        )
        for name in ("Service desk", "Projects", "Proactive", "Escalations")
    ]
    status_options, status_weights = _weighted(STATUSES)
    priority_options, priority_weights = _weighted(PRIORITIES)
    type_options, type_weights = _weighted(TYPES)
    rare_every = 10_000
    report.rare_word = "zyxwvhost"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    span = dt.timedelta(days=3 * 365)

    def text(words: int) -> str:
        picks = rng.choices(WORDS, k=max(2, words // 3)) + rng.choices(FILLER, k=words - words // 3)
        rng.shuffle(picks)
        return " ".join(picks).capitalize() + "."

    _fulltext(connection, build=False)
    number = 0
    started = time.perf_counter()
    while number < tickets:
        size = min(chunk, tickets - number)
        batch_tickets: list[Ticket] = []
        bodies: list[list[tuple[str, str, bool, dt.datetime]]] = []
        for offset in range(size):
            index = number + offset
            client_id = report.client_ids[rng.randrange(clients)]
            created = now - span * (1 - (index / tickets)) - dt.timedelta(minutes=rng.randrange(600))
            status = (
                rng.choices(status_options, status_weights)[0]
                if created < now - dt.timedelta(days=30)
                else (rng.choice(["new", "open", "in_progress", "waiting_on_customer", "resolved"]))
            )
            subject = rng.choice(SUBJECTS).format(
                a=rng.choice(WORDS), b=rng.choice(WORDS), name=rng.choice(NAMES), site="HQ"
            )
            conversation = []
            count = max(1, int(rng.expovariate(1 / replies_per_ticket)) if replies_per_ticket else 1)
            at = created
            for position in range(count):
                at = at + dt.timedelta(minutes=rng.randrange(5, 600))
                body = text(rng.randrange(12, 40))
                if index % rare_every == 0 and position == 0:
                    body += f" Host {report.rare_word} is affected."
                internal = position > 0 and rng.random() < 0.2
                customer = position == 0 or (not internal and rng.random() < 0.45)
                conversation.append((body, "internal" if internal else "public", customer, at))
            public = "\n".join([subject] + [b for b, v, _, _ in conversation if v == "public"])
            internal_text = "\n".join(b for b, v, _, _ in conversation if v == "internal")
            ticket = Ticket(
                client_id=client_id,
                site_id=site_of[client_id],
                subject=subject,
                ticket_type=rng.choices(type_options, type_weights)[0],
                status=status,
                priority=rng.choices(priority_options, priority_weights)[0],
                channel=rng.choice(["email", "email", "portal", "web", "phone"]),
                queue=queues[0] if rng.random() < 0.8 else rng.choice(queues),
                team_id=team.pk,
                assignee_id=rng.choice(report.technician_ids) if rng.random() < 0.85 else None,
                requester_email=f"{rng.choice(NAMES).lower()}@client.example",
                requester_name=rng.choice(NAMES),
                created_at=created,
                first_responded_at=conversation[1][3] if len(conversation) > 1 else None,
                resolved_at=at if status in ("resolved", "closed") else None,
                closed_at=at if status == "closed" else None,
                search_public=public,
                search_internal=internal_text,
            )
            batch_tickets.append(ticket)
            bodies.append(conversation)
        with transaction.atomic():
            Ticket.unscoped.bulk_create(batch_tickets, batch_size=2000)
            replies = []
            events = []
            for ticket, conversation in zip(batch_tickets, bodies, strict=True):
                events.append(
                    TicketEvent(
                        ticket_id=ticket.pk,
                        at=ticket.created_at,
                        kind="created",
                        status="new",
                        priority=ticket.priority,
                        ticket_type=ticket.ticket_type,
                    )
                )
                for body, visibility, customer, at in conversation:
                    replies.append(
                        Reply(
                            ticket_id=ticket.pk,
                            visibility=visibility,
                            channel=ticket.channel,
                            from_customer=customer,
                            author_name="Bench",
                            body_text=body,
                            created_at=at,
                        )
                    )
                    if visibility == "public" and not customer:
                        events.append(
                            TicketEvent(
                                ticket_id=ticket.pk,
                                at=at,
                                kind="agent_reply",
                                status="open",
                                priority=ticket.priority,
                                ticket_type=ticket.ticket_type,
                            )
                        )
                if ticket.status != "new":
                    last = conversation[-1][3]
                    events.append(
                        TicketEvent(
                            ticket_id=ticket.pk,
                            at=last,
                            kind="status",
                            status=ticket.status,
                            priority=ticket.priority,
                            ticket_type=ticket.ticket_type,
                        )
                    )
            Reply.unscoped.bulk_create(replies, batch_size=5000)
            TicketEvent.unscoped.bulk_create(events, batch_size=5000)
        report.tickets += size
        report.replies += len(replies)
        report.events += len(events)
        number += size
        elapsed = time.perf_counter() - started
        say(f"  {number:,} tickets, {report.replies:,} replies in {elapsed:.0f} s")
    report.seconds["rows"] = round(time.perf_counter() - started, 1)
    say("  building the full-text index…")
    _timed(report, "fulltext_index", lambda: _fulltext(connection, build=True))
    return report
