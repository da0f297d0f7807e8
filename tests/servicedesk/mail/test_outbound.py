"""Sending composed mail through Django's SMTP backend to a real local SMTP server."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.headerregistry import AddressHeader
from email.message import Message
from email.policy import default

import pytest
from django.core import mail as django_mail
from pytest_django.fixtures import Settings as SettingsWrapper

from steward.config import parse_smtp_url
from steward.servicedesk.mail import compose_message, parse_message
from steward.servicedesk.mail.outbound import SendError, message_from_raw, send_message, send_messages
from steward.servicedesk.mail.smtp_listener import InboundSmtpServer, build_inbound_server

from .conftest import free_port
from .test_smtp_listener import Store

DOMAIN = "desk.example"


@pytest.fixture
def captured() -> Iterator[tuple[InboundSmtpServer, Store]]:
    store = Store()
    server = build_inbound_server(
        "127.0.0.1", 0, store, max_message_bytes=5_000_000, allowed_recipient_domains={"alpha.example"}
    )
    with server:
        yield server, store


@pytest.fixture
def smtp_settings(settings: SettingsWrapper, captured: tuple[InboundSmtpServer, Store]) -> Store:
    server, store = captured
    smtp = parse_smtp_url(f"smtp://{server.host}:{server.port}")
    assert smtp is not None
    # What steward.settings derives from STEWARD_SMTP_URL.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = smtp.username, smtp.password
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = smtp.use_tls, smtp.use_ssl
    settings.EMAIL_TIMEOUT = 10
    return store


def reply(**overrides: object) -> email.message.EmailMessage:
    fields: dict[str, object] = {
        "from_address": "support@desk.example",
        "from_name": "Alpha Dental IT-Support (Müller & Co)",
        "to": [("Alice Älpha", "alice@alpha.example")],
        "cc": ["bob@alpha.example"],
        "subject": "Re: [T-1042] Drucker im Büro",
        "text": "Hallo Alice,\n\nder Techniker kommt um 14 Uhr.\n",
        "html": "<p>Hallo Alice,</p><p>der Techniker kommt um <b>14 Uhr</b>.</p>",
        "message_id_domain": DOMAIN,
        "in_reply_to": "<AM0PR01MB1234.outlook@AM0PR01MB1234.eurprd01.prod.outlook.com>",
        "references": ["<CAB1234.plain@mail.alpha.example>", "<18e0f.5a5a@desk.example>"],
        "ticket_number": 1042,
    }
    fields.update(overrides)
    return compose_message(**fields)  # type: ignore[arg-type]


def received(store: Store, index: int = 0) -> Message:
    return email.message_from_bytes(store.mails[index][2], policy=default)


def test_reply_arrives_with_threading_headers_and_branding(smtp_settings: Store) -> None:
    message = reply()
    send_message(message)

    [(mail_from, rcpt_tos, raw)] = smtp_settings.mails
    assert mail_from == "support@desk.example"
    assert rcpt_tos == ["alice@alpha.example", "bob@alpha.example"]
    got = received(smtp_settings)
    assert got["Message-ID"] == message["Message-ID"]
    assert got["Message-ID"].endswith(f"@{DOMAIN}>")
    assert got["In-Reply-To"] == "<AM0PR01MB1234.outlook@AM0PR01MB1234.eurprd01.prod.outlook.com>"
    assert got["References"].split() == [
        "<CAB1234.plain@mail.alpha.example>",
        "<18e0f.5a5a@desk.example>",
        "<AM0PR01MB1234.outlook@AM0PR01MB1234.eurprd01.prod.outlook.com>",
    ]
    sender, recipient = got["From"], got["To"]
    assert isinstance(sender, AddressHeader) and isinstance(recipient, AddressHeader)
    assert sender.addresses[0].display_name == "Alpha Dental IT-Support (Müller & Co)"
    assert recipient.addresses[0].display_name == "Alice Älpha"
    assert str(got["Subject"]) == "Re: [T-1042] Drucker im Büro"
    assert got["X-Steward-Ticket"] == "1042"
    assert got["Auto-Submitted"] is None  # a technician's reply is no automatic mail
    assert all(ord(ch) < 128 for ch in raw.decode("ascii"))  # 7-bit clean on the wire

    parsed = parse_message(raw)
    assert parsed.subject.count("[T-1042]") == 1
    assert parsed.reply_text == "Hallo Alice,\n\nder Techniker kommt um 14 Uhr."
    assert parsed.loop_hint is not None  # our own mail coming back would be recognised


def test_notification_is_marked_automatic_and_messages_ids_are_unique(smtp_settings: Store) -> None:
    first = reply(auto_submitted="auto-generated", in_reply_to=None, references=())
    second = reply(auto_submitted="auto-generated", in_reply_to=None, references=())

    assert send_messages([first, second]) == 2

    headers = [received(smtp_settings, i) for i in range(2)]
    assert [h["Auto-Submitted"] for h in headers] == ["auto-generated"] * 2
    assert [h["X-Auto-Response-Suppress"] for h in headers] == ["All"] * 2
    assert headers[0]["Message-ID"] != headers[1]["Message-ID"]
    assert headers[0]["In-Reply-To"] is None and headers[0]["References"] is None
    assert parse_message(smtp_settings.mails[0][2]).is_auto


def test_long_message_ids_survive_folding(smtp_settings: Store) -> None:
    long_id = "<" + "CAFx7" * 30 + "@mail.gmail.example>"
    send_message(reply(in_reply_to=long_id, references=[f"<ref{i}.{'x' * 40}@a.example>" for i in range(40)]))
    raw = smtp_settings.mails[0][2]
    id_headers = re.findall(rb"^(?:In-Reply-To|References):.*(?:\r\n[ \t].*)*", raw, re.MULTILINE)
    assert len(id_headers) == 2
    assert all(b"=?" not in header for header in id_headers)  # no id turned into an encoded word
    assert all(len(line) <= 998 for header in id_headers for line in header.split(b"\r\n"))
    parsed = parse_message(raw)
    assert parsed.in_reply_to == long_id
    assert parsed.references[-1] == long_id
    assert parsed.references[0] == "<ref0." + "x" * 40 + "@a.example>"  # the thread root is kept
    assert len(parsed.references) == 20


def test_a_stored_message_is_sent_again_unchanged(smtp_settings: Store) -> None:
    long_id = "<" + "CAFx7" * 30 + "@mail.gmail.example>"
    stored = reply(in_reply_to=long_id).as_bytes()
    send_message(message_from_raw(stored))
    assert smtp_settings.mails[0][2] == stored
    assert parse_message(smtp_settings.mails[0][2]).in_reply_to == long_id


def test_bcc_recipients_get_the_mail_but_no_header(smtp_settings: Store) -> None:
    message = reply(cc=())
    message["Bcc"] = "audit@alpha.example"
    send_message(message)
    [(_, rcpt_tos, raw)] = smtp_settings.mails
    assert rcpt_tos == ["alice@alpha.example", "audit@alpha.example"]
    assert b"audit@alpha.example" not in raw
    assert message["Bcc"] == "audit@alpha.example"  # the caller's message is left as it was


def test_refused_recipient_is_a_permanent_error_naming_the_message(smtp_settings: Store) -> None:
    good = reply()
    bad = reply(to=["someone@elsewhere.example"], cc=())
    with pytest.raises(SendError) as caught:
        send_messages([good, bad])
    assert caught.value.sent == 1
    assert caught.value.permanent
    assert caught.value.failed_message_id == bad["Message-ID"]
    assert bad["Message-ID"] in str(caught.value)
    assert len(smtp_settings.mails) == 1


def test_server_side_failure_is_temporary(smtp_settings: Store) -> None:
    smtp_settings.broken = "raise"
    with pytest.raises(SendError) as caught:
        send_message(reply())
    assert not caught.value.permanent
    assert "451" in str(caught.value)


def test_unreachable_server_and_failed_login_never_show_the_password(settings: SettingsWrapper) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "mailer", "Sup3r-Secret-SMTP"
    settings.EMAIL_TIMEOUT = 5
    with pytest.raises(SendError, match=r"sending mail through 127\.0\.0\.1:\d+ failed") as caught:
        send_message(reply())
    assert "Sup3r-Secret-SMTP" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_login_against_a_server_without_auth_fails_cleanly(
    smtp_settings: Store, settings: SettingsWrapper
) -> None:
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "mailer", "Sup3r-Secret-SMTP"
    with pytest.raises(SendError) as caught:
        send_message(reply())
    assert "AUTH" in str(caught.value)
    assert "Sup3r-Secret-SMTP" not in str(caught.value)
    assert smtp_settings.mails == []


def test_locmem_backend_keeps_our_message_for_tests(settings: SettingsWrapper) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = reply()
    send_message(message)
    [outgoing] = django_mail.outbox
    assert outgoing.message().as_bytes() == message.as_bytes()
    assert outgoing.recipients() == ["alice@alpha.example", "bob@alpha.example"]
