"""ImapMailbox against a real Dovecot: nothing is marked seen before it is persisted."""

from __future__ import annotations

import pytest

from steward.servicedesk.mail import MailTransportError, parse_message
from steward.servicedesk.mail.imap import ImapMailbox, encode_mailbox_name

from .conftest import Dovecot, free_port, sample


class Recorder:
    """A handler that persists (records) every message it gets."""

    def __init__(self) -> None:
        self.uids: list[int] = []

    def __call__(self, uid: int, raw: bytes) -> bool:
        self.uids.append(uid)
        return True


def mailbox(server: Dovecot, **options: object) -> ImapMailbox:
    defaults: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "username": server.user,
        "password": server.password,
        "security": "none",
        "timeout": 10.0,
    }
    defaults.update(options)
    return ImapMailbox(**defaults)  # type: ignore[arg-type]


def test_persisted_messages_are_marked_seen_and_handed_over_byte_for_byte(dovecot: Dovecot) -> None:
    first = dovecot.append(sample("plain.eml"))
    second = dovecot.append(sample("german_reply.eml"))
    stored: dict[int, bytes] = {}

    def handler(uid: int, raw: bytes) -> bool:
        stored[uid] = raw
        return True

    report = mailbox(dovecot).fetch(handler)

    assert report.processed == [first, second]
    assert report.failed == []
    assert parse_message(stored[first]).message_id == "<CAB1234.plain@mail.alpha.example>"
    assert parse_message(stored[second]).subject == "AW: [T-77] Drucker im Büro"
    # APPEND stores CRLF lines; the bytes are what the server holds, unchanged.
    assert stored[first].replace(b"\r\n", b"\n") == sample("plain.eml")
    assert dovecot.flags() == {first: {"\\Seen"}, second: {"\\Seen"}}
    # A second poll finds nothing new.
    assert mailbox(dovecot).fetch(handler).seen == 0


def test_handler_failure_leaves_the_message_unseen_for_the_next_poll(dovecot: Dovecot) -> None:
    good = dovecot.append(sample("plain.eml"))
    raises = dovecot.append(sample("gmail_reply.eml"))
    refuses = dovecot.append(sample("outlook_reply.eml"))

    def handler(uid: int, raw: bytes) -> bool:
        if uid == raises:
            raise RuntimeError("database is locked")
        return uid != refuses

    report = mailbox(dovecot).fetch(handler)

    assert report.processed == [good]
    assert [uid for uid, _ in report.failed] == [raises, refuses]
    assert "database is locked" in report.failed[0][1]
    flags = dovecot.flags()
    assert flags[good] == {"\\Seen"}
    assert "\\Seen" not in flags[raises] and "\\Seen" not in flags[refuses]

    # Once the database is back, the next poll gets exactly the two left behind.
    retried = Recorder()
    report = mailbox(dovecot).fetch(retried)
    assert retried.uids == [raises, refuses]
    assert all("\\Seen" in f for f in dovecot.flags().values())


def test_limit_takes_the_oldest_first(dovecot: Dovecot) -> None:
    uids = [dovecot.append(sample("plain.eml")) for _ in range(3)]
    handled = Recorder()
    report = mailbox(dovecot).fetch(handled, limit=2)
    assert handled.uids == uids[:2]
    assert report.seen == 2
    assert "\\Seen" not in dovecot.flags()[uids[2]]


def test_already_seen_messages_are_not_fetched(dovecot: Dovecot) -> None:
    dovecot.append(sample("plain.eml"), flags="(\\Seen)")
    unseen = dovecot.append(sample("gmail_reply.eml"))
    handled = Recorder()
    mailbox(dovecot).fetch(handled)
    assert handled.uids == [unseen]


def test_processed_messages_move_to_the_processed_folder(dovecot: Dovecot) -> None:
    dovecot.append(sample("plain.eml"))
    failing = dovecot.append(sample("gmail_reply.eml"))
    box = mailbox(dovecot, processed_folder="Erledigt & Fertig \u2013 Steward")

    report = box.fetch(lambda uid, raw: uid != failing)

    assert len(report.processed) == 1
    assert list(dovecot.flags("INBOX")) == [failing]  # only the failed one stays
    moved = dovecot.flags(encode_mailbox_name("Erledigt & Fertig \u2013 Steward"))
    assert list(moved.values()) == [{"\\Seen"}]


def test_unusable_processed_folder_fails_before_any_message_is_handled(dovecot: Dovecot) -> None:
    uid = dovecot.append(sample("plain.eml"))
    handled = Recorder()
    with pytest.raises(MailTransportError, match="processed folder 'a/b' cannot be created"):
        mailbox(dovecot, processed_folder="a/b").fetch(handled)
    assert handled.uids == []
    assert dovecot.flags() == {uid: set()}


def test_other_folder_and_oversized_messages(dovecot: Dovecot) -> None:
    conn = dovecot.client()
    assert conn.create("Support")[0] == "OK"
    small = dovecot.append(sample("plain.eml"), folder="Support")
    big = dovecot.append(sample("fifty_attachments.eml"), folder="Support")
    handled = Recorder()

    report = mailbox(dovecot, folder="Support", max_message_bytes=2000).fetch(handled)

    assert handled.uids == [small]
    assert [uid for uid, _ in report.oversized] == [big]
    assert "\\Seen" not in dovecot.flags("Support")[big]  # left for an operator, not lost


def test_implicit_tls(dovecot: Dovecot) -> None:
    uid = dovecot.append(sample("plain.eml"))
    box = mailbox(dovecot, port=dovecot.ssl_port, security="ssl", ssl_context=dovecot.tls.client_context())
    assert box.fetch(lambda uid, raw: True).processed == [uid]


def test_starttls(dovecot: Dovecot) -> None:
    uid = dovecot.append(sample("plain.eml"))
    box = mailbox(dovecot, security="starttls", ssl_context=dovecot.tls.client_context())
    assert box.fetch(lambda uid, raw: True).processed == [uid]


def test_untrusted_certificate_is_refused(dovecot: Dovecot) -> None:
    box = mailbox(dovecot, port=dovecot.ssl_port, security="ssl")  # system CAs only
    with pytest.raises(MailTransportError, match=r"IMAP connection to 127\.0\.0\.1"):
        box.fetch(lambda uid, raw: True)


def test_wrong_password_error_names_the_account_but_never_the_password(dovecot: Dovecot) -> None:
    dovecot.append(sample("plain.eml"))
    wrong = "Wr0ng-Secret-Öäü"
    with pytest.raises(MailTransportError) as caught:
        mailbox(dovecot, password=wrong).fetch(lambda uid, raw: True)
    message = str(caught.value)
    assert "login" in message and dovecot.user in message
    assert wrong not in message and dovecot.password not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "\\Seen" not in next(iter(dovecot.flags().values()))


def test_unreachable_server_is_a_clear_error() -> None:
    box = ImapMailbox("127.0.0.1", free_port(), "u", "secret-pw", "none", timeout=5)
    with pytest.raises(MailTransportError, match=r"IMAP connection to 127\.0\.0\.1:\d+ failed"):
        box.fetch(lambda uid, raw: True)


def test_missing_folder_is_a_clear_error(dovecot: Dovecot) -> None:
    with pytest.raises(MailTransportError, match="cannot open folder 'Nope'"):
        mailbox(dovecot, folder="Nope").fetch(lambda uid, raw: True)


def test_modified_utf7_folder_names() -> None:
    assert encode_mailbox_name("INBOX") == '"INBOX"'
    assert encode_mailbox_name("Entwürfe") == '"Entw&APw-rfe"'
    assert encode_mailbox_name("A & B") == '"A &- B"'
    assert encode_mailbox_name('say "hi"') == '"say \\"hi\\""'
