"""The inbound SMTP listener over a real socket, with smtplib as the sending server."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from steward.servicedesk.mail import parse_message
from steward.servicedesk.mail.smtp_listener import InboundSmtpServer, build_inbound_server

from .conftest import sample

Received = tuple[str, list[str], bytes]


def crlf(raw: bytes) -> bytes:
    """Mail on the wire has CRLF line ends (the samples are stored with LF)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@contextmanager
def listening(
    handler: Callable[[str, list[str], bytes], bool], *, max_bytes: int = 1_000_000
) -> Iterator[InboundSmtpServer]:
    server = build_inbound_server(
        "127.0.0.1", 0, handler, max_message_bytes=max_bytes, allowed_recipient_domains={"desk.example"}
    )
    with server:
        yield server


def client(server: InboundSmtpServer) -> smtplib.SMTP:
    return smtplib.SMTP(server.host, server.port, timeout=10)


class Store:
    """Stands in for the database: a real handler with a switch to make it fail."""

    def __init__(self) -> None:
        self.mails: list[Received] = []
        self.broken: str | None = None  # "raise" or "refuse"
        self.lock = threading.Lock()

    def __call__(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> bool:
        if self.broken == "raise":
            raise RuntimeError("database is locked")
        if self.broken == "refuse":
            return False
        with self.lock:
            self.mails.append((mail_from, rcpt_tos, raw))
        return True


def test_accepted_mail_reaches_the_handler_unchanged() -> None:
    store = Store()
    raw = crlf(sample("german_reply.eml") + b".a line that starts with a dot\n")
    with listening(store) as server, client(server) as smtp:
        refused = smtp.sendmail("J.Mueller@mueller-gmbh.example", ["Support@Desk.example"], raw)

    assert refused == {}
    [(mail_from, rcpt_tos, received)] = store.mails
    assert mail_from == "J.Mueller@mueller-gmbh.example"
    assert rcpt_tos == ["support@desk.example"]
    assert received == raw  # dot-stuffing undone, 8-bit-safe
    assert parse_message(received, envelope_from=mail_from).subject == "AW: [T-77] Drucker im Büro"


def test_raw_8bit_and_smtputf8_mail_is_accepted() -> None:
    store = Store()
    raw = crlf(sample("raw_8bit_utf8.eml"))
    with listening(store) as server, client(server) as smtp:
        smtp.sendmail("jürgen@client.example", ["support@desk.example"], raw, mail_options=["SMTPUTF8"])
    [(mail_from, _, received)] = store.mails
    assert mail_from == "jürgen@client.example"
    assert parse_message(received).subject == "Grüße \u2013 Bildschirm defekt"


def test_null_sender_bounce_is_accepted_and_marked_as_bounce() -> None:
    store = Store()
    with listening(store) as server, client(server) as smtp:
        smtp.sendmail("", ["support@desk.example"], crlf(sample("dsn_bounce.eml")))
    [(mail_from, _, raw)] = store.mails
    assert mail_from == ""
    parsed = parse_message(raw, envelope_from=mail_from)
    assert parsed.is_bounce and parsed.return_path == ""


def test_too_big_mail_gets_552_whether_announced_or_not() -> None:
    store = Store()
    big = crlf(sample("plain.eml") + b"x" * 70 + b"\n") * 200
    with listening(store, max_bytes=10_000) as server:
        with client(server) as smtp, pytest.raises(smtplib.SMTPSenderRefused) as announced:
            smtp.sendmail("alice@alpha.example", ["support@desk.example"], big)  # MAIL FROM … SIZE=
        assert announced.value.smtp_code == 552
        with client(server) as smtp:
            smtp.ehlo()
            assert smtp.mail("alice@alpha.example")[0] == 250  # no SIZE parameter
            assert smtp.rcpt("support@desk.example")[0] == 250
            code, _ = smtp.data(big)
            assert code == 552
    assert store.mails == []


def test_unknown_recipient_gets_550_and_known_ones_still_get_the_mail() -> None:
    store = Store()
    raw = crlf(sample("plain.eml"))
    with listening(store) as server:
        with client(server) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            smtp.sendmail("alice@alpha.example", ["someone@elsewhere.example"], raw)
        assert caught.value.recipients["someone@elsewhere.example"][0] == 550
        with client(server) as smtp:
            refused = smtp.sendmail(
                "alice@alpha.example", ["x@elsewhere.example", "support@desk.example"], raw
            )
        assert refused["x@elsewhere.example"][0] == 550
    assert [rcpts for _, rcpts, _ in store.mails] == [["support@desk.example"]]


@pytest.mark.parametrize("failure", ["raise", "refuse"])
def test_handler_failure_gets_451_so_the_sender_retries_and_nothing_is_lost(failure: str) -> None:
    store = Store()
    store.broken = failure
    raw = crlf(sample("outlook_reply.eml"))
    with listening(store) as server:
        with client(server) as smtp, pytest.raises(smtplib.SMTPDataError) as caught:
            smtp.sendmail("alice@alpha.example", ["support@desk.example"], raw)
        assert caught.value.smtp_code == 451  # temporary: the sending server keeps the mail
        assert store.mails == []

        store.broken = None  # the database is back; the sending server retries
        with client(server) as smtp:
            assert smtp.sendmail("alice@alpha.example", ["support@desk.example"], raw) == {}
    assert [m[2] for m in store.mails] == [raw]


def test_invalid_recipient_address_is_refused() -> None:
    store = Store()
    with listening(store) as server, client(server) as smtp:
        smtp.ehlo()
        smtp.mail("alice@alpha.example")
        code, _ = smtp.rcpt("<not an address>")
        assert code in (501, 553)
    assert store.mails == []


def test_without_a_domain_list_every_recipient_is_accepted() -> None:
    store = Store()
    server = build_inbound_server("127.0.0.1", 0, store, max_message_bytes=100_000)
    with server, client(server) as smtp:
        smtp.sendmail("a@alpha.example", ["anyone@any.example"], crlf(sample("plain.eml")))
    assert store.mails[0][1] == ["anyone@any.example"]
