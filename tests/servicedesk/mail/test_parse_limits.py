"""parse_message at the edges: huge and many parts, deep nesting, odd inputs."""

from __future__ import annotations

import os
from email.message import EmailMessage

import pytest

from steward.servicedesk.mail import parse_message
from steward.servicedesk.mail.parse import MAX_TEXT_CHARS

from .conftest import sample

MB = 1024 * 1024


def message_with(payloads: list[tuple[str, bytes]], text: str = "See attached.") -> bytes:
    message = EmailMessage()
    message["From"] = "alice@alpha.example"
    message["To"] = "support@desk.example"
    message["Subject"] = "attachments"
    message["Message-ID"] = "<limits@alpha.example>"
    message.set_content(text)
    for name, payload in payloads:
        message.add_attachment(payload, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def test_a_30_mb_attachment_is_skipped_by_default_and_kept_when_allowed() -> None:
    big = os.urandom(30 * MB)
    raw = message_with([("disk-image.bin", big), ("small.txt", b"small")])

    mail = parse_message(raw)
    assert [a.filename for a in mail.attachments] == ["small.txt"]
    [skipped] = mail.skipped_attachments
    assert (skipped.filename, skipped.size, skipped.reason) == ("disk-image.bin", 30 * MB, "too big")
    assert mail.text == "See attached."

    roomy = parse_message(raw, max_attachment_bytes=40 * MB)
    assert roomy.attachments[0].payload == big


def nested(depth: int) -> bytes:
    head = b"From: a@alpha.example\nSubject: deep\nMIME-Version: 1.0\n"
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth)
    )
    return head + opening + b"Content-Type: text/plain\n\ninnermost\n"


def test_nesting_beyond_our_limit_is_reported() -> None:
    mail = parse_message(nested(40))
    assert mail.ok and mail.subject == "deep"
    assert "MIME nesting deeper than 25; inner parts only in the raw message" in mail.errors
    assert mail.text == ""


def test_nesting_beyond_the_stdlib_parser_falls_back_to_the_headers() -> None:
    mail = parse_message(nested(2000))
    assert mail.ok and mail.subject == "deep" and mail.from_address == "a@alpha.example"
    assert "MIME structure nested too deeply; the body is shown unparsed" in mail.errors
    assert "innermost" in mail.text  # nothing hidden: the unparsed body is there


def test_thousands_of_parts_are_capped() -> None:
    parts = b"".join(b"--P\nContent-Type: text/plain\n\npart %d\n" % i for i in range(3000))
    raw = (
        b'From: a@alpha.example\nSubject: many\nContent-Type: multipart/mixed; boundary="P"\n\n'
        + parts
        + b"--P--\n"
    )
    mail = parse_message(raw)
    assert any("more than 1000 MIME parts" in e for e in mail.errors)
    assert mail.text.startswith("part 0\n\npart 1")


def test_giant_text_body_is_cut_with_a_note() -> None:
    raw = b"From: a@alpha.example\nSubject: long\n\n" + b"word " * (MAX_TEXT_CHARS // 4)
    mail = parse_message(raw)
    assert len(mail.text) <= MAX_TEXT_CHARS
    assert any("was cut" in e for e in mail.errors)


def test_nul_and_control_characters_never_reach_the_result() -> None:
    raw = b"From: a@alpha.example\nSubject: nul\x00here\x07\n\nbody\x00with\x1bnul\n"
    mail = parse_message(raw)
    assert mail.subject == "nul here"
    assert mail.text == "bodywithnul"


def test_envelope_sender_overrides_return_path() -> None:
    null = parse_message(sample("plain.eml"), envelope_from="<>")
    assert null.return_path == "" and null.is_bounce and null.is_auto
    assert (
        parse_message(sample("plain.eml"), envelope_from="Alice@Alpha.example").return_path
        == "alice@alpha.example"
    )


def test_many_received_headers_mean_a_mail_loop() -> None:
    hops = b"".join(
        b"Received: from hop%d by hop%d; Tue, 5 Mar 2024 10:00:00 +0000\n" % (i, i + 1) for i in range(40)
    )
    mail = parse_message(hops + sample("plain.eml"))
    assert mail.hop_count == 41
    assert mail.loop_hint == "41 Received headers (a mail loop between servers)"


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00" * 100, b"hello world", b":::\n\n"])
def test_garbage_is_not_an_email(raw: bytes) -> None:
    mail = parse_message(raw)
    assert not mail.ok and mail.errors and mail.size == len(raw)


def test_buffer_types_are_accepted() -> None:
    raw = sample("plain.eml")
    assert parse_message(bytearray(raw)).message_id == parse_message(raw).message_id
    assert parse_message(memoryview(raw)).message_id == "<CAB1234.plain@mail.alpha.example>"


def test_crlf_and_lf_line_ends_parse_alike() -> None:
    raw = sample("gmail_reply.eml")
    lf, crlf = parse_message(raw), parse_message(raw.replace(b"\n", b"\r\n"))
    assert (crlf.subject, crlf.reply_text, crlf.text) == (lf.subject, lf.reply_text, lf.text)
