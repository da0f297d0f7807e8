"""Mail through real sockets: a customer's mail to the SMTP listener becomes a ticket, and the
acknowledgement leaves through a real SMTP server (aiosmtpd) with the threading headers."""

from __future__ import annotations

import email
import smtplib
import socket
import threading
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from steward.core.models import Contact
from steward.servicedesk.mail.smtp_listener import build_inbound_server
from steward.servicedesk.models import InboundMail, Mailbox, Ticket
from steward.servicedesk.services import mail_in

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Capture:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        self.received.set()
        return "250 OK"


@pytest.fixture
def outbound_smtp(settings):
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield capture
    controller.stop()


def test_mail_to_the_listener_opens_a_ticket_and_the_ack_goes_out_over_smtp(world, outbound_smtp):
    world.client_a.email_domain = "client-a.example"
    world.client_a.save()
    Contact.unscoped.create(client=world.client_a, full_name="Carol", email="carol@client-a.example")
    Mailbox.objects.create(provider=world.provider, address="help@desk.example")
    server = build_inbound_server(
        "127.0.0.1", free_port(), mail_in.receive_smtp, 10 * 1024 * 1024, mail_in.mailbox_domains()
    ).start()
    try:
        raw = (
            "From: Carol <carol@client-a.example>\r\nTo: help@desk.example\r\nSubject: Screen flickers\r\n"
            "Message-ID: <flicker@client-a.example>\r\n\r\nMy screen flickers since the update.\r\n"
        )
        with smtplib.SMTP(server.host, server.port, timeout=10) as client:
            refused = client.sendmail("carol@client-a.example", ["help@desk.example"], raw)
        assert refused == {}
        with (
            smtplib.SMTP(server.host, server.port, timeout=10) as client,
            pytest.raises(smtplib.SMTPRecipientsRefused),
        ):
            client.sendmail("carol@client-a.example", ["nobody@elsewhere.example"], raw)
    finally:
        server.stop()
    record = InboundMail.objects.get()
    assert record.outcome == InboundMail.Outcome.NEW_TICKET
    ticket = Ticket.unscoped.get()
    assert ticket.subject == "Screen flickers" and ticket.client == world.client_a
    assert outbound_smtp.received.wait(10)
    ack = email.message_from_bytes(outbound_smtp.messages[0], policy=policy.default)
    assert ack["To"] == "carol@client-a.example"
    assert ack["From"].addresses[0].addr_spec == "help@desk.example"
    assert ack["In-Reply-To"] == "<flicker@client-a.example>"
    assert f"[T-{ticket.pk}]" in ack["Subject"]
