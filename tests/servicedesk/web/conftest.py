"""A small service desk on top of the ``world`` fixture: tickets of clients A and B with
public replies, internal notes and files, so every page has something to show and hide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from steward.core.scoping import Scope
from steward.devices.models import Device
from steward.servicedesk.models import Attachment, Queue, Reply, Team, Ticket
from steward.servicedesk.services import conversation, tickets
from steward.servicedesk.services.conversation import Upload

INTERNAL_NOTE = "INTERNAL-NOTE-do-not-show-customers"
INTERNAL_FILE = "internal-secret-notes.txt"
PUBLIC_FILE = "screenshot.png"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Desk:
    queue: Queue
    team: Team
    device_a: Device
    device_b: Device
    ticket_a: Ticket  # requested by end_user_a
    ticket_a_other: Ticket  # requested by client_it_a: end_user_a must not see it
    ticket_b: Ticket
    internal_note: Reply
    public_file: Attachment
    internal_file: Attachment


def staff_scope(world: Any, key: str = "technician_all") -> Scope:
    return Scope.for_user(world.users[key])


@pytest.fixture
def desk(world: Any) -> Desk:
    provider = world.provider
    queue = Queue.objects.create(provider=provider, name="Service desk", is_default=True)
    team = Team.objects.create(provider=provider, name="Level 2")
    device_a = Device.unscoped.create(client=world.client_a, site=world.site_a, hostname="ALPHA-PC-01")
    device_b = Device.unscoped.create(client=world.client_b, site=world.site_b, hostname="BRAVO-SECRET-PC")
    tech = staff_scope(world)
    end_user_a = Scope.for_user(world.users["end_user_a"])
    ticket_a = tickets.open_ticket(
        end_user_a,
        subject="Alpha printer jams",
        body="The printer on floor 2 jams on every page.",
        device_ids=[device_a.pk],
    )
    reply = conversation.add_reply(
        tech,
        ticket_a,
        "Please send a photo of the error.",
        uploads=[Upload(PUBLIC_FILE, PNG, "image/png")],
    )
    note = conversation.add_reply(
        tech,
        ticket_a,
        f"{INTERNAL_NOTE}: the lease ends soon.",
        internal=True,
        uploads=[Upload(INTERNAL_FILE, b"admin password hint", "text/plain")],
    )
    ticket_a_other = tickets.open_ticket(
        Scope.for_user(world.users["client_it_a"]),
        subject="Alpha VPN down for IT",
        body="VPN refuses logins.",
    )
    ticket_b = tickets.open_ticket(
        Scope.for_user(world.users["end_user_b"]),
        subject="Bravo Secret Outage",
        body="Boris Bravo cannot reach the depot server.",
        device_ids=[device_b.pk],
    )
    return Desk(
        queue=queue,
        team=team,
        device_a=device_a,
        device_b=device_b,
        ticket_a=ticket_a,
        ticket_a_other=ticket_a_other,
        ticket_b=ticket_b,
        internal_note=note,
        public_file=Attachment.unscoped.get(reply=reply),
        internal_file=Attachment.unscoped.get(reply=note),
    )
