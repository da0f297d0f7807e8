"""The desk's setup pages: service levels (YAML validated by the SLA engine), mailboxes with
encrypted passwords, client service profiles, and the mail review queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from steward.core import crypto
from steward.core.scoping import Scope
from steward.servicedesk.models import (
    BusinessCalendar,
    InboundMail,
    Mailbox,
    ServiceProfile,
    SlaPolicy,
    Ticket,
)
from steward.servicedesk.services import mail_in, tickets

pytestmark = pytest.mark.django_db

CALENDAR = "timezone: Europe/London\nhours:\n  mon-fri: ['09:00-17:00']\n"
POLICY = (
    "targets:\n"
    "  first_response: {p1: 30m, p2: 1h, p3: 4h, p4: 8h}\n"
    "  resolution: {p1: 4h, p2: 8h, p3: 24h, p4: 40h}\n"
)


def test_only_provider_admins_reach_setup_pages(world, login_as):
    urls = [
        reverse("sla_setup"),
        reverse("sla_policy_create"),
        reverse("calendar_create"),
        reverse("mailbox_list"),
        reverse("mailbox_create"),
        reverse("inbound_mail_list"),
        reverse("service_profile_edit", args=[world.client_a.pk]),
    ]
    for key in ("technician_all", "client_admin_a", "client_it_a", "end_user_a"):
        http = login_as(world.users[key])
        for url in urls:
            assert http.get(url).status_code in (403, 404), (key, url)
    http = login_as(world.users["provider_admin"])
    for url in urls:
        assert http.get(url).status_code == 200, url


def test_calendar_and_sla_are_validated_and_saved(world, login_as):
    http = login_as(world.users["provider_admin"])
    bad_yaml = http.post(
        reverse("calendar_create"), {"name": "Office", "definition_text": "hours: [unclosed"}
    )
    assert bad_yaml.status_code == 200 and b"Not valid YAML" in bad_yaml.content
    bad_zone = http.post(
        reverse("calendar_create"), {"name": "Office", "definition_text": "timezone: Mars/Olympus"}
    )
    assert bad_zone.status_code == 200 and b"Mars/Olympus" in bad_zone.content
    assert not BusinessCalendar.objects.exists()
    done = http.post(
        reverse("calendar_create"), {"name": "Office", "is_default": "on", "definition_text": CALENDAR}
    )
    assert done.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.definition["hours"] == {"mon-fri": ["09:00-17:00"]}
    negative = POLICY.replace("p4: 8h", "p4: -5m")
    refused = http.post(reverse("sla_policy_create"), {"name": "Std", "definition_text": negative})
    assert refused.status_code == 200 and not SlaPolicy.objects.exists()
    ticket = tickets.open_ticket(
        Scope.for_user(world.users["technician_all"]), client_id=world.client_a.pk, subject="Slow", body="x"
    )
    assert ticket.sla_state == {}
    saved = http.post(
        reverse("sla_policy_create"),
        {"name": "Std", "calendar": calendar.pk, "is_default": "on", "definition_text": POLICY},
        follow=True,
    )
    assert b"1 open ticket(s) was recomputed" in saved.content
    ticket.refresh_from_db()
    assert ticket.sla_state["policy"] == "Std"


def test_client_profile_picks_the_sla(world, login_as):
    admin = world.users["provider_admin"]
    calendar = BusinessCalendar.objects.create(
        provider=world.provider, name="24/7", definition={"timezone": "UTC", "always_open": True}
    )
    SlaPolicy.objects.create(
        provider=world.provider,
        name="Default",
        is_default=True,
        definition={"targets": {"resolution": {"p3": "8h"}}},
    )
    gold = SlaPolicy.objects.create(
        provider=world.provider,
        name="Gold",
        calendar=calendar,
        definition={"targets": {"resolution": {"p3": "2h"}}},
    )
    ticket = tickets.open_ticket(Scope.for_user(admin), client_id=world.client_a.pk, subject="Down", body="x")
    assert ticket.sla_state["policy"] == "Default"
    url = reverse("service_profile_edit", args=[world.client_a.pk])
    http = login_as(admin)
    assert http.post(url, {"sla_policy": gold.pk, "sender_name": "Alpha IT"}).status_code == 302
    assert ServiceProfile.objects.get(client=world.client_a).sender_name == "Alpha IT"
    ticket.refresh_from_db()
    assert (ticket.sla_state["policy"], ticket.sla_state["source"]) == ("Gold", "client")
    # Another client's site cannot be chosen for client A's profile.
    assert http.post(url, {"site": world.site_b.pk, "sla_policy": gold.pk}).status_code == 200
    assert ServiceProfile.objects.count() == 1


def stored_password(mailbox: Mailbox) -> str:
    return crypto.decrypt(mailbox.imap_password_encrypted, purpose="mailbox", context=str(mailbox.pk))


def test_mailbox_password_is_stored_encrypted_and_never_shown(world, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("mailbox_create"),
        {
            "address": "help@desk.example",
            "enabled": "on",
            "imap_host": "imap.desk.example",
            "imap_port": 993,
            "imap_security": "ssl",
            "imap_username": "help",
            "imap_folder": "INBOX",
            "imap_password": "Sup3r-secret-pw",
        },
    )
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert "Sup3r" not in mailbox.imap_password_encrypted
    assert (
        crypto.decrypt(mailbox.imap_password_encrypted, purpose="mailbox", context=str(mailbox.pk))
        == "Sup3r-secret-pw"
    )
    page = http.get(reverse("mailbox_edit", args=[mailbox.pk]))
    assert b"Sup3r-secret-pw" not in page.content
    # Saving without a password keeps the stored one.
    data = {
        "address": "help@desk.example",
        "enabled": "on",
        "imap_host": "imap.desk.example",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_username": "help",
        "imap_folder": "INBOX",
    }
    assert http.post(reverse("mailbox_edit", args=[mailbox.pk]), data).status_code == 302
    mailbox.refresh_from_db()
    assert (
        crypto.decrypt(mailbox.imap_password_encrypted, purpose="mailbox", context=str(mailbox.pk))
        == "Sup3r-secret-pw"
    )


def test_review_queue_accept_and_discard(world, login_as):
    garbage = mail_in.receive(b"\x00\x01binary junk", provider_id=world.provider.pk)
    unknown = mail_in.receive(
        b"From: who@nowhere.example\r\nSubject: Hello <script>x</script>\r\n"
        b"Message-ID: <u1@nowhere.example>\r\n\r\nHi",
        provider_id=world.provider.pk,
    )
    assert garbage.outcome == unknown.outcome == InboundMail.Outcome.REVIEW
    http = login_as(world.users["provider_admin"])
    listing = http.get(reverse("inbound_mail_list"))
    assert b"who@nowhere.example" in listing.content and b"<script>x" not in listing.content
    detail = http.get(reverse("inbound_mail_detail", args=[unknown.pk]))
    assert detail.status_code == 200 and b"&lt;script&gt;" in detail.content
    raw = http.get(reverse("inbound_mail_raw", args=[unknown.pk]))
    assert raw["Content-Disposition"].startswith("attachment") and raw.content.startswith(b"From: who@")
    refused = http.post(
        reverse("inbound_mail_detail", args=[unknown.pk]), {"client": world.client_b.pk + 999}
    )
    assert refused.status_code == 200 and not Ticket.unscoped.exists()
    accepted = http.post(reverse("inbound_mail_detail", args=[unknown.pk]), {"client": world.client_a.pk})
    ticket = Ticket.unscoped.get()
    assert accepted.status_code == 302 and ticket.client == world.client_a
    assert (
        http.post(reverse("inbound_mail_detail", args=[garbage.pk]), {"action": "discard"}).status_code == 302
    )
    garbage.refresh_from_db()
    assert garbage.outcome == InboundMail.Outcome.DISCARDED
