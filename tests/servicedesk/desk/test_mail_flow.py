"""Mail in and out of the desk: new tickets, threading, participants, loops, review, retries."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core import mail as django_mail

from steward.core.models import Contact
from steward.core.scoping import Scope
from steward.core.services import blobs
from steward.servicedesk.models import InboundMail, Mailbox, OutboundMail, Reply, Ticket, TicketStatus
from steward.servicedesk.services import conversation, mail_in, tickets

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome


def raw_mail(
    *,
    sender: str = "Carol Client <carol@client-a.example>",
    subject: str = "Printer on floor 2 is jammed",
    body: str = "Hello,\n\nthe printer is jammed again.\n\nCarol",
    message_id: str = "<m1@client-a.example>",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        "To: support@desk.example",
        f"Subject: {subject}",
        "Date: Mon, 16 Nov 2026 09:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


@pytest.fixture
def desk(world):
    world.client_a.email_domain = "client-a.example"
    world.client_a.save()
    contact = Contact.unscoped.create(
        client=world.client_a, full_name="Carol Client", email="carol@client-a.example"
    )
    mailbox = Mailbox.objects.create(provider=world.provider, address="support@desk.example")
    return world, contact, mailbox


@pytest.fixture
def receive(committed):
    def deliver(world, raw: bytes, mailbox=None) -> InboundMail:
        return committed(mail_in.receive, raw, provider_id=world.provider.pk, mailbox=mailbox)

    return deliver


def test_new_mail_opens_a_ticket_for_the_contact_and_acknowledges(desk, receive, committed):
    world, contact, mailbox = desk
    record = receive(world, raw_mail(), mailbox)
    assert record.outcome == Outcome.NEW_TICKET
    ticket = record.ticket
    assert ticket.client == world.client_a
    assert ticket.requester_contact == contact
    assert ticket.channel == "email"
    first = Reply.unscoped.get(ticket=ticket)
    assert first.from_customer and first.message_id == "<m1@client-a.example>"
    assert "printer is jammed" in first.body_text
    assert blobs.read(record.raw_sha256) == raw_mail()  # the raw message is always kept
    ack = django_mail.outbox[-1]
    assert ack.to == ["carol@client-a.example"]
    sent = email.message_from_bytes(ack.message().as_bytes(), policy=policy.default)
    assert f"[T-{ticket.pk}]" in sent["Subject"]
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<m1@client-a.example>"


def test_staff_reply_threads_and_customer_answer_returns_to_the_same_ticket(desk, receive, committed):
    world, _contact, mailbox = desk
    ticket = receive(world, raw_mail(), mailbox).ticket
    tech = Scope.for_user(world.users["technician_all"])
    committed(
        conversation.add_reply,
        tech,
        ticket,
        "Please switch it off and on again.",
        status=TicketStatus.WAITING_ON_CUSTOMER,
    )
    out = OutboundMail.objects.filter(ticket=ticket).order_by("-id").first()
    assert out.state == OutboundMail.State.SENT
    sent = email.message_from_bytes(django_mail.outbox[-1].message().as_bytes(), policy=policy.default)
    assert sent["In-Reply-To"] == "<m1@client-a.example>"
    assert "<m1@client-a.example>" in sent["References"]
    # The customer answers the staff mail: threaded by In-Reply-To, no subject tag needed.
    answer = raw_mail(
        subject="Re: something else entirely",
        body="Done, it works now.\n\nOn Mon, Tech wrote:\n> Please switch it off and on again.",
        message_id="<m2@client-a.example>",
        headers={"In-Reply-To": out.message_id, "References": f"<m1@client-a.example> {out.message_id}"},
    )
    record = receive(world, answer, mailbox)
    assert record.outcome == Outcome.FOLLOW_UP and record.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN  # the answer resumed the ticket
    latest = Reply.unscoped.filter(ticket=ticket).order_by("-id").first()
    assert latest.body_text == "Done, it works now."  # quoted history stripped


def test_subject_tag_threads_but_only_for_participants(desk, receive, committed):
    world, _contact, mailbox = desk
    ticket = receive(world, raw_mail(), mailbox).ticket
    follow = receive(
        world, raw_mail(subject=f"Re: [T-{ticket.pk}] printer", message_id="<m3@client-a.example>")
    )
    assert follow.outcome == Outcome.FOLLOW_UP and follow.ticket == ticket
    stranger = raw_mail(
        sender="mallory@evil.example",
        subject=f"[T-{ticket.pk}] pay this invoice",
        message_id="<x@evil.example>",
    )
    record = receive(world, stranger)
    assert record.outcome == Outcome.REVIEW and "not a participant" in record.reason
    assert not Reply.unscoped.filter(ticket=ticket, author_email="mallory@evil.example").exists()


def test_duplicate_auto_reply_loop_and_unknown_sender_are_not_tickets(desk, receive, committed):
    world, _contact, mailbox = desk
    assert receive(world, raw_mail(), mailbox).outcome == Outcome.NEW_TICKET
    assert receive(world, raw_mail(), mailbox).outcome == Outcome.DUPLICATE
    ooo = raw_mail(message_id="<ooo@client-a.example>", headers={"Auto-Submitted": "auto-replied"})
    assert receive(world, ooo, mailbox).outcome == Outcome.AUTO_REPLY
    loop = raw_mail(message_id="<loop@client-a.example>", headers={"X-Steward-Ticket": "1"})
    assert receive(world, loop, mailbox).outcome == Outcome.LOOP
    unknown = raw_mail(sender="someone@nowhere.example", message_id="<u@nowhere.example>")
    record = receive(world, unknown, mailbox)
    assert record.outcome == Outcome.REVIEW and "No client" in record.reason
    assert Ticket.unscoped.count() == 1
    assert InboundMail.objects.count() == 5  # every message is kept, whatever happened to it


def test_forged_client_domain_goes_to_review(desk, receive, committed):
    world, _contact, mailbox = desk
    forged = raw_mail(
        sender="ceo@client-a.example",
        message_id="<forged@evil.example>",
        headers={
            "Authentication-Results": "; ".join(
                [
                    "mx.desk.example",
                    "spf=fail smtp.mailfrom=client-a.example",
                    "dmarc=fail header.from=client-a.example",
                ]
            )
        },
    )
    record = receive(world, forged, mailbox)
    assert record.outcome == Outcome.REVIEW and "forged" in record.reason
    assert not Ticket.unscoped.exists()


def test_garbage_lands_in_review_and_staff_can_turn_it_into_a_ticket(desk, receive, committed):
    world, _contact, mailbox = desk
    record = receive(world, b"\x00\xff\xfe not a mail at all \x00" * 10, mailbox)
    assert record.outcome == Outcome.REVIEW
    admin = Scope.for_user(world.users["provider_admin"])
    assert list(mail_in.review_queue(admin)) == [record]
    ticket = mail_in.accept_for_client(admin, record, world.client_a.pk)
    assert ticket.attachments.get().filename == "original-message.eml"
    record.refresh_from_db()
    assert record.outcome == Outcome.NEW_TICKET and record.ticket == ticket


def test_executable_attachment_is_kept_only_in_the_raw_mail(desk, receive, committed):
    world, _contact, mailbox = desk
    raw = (
        b"From: carol@client-a.example\r\nTo: support@desk.example\r\nSubject: Files\r\n"
        b"Message-ID: <att@client-a.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b'--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="quote.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="setup.exe"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n"
    )
    ticket = receive(world, raw, mailbox).ticket
    names = sorted(ticket.attachments.values_list("filename", flat=True))
    assert names == ["original-message.eml", "quote.pdf"]
    note = Reply.unscoped.get(ticket=ticket, visibility="internal")
    assert "setup.exe" in note.body_text


def test_bounce_marks_the_sent_mail_failed(desk, receive, committed):
    world, _contact, mailbox = desk
    ticket = receive(world, raw_mail(), mailbox).ticket
    ack = OutboundMail.objects.get(ticket=ticket)
    bounce = (
        "From: MAILER-DAEMON@client-a.example\r\nTo: support@desk.example\r\nSubject: Undelivered\r\n"
        "Message-ID: <bounce1@mx.example>\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        "Final-Recipient: rfc822; carol@client-a.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack.message_id}\r\n--r--\r\n"
    ).encode()
    record = receive(world, bounce, mailbox)
    assert record.outcome == Outcome.BOUNCE
    ack.refresh_from_db()
    assert ack.state == OutboundMail.State.FAILED and ack.last_error.startswith("Bounced")


def test_portal_ticket_from_end_user_is_acknowledged_but_staff_ticket_is_not(desk, receive, committed):
    world, _contact, _mailbox = desk
    committed(
        tickets.open_ticket,
        Scope.for_user(world.users["end_user_a"]),
        subject="New mouse",
        body="Mine broke.",
    )
    assert len(django_mail.outbox) == 1
    committed(
        tickets.open_ticket,
        Scope.for_user(world.users["technician_all"]),
        client_id=world.client_a.pk,
        subject="Check",
        body="x",
    )
    assert len(django_mail.outbox) == 1
