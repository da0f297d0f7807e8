"""parse_message over the sample corpus: what each kind of real-world mail yields."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from steward.servicedesk.mail import (
    ParsedMail,
    normalize_subject,
    parse_message,
    replace_cid_urls,
    thread_keys,
    ticket_refs_in_subject,
)

from .conftest import sample, sample_names


def parse(name: str, **options: object) -> ParsedMail:
    return parse_message(sample(name), **options)  # type: ignore[arg-type]


def strings_of(mail: ParsedMail) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(mail)
    return found


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_parses_into_storable_text(name: str) -> None:
    raw = sample(name)
    mail = parse_message(raw)
    assert mail.size == len(raw)
    for text in strings_of(mail):
        text.encode("utf-8")  # no lone surrogates (JSON, PostgreSQL)
        assert "\x00" not in text  # PostgreSQL rejects NUL in text
    for line in [mail.subject, mail.from_name, *(a.filename for a in mail.attachments)]:
        assert "\n" not in line and "\r" not in line
    assert mail.ok == (name != "not_an_email.bin")


def test_plain_mail() -> None:
    mail = parse("plain.eml")
    assert mail.errors == []
    assert mail.message_id == "<CAB1234.plain@mail.alpha.example>"
    assert (mail.from_address, mail.from_name) == ("alice@alpha.example", "Alice Alpha")
    assert mail.to == ["support@desk.example"]
    assert mail.cc == ["bob@alpha.example", "carol@alpha.example"]
    assert mail.delivered_to == ["support@desk.example"]
    assert mail.date == datetime(2024, 3, 5, 9, 58, 1, tzinfo=UTC)
    assert mail.text.startswith("Hi,\n\nthe printer on the 2nd floor")
    assert mail.reply_text == mail.text
    assert mail.html_sanitized is None
    assert not mail.is_auto and not mail.is_bounce and mail.loop_hint is None
    assert mail.authentication.dmarc == "pass"
    assert mail.sender_auth == "pass"


def test_html_only_mail_is_sanitized_and_converted() -> None:
    mail = parse("html_only.eml")
    html = mail.html_sanitized or ""
    for bad in ("<script", "alert", "onload", "onclick", "javascript:", "tracker.example", "<form", "<input",
                "style=", "<style", "Ignore me", "evil"):  # fmt: skip
        assert bad not in html, bad
    assert "<b>front desk</b>" in html
    assert '<a href="https://wiki.bravo.example/screens"' in html
    assert "- Model: Dell P2419H\n- Cable: HDMI" in mail.text
    assert "our wiki (https://wiki.bravo.example/screens)" in mail.text
    assert "flickers since Monday.\nIt gets worse after lunch." in mail.text
    assert "alert" not in mail.text and "Ignore me" not in mail.text
    assert mail.reply_text == mail.text


def test_multipart_alternative_uses_the_plain_part_for_text() -> None:
    mail = parse("alternative.eml")
    assert mail.text.startswith("Please create an account for Dan Delta")
    assert "<b>" not in mail.text
    assert "<b>Dan Delta</b>" in (mail.html_sanitized or "")


def test_outlook_reply() -> None:
    mail = parse("outlook_reply.eml")
    assert (
        mail.reply_text == "It works again, thank you! You can close the ticket.\n\n"
        "Alice Alpha\nOffice Manager | Alpha Dental"
    )
    assert "please switch the printer off" in mail.text  # the full text keeps the history
    assert ticket_refs_in_subject(mail.subject) == [1042]
    assert normalize_subject(mail.subject) == "Printer on the 2nd floor is jammed"
    assert thread_keys(mail) == ["<18e0f.5a5a@desk.example>", "<CAB1234.plain@mail.alpha.example>"]
    # Outlook asks not to be auto-answered; that does not make it an automatic mail.
    assert not mail.is_auto


def test_outlook_web_html_only_reply_in_german() -> None:
    mail = parse("outlook_web_reply.eml")
    assert mail.reply_text == "Still happening today at 15:00 and 16:00.\nLog attached next time."
    assert "Dear Boris" in mail.text
    assert ticket_refs_in_subject(mail.subject) == [77]


def test_gmail_reply_plain_and_html() -> None:
    mail = parse("gmail_reply.eml")
    assert mail.reply_text == "Thanks, the new password works."
    assert thread_keys(mail) == ["<t2001-b@desk.example>", "<t2001-a@desk.example>"]


def test_german_reply_with_signature_and_latin1() -> None:
    mail = parse("german_reply.eml")
    assert mail.subject == "AW: [T-77] Drucker im Büro"
    assert normalize_subject(mail.subject) == "Drucker im Büro"
    assert mail.from_name == "Jürgen Müller"
    assert mail.reply_text == (
        "Hallo,\n\nder Drucker druckt jetzt wieder, vielen Dank für die schnelle Hilfe!\n\n"
        "Mit freundlichen Grüßen"
    )


def test_french_reply_with_mobile_signature() -> None:
    assert parse("french_reply.eml").reply_text == "Merci, tout fonctionne."


def test_iphone_flowed_reply() -> None:
    mail = parse("iphone_reply.eml")
    assert mail.reply_text == (
        "Restarting did not help, the display still says paper jam. Can someone come by this afternoon?"
    )


def test_apple_mail_html_reply() -> None:
    assert parse("apple_html_reply.eml").reply_text == "The technician fixed it, thanks."


def test_bottom_posted_reply() -> None:
    assert parse("bottom_post.eml").reply_text == "15 inch please, black."


def test_inline_answers_keep_their_quotes() -> None:
    mail = parse("inline_reply.eml")
    assert "> Do you want the same number?\n\nYes, keep the number." in mail.reply_text
    assert mail.reply_text.endswith("Yes please.")


def test_attachments_inline_images_and_unsafe_names() -> None:
    mail = parse("attachments.eml")
    by_name = {a.filename: a for a in mail.attachments}
    assert list(by_name) == ["shot.png", "Rechnung März.pdf", "passwd", "run me.exe", "attachment-7.eml"]
    shot = by_name["shot.png"]
    assert (shot.content_type, shot.content_id, shot.inline) == ("image/png", "shot.png@01DA6F00", True)
    assert shot.payload.startswith(b"\x89PNG") and shot.size == len(shot.payload)
    pdf = by_name["Rechnung März.pdf"]
    assert pdf.payload.startswith(b"%PDF-1.4") and not pdf.inline
    assert b"Original invoice mail" in by_name["attachment-7.eml"].payload
    html = mail.html_sanitized or ""
    assert 'src="cid:shot.png@01DA6F00"' in html
    shown = replace_cid_urls(
        html, lambda cid: f"/attachments/{cid}?a=1&b=2" if cid == shot.content_id else None
    )
    assert 'src="/attachments/shot.png@01DA6F00?a=1&amp;b=2"' in shown


def test_fifty_attachments_within_and_over_the_limit() -> None:
    assert len(parse("fifty_attachments.eml").attachments) == 50
    limited = parse("fifty_attachments.eml", max_attachments=20)
    assert [a.filename for a in limited.attachments] == [f"file{i:02d}.txt" for i in range(1, 21)]
    assert [s.filename for s in limited.skipped_attachments] == [f"file{i:02d}.txt" for i in range(21, 51)]
    assert {s.reason for s in limited.skipped_attachments} == {"too many"}
    assert limited.text == "Here are all 50 log files."


def test_broken_mime_keeps_what_can_be_read() -> None:
    mail = parse("broken_boundary.eml")
    assert mail.ok and "MIME problem: close boundary not found" in mail.errors
    assert mail.text == "The VPN client crashes when I click connect."
    assert [a.filename for a in mail.attachments] == ["log.txt"]
    assert b"giving up" in mail.attachments[0].payload

    no_boundary = parse("no_boundary.eml")
    assert no_boundary.text == "The body of a multipart mail whose boundary parameter is missing."
    assert any("no boundary" in e for e in no_boundary.errors)


def test_bad_base64_is_reported_not_fatal() -> None:
    mail = parse("bad_base64.eml")
    assert mail.ok
    assert mail.text.startswith("Hello, the scanner is broken.")
    assert any("base64" in e for e in mail.errors)
    assert [a.filename for a in mail.attachments] == ["scan.pdf"]


def test_missing_headers_still_yield_a_mail_for_review() -> None:
    mail = parse("missing_headers.eml")
    assert mail.ok
    assert mail.from_address is None and mail.message_id is None and mail.date is None
    assert "no usable sender address" in mail.errors and "no Message-ID" in mail.errors
    assert mail.subject == "help" and mail.text == "my computer does not start"


def test_no_message_id_and_unreadable_date() -> None:
    mail = parse("no_message_id.eml")
    assert mail.message_id is None and mail.date is None
    assert mail.errors == ["no Message-ID", "Date header unreadable"]
    assert thread_keys(mail) == []


def test_unknown_and_lying_charsets() -> None:
    unknown = parse("unknown_charset.eml")
    assert unknown.subject == "Café machine broken"
    assert unknown.from_name == "Zoë"
    assert unknown.text == "The café machine shows error E42 \u2013 please help."
    wrong = parse("wrong_charset.eml")
    assert wrong.text == "Die Tür klemmt."
    assert any("Windows-1252" in e for e in wrong.errors)
    assert wrong.subject == "Uryyb"  # rot13 is no text encoding: left as it came


@pytest.mark.parametrize(
    ("name", "subject", "body"),
    [
        ("raw_8bit_utf8.eml", "Grüße \u2013 Bildschirm defekt", "Der Bildschirm bleibt schwarz."),
        ("raw_8bit_latin1.eml", "Grüße aus Köln", "Schöne Grüße, die Maus ist kaputt."),
    ],
)
def test_raw_8bit_headers(name: str, subject: str, body: str) -> None:
    mail = parse(name)
    assert (mail.subject, mail.from_name, mail.from_address) == (
        subject,
        "Jürgen Groß",
        "juergen@client.example",
    )
    assert mail.text == body


def test_rfc2047_words() -> None:
    mail = parse("rfc2047.eml")
    assert mail.subject == "Grüße aus München - Server ist down ✔ ✈ Flug"
    # The encoded comma stays inside the name: it does not split the address list.
    assert (mail.from_name, mail.from_address) == ("Müller, Hans", "hans.mueller@client.example")
    assert mail.text == "Server ist seit 9:00 nicht erreichbar."
    assert parse("split_multibyte.eml").subject == "Grüße"


def test_encoded_line_breaks_cannot_inject_headers() -> None:
    assert parse("header_injection.eml").subject == "hello Bcc: victim@example.com"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", "Auto-Submitted: auto-replied"),
        ("ooo_precedence.eml", "Precedence: auto_reply"),
        ("bulk_newsletter.eml", "Precedence: bulk"),
        ("x_autoreply.eml", "x-autoreply: yes"),
    ],
)
def test_automatic_mail_is_recognised(name: str, reason: str) -> None:
    mail = parse(name)
    assert mail.is_auto and mail.auto_reason == reason
    assert not mail.is_bounce


def test_auto_reply_still_threads() -> None:
    mail = parse("auto_reply.eml")
    assert thread_keys(mail) == ["<18e0f.5a5a@desk.example>"]
    assert parse("bulk_newsletter.eml").list_id == "Vendor news <news.vendor.example>"


def test_delivery_status_notification() -> None:
    mail = parse("dsn_bounce.eml")
    assert mail.is_bounce and mail.is_auto
    assert mail.return_path == ""
    assert mail.bounce is not None
    assert mail.bounce.failed_recipients == ("nobody@alpha.example",)
    assert (mail.bounce.action, mail.bounce.status) == ("failed", "5.1.1")
    assert mail.bounce.original_message_id == "<18e0f.5a5a@desk.example>"


def test_our_own_mail_coming_back_is_a_loop() -> None:
    mail = parse("loop.eml")
    assert mail.loop_hint is not None and "x-steward-" in mail.loop_hint
    assert parse("plain.eml").loop_hint is None


def test_forged_client_domain() -> None:
    mail = parse("forged_domain.eml")
    assert mail.from_address == "ceo@client.example"
    # Only the topmost header counts; the deeper "dmarc=pass" was written by the sender.
    assert (mail.authentication.spf, mail.authentication.dmarc) == ("fail", "fail")
    assert mail.authentication.header_from == "client.example"
    assert mail.sender_auth == "fail"
    trusted = parse("forged_domain.eml", trusted_authserv_ids={"mx.desk.example"})
    assert trusted.sender_auth == "fail"
    untrusted = parse("forged_domain.eml", trusted_authserv_ids={"mx.other.example"})
    assert untrusted.sender_auth == "unknown"


def test_not_an_email() -> None:
    mail = parse("not_an_email.bin")
    assert not mail.ok
    assert mail.errors == ["not an e-mail: no mail headers found"]
    assert mail.from_address is None and mail.attachments == []


def test_forwarded_mail_keeps_the_forwarded_content() -> None:
    mail = parse("outlook_forward.eml")
    assert mail.reply_text == mail.text
    assert "Licence ABC-123 for 25 seats" in mail.reply_text
