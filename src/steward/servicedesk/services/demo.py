"""The service desk of the demo: calendars, SLAs, queues, shortcuts, a shared mailbox,
knowledge-base articles and a few weeks of realistic tickets across the demo clients.

Runs after the core demo (``steward demo``) and is idempotent: it does nothing once the
demo calendar exists. Tickets are written through the desk's own services with times in the
past, so their event logs, SLA states and search text are exactly what real use produces.
No mail is sent while seeding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from steward.core.models import Client, Contact, Provider, User
from steward.core.roles import Role
from steward.core.scoping import Scope
from steward.servicedesk.models import (
    BusinessCalendar,
    CannedResponse,
    Macro,
    Mailbox,
    Queue,
    ServiceProfile,
    SlaPolicy,
    Team,
    Ticket,
    WorkType,
)
from steward.servicedesk.services import conversation, notifications, sla, tickets, worktime

UK_HOLIDAYS_2026 = [
    ("2026-12-25", "Christmas Day", True),
    ("2026-12-26", "Boxing Day", True),
    ("2026-01-01", "New Year's Day", True),
    ("2026-12-28", "Boxing Day (substitute)", False),
]


@dataclass(frozen=True)
class Story:
    client: str  # short code
    requester: str  # e-mail of a contact
    subject: str
    body: str
    days_ago: float
    impact: str = "medium"
    urgency: str = "medium"
    ticket_type: str = "incident"
    channel: str = "email"
    # (hours after opening, who: "tech"/"customer"/"note"/"status:<s>", text)
    steps: tuple[tuple[float, str, str], ...] = ()
    minutes: int = 0  # time booked by the technician


STORIES = (
    Story(
        "RIVERSIDE",
        "gary.holt@riversidedental.example",
        "Practice server very slow since this morning",
        "Hi,\n\nthe appointment system takes ages to open and the X-ray viewer freezes. "
        "Everyone in reception is affected.\n\nGary",
        0.1,
        impact="high",
        urgency="high",
        steps=(
            (
                0.2,
                "tech",
                "Hi Gary, I'm connecting to the server now. The disk looks almost full; "
                "I'll clear the old backups and let you know.",
            ),
            (0.6, "note", "D: at 97%. Old VSS snapshots and 40 GB of imaging temp files. Cleared."),
        ),
    ),
    Story(
        "RIVERSIDE",
        "aisha.begum@riversidedental.example",
        "Can't print labels from surgery 2",
        "The label printer in surgery 2 says offline. Tried turning it off and on.",
        2.3,
        steps=(
            (1, "tech", "Could you check the USB cable at the back of the PC is plugged in?"),
            (1.1, "status:waiting_on_customer", ""),
            (20, "customer", "It was loose! Working now, thank you."),
            (20.5, "status:resolved", ""),
        ),
        minutes=15,
    ),
    Story(
        "RIVERSIDE",
        "helen.marsh@riversidedental.example",
        "New starter: dental hygienist from Monday",
        "Please set up an account and e-mail for Olivia Grant, hygienist, starting Monday.",
        4,
        ticket_type="service_request",
        channel="portal",
        steps=(
            (3, "tech", "Account and mailbox created; the laptop is being prepared."),
            (30, "status:in_progress", ""),
        ),
        minutes=45,
    ),
    Story(
        "LRA",
        "jonas.weber@lindqvistrowe.example",
        "VPN drops every 10 minutes when working from home",
        "Since the weekend my VPN disconnects constantly. Others at home seem fine.",
        1.2,
        urgency="high",
        steps=(
            (0.5, "tech", "Which Wi-Fi are you on? Can you try a cable for an hour?"),
            (0.6, "status:waiting_on_customer", ""),
        ),
    ),
    Story(
        "LRA",
        "maya.patel@lindqvistrowe.example",
        "Revit crashes opening the Harbour project",
        "Revit 2024 crashes when I open the central model. Deadline Friday!",
        6,
        impact="medium",
        urgency="high",
        steps=(
            (
                2,
                "tech",
                "Reproduced on my side: the local copy was corrupt. I recreated it; please try again.",
            ),
            (3, "customer", "Works, thanks!"),
            (3.5, "status:resolved", ""),
        ),
        minutes=60,
    ),
    Story(
        "LRA",
        "charlotte.rowe@lindqvistrowe.example",
        "Quote for two new CAD workstations",
        "Could you quote for two workstations like the ones we bought last year?",
        9,
        ticket_type="service_request",
        channel="portal",
        steps=(
            (5, "tech", "Quote attached in the portal; the lead time is about two weeks."),
            (6, "status:waiting_on_third_party", ""),
        ),
    ),
    Story(
        "MERIDIAN",
        "carlos.mendoza@meridianfreight.example",
        "Warehouse scanner cannot connect to Wi-Fi",
        "Handheld scanner 4 in bay C shows 'authentication failed'.",
        0.4,
        impact="medium",
        urgency="medium",
    ),
    Story(
        "MERIDIAN",
        "tanya.ivanova@meridianfreight.example",
        "Outlook asks for password repeatedly",
        "Outlook keeps prompting for my password on the desktop since yesterday.",
        3.1,
        steps=(
            (0.3, "tech", "Please sign out of Office and back in; the token expired after the MFA change."),
            (1, "customer", "Still asking."),
            (1.5, "note", "Stale credentials in Credential Manager; removed remotely."),
            (1.7, "tech", "Cleared the stored credentials. Can you restart Outlook?"),
            (26, "status:resolved", ""),
        ),
        minutes=30,
    ),
    Story(
        "MERIDIAN",
        "laura.chen@meridianfreight.example",
        "Backups failing on the accounts server",
        "Got an e-mail saying the backup failed last night.",
        12,
        impact="high",
        urgency="medium",
        steps=(
            (1, "tech", "The NAS target was full. Retention adjusted and a manual backup is running."),
            (5, "status:resolved", ""),
        ),
        minutes=50,
    ),
)


def _calendar_definition() -> dict[str, object]:
    return {
        "timezone": "Europe/London",
        "hours": {"mon-fri": ["08:30-17:30"]},
        "holidays": [{"date": d, "name": n, "recurring": r} for d, n, r in UK_HOLIDAYS_2026],
    }


def _targets(first: tuple[str, ...], update: tuple[str, ...], resolve: tuple[str, ...]) -> dict[str, object]:
    prios = ("p1", "p2", "p3", "p4")
    return {
        "first_response": dict(zip(prios, first, strict=True)),
        "next_update": dict(zip(prios, update, strict=True)),
        "resolution": dict(zip(prios, resolve, strict=True)),
    }


def seed(provider: Provider) -> int:
    """Create the demo desk for ``provider``; returns the number of tickets made."""
    if BusinessCalendar.objects.filter(provider=provider, name="UK office hours").exists():
        return 0
    with notifications.muted(), transaction.atomic():
        return _seed(provider)


def _seed(provider: Provider) -> int:
    office = BusinessCalendar.objects.create(
        provider=provider, name="UK office hours", is_default=True, definition=_calendar_definition()
    )
    BusinessCalendar.objects.create(
        provider=provider,
        name="24/7",
        definition={"timezone": "Europe/London", "always_open": True},
    )
    standard = SlaPolicy.objects.create(
        provider=provider,
        name="Managed service",
        is_default=True,
        calendar=office,
        definition={
            "warn_at": "75%",
            "always_open_priorities": ["p1"],
            "targets": _targets(
                ("30m", "1h", "4h", "8h"), ("1h", "4h", "8h", "16h"), ("4h", "8h", "24h", "40h")
            ),
            "overrides": [{"ticket_type": "service_request", "resolution": {"p3": "40h", "p4": "80h"}}],
        },
    )
    SlaPolicy.objects.create(
        provider=provider,
        name="Break-fix (pay as you go)",
        definition={
            "targets": _targets(
                ("2h", "4h", "8h", "16h"), ("4h", "8h", "16h", "24h"), ("8h", "16h", "40h", "80h")
            )
        },
    )
    team = Team.objects.create(provider=provider, name="Service desk")
    team.members.set(User.unscoped.filter(provider=provider, role__in=[Role.TECHNICIAN]))
    Team.objects.create(provider=provider, name="Projects")
    Queue.objects.create(provider=provider, name="Service desk", default_team=team, is_default=True)
    Queue.objects.create(provider=provider, name="Proactive maintenance", default_team=team)
    Queue.objects.create(provider=provider, name="Projects")
    for name, billable in (
        ("Remote support", True),
        ("On-site", True),
        ("Project work", True),
        ("Internal", False),
    ):
        WorkType.objects.create(provider=provider, name=name, billable_by_default=billable)
    Mailbox.objects.create(provider=provider, address=provider.support_email or "support@northwind.example")
    CannedResponse.objects.create(
        provider=provider,
        title="Restart and report back",
        body="Hi {requester},\n\nCould you restart the computer and tell us if the problem is still there?"
        "\n\n{me}",
    )
    CannedResponse.objects.create(
        provider=provider,
        title="Closing: no reply",
        body="Hi {requester},\n\nWe haven't heard back, so we're resolving {ticket}. Just reply to reopen it."
        "\n\n{me}",
    )
    Macro.objects.create(
        provider=provider,
        name="Ask for a screenshot",
        actions={
            "reply": "Hi {requester},\n\nCould you send us a screenshot of the error?\n\n{me}",
            "status": "waiting_on_customer",
        },
    )
    clients = {c.short_code: c for c in Client.unscoped.filter(provider=provider)}
    for client in clients.values():
        ServiceProfile.objects.create(
            client=client, sla_policy=standard, sender_name=f"{provider.name} for {client.name}"
        )
    _seed_articles(provider, list(clients.values()))
    return _tell_stories(provider, clients)


def _seed_articles(provider: Provider, clients: list[Client]) -> None:
    try:
        from steward.servicedesk.services import kb
    except ImportError:  # the knowledge base is optional in stripped-down installs
        return
    seed_articles = getattr(kb, "seed_demo_articles", None)
    if seed_articles is not None:
        seed_articles(provider, clients)


def _tell_stories(provider: Provider, clients: dict[str, Client]) -> int:
    technicians = list(User.unscoped.filter(provider=provider, role=Role.TECHNICIAN).order_by("pk"))
    if not technicians:
        return 0
    now = timezone.now()
    made = 0
    for index, story in enumerate(STORIES):
        client = clients.get(story.client)
        if client is None:
            continue
        contact = Contact.unscoped.filter(client=client, email=story.requester).first()
        if contact is None:
            contact = Contact.unscoped.filter(client=client).order_by("pk").first()
        tech = technicians[index % len(technicians)]
        tech_scope = Scope.for_user(tech)
        opened = now - dt.timedelta(days=story.days_ago)
        ticket = tickets.open_ticket(
            Scope.system(provider.pk, label="demo"),
            client_id=client.pk,
            site_id=contact.site_id if contact else None,
            subject=story.subject,
            body=story.body,
            ticket_type=story.ticket_type,
            impact=story.impact,
            urgency=story.urgency,
            channel=story.channel,
            assignee_id=tech.pk,
            requester_contact=contact,
            requester_user=User.unscoped.filter(email=story.requester, client=client).first(),
            requester_email=contact.email if contact else story.requester,
            requester_name=contact.full_name if contact else "",
            created_at=opened,
        )
        _play(ticket, story, tech_scope, provider, opened)
        if story.minutes:
            worktime.add_entry(
                tech_scope, ticket, minutes=story.minutes, started_at=opened + dt.timedelta(hours=1)
            )
        made += 1
    return made


def _play(ticket: Ticket, story: Story, tech: Scope, provider: Provider, opened: dt.datetime) -> None:
    customer = Scope.system(provider.pk, label="demo")
    now = timezone.now()
    for hours, who, text in story.steps:
        when = opened + dt.timedelta(hours=hours)
        if when > now:
            break
        if who.startswith("status:"):
            tickets.change_status(tech, ticket, who.split(":", 1)[1], at=when)
        elif who == "customer":
            conversation.add_reply(
                customer, ticket, text, from_customer=True, channel="email",
                author_contact=ticket.requester_contact, author_email=ticket.requester_email,
                author_name=ticket.requester_name, at=when, notify=False,
            )  # fmt: skip
        else:
            conversation.add_reply(tech, ticket, text, internal=who == "note", at=when, notify=False)
    sla.refresh(ticket)
