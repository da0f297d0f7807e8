"""compose_message without a network, and the subject-tag/threading helpers."""

from __future__ import annotations

import email
from email.policy import default

import pytest

from steward.servicedesk.mail import (
    OutgoingAttachment,
    compose_message,
    make_message_id,
    normalize_subject,
    parse_message,
    ticket_refs_in_subject,
)
from steward.servicedesk.mail.compose import tag_subject
from steward.servicedesk.mail.threading import is_forward


def compose(**overrides: object) -> email.message.EmailMessage:
    fields: dict[str, object] = {
        "from_address": "support@desk.example",
        "from_name": "Acme Support",
        "to": ["alice@alpha.example"],
        "subject": "Printer",
        "text": "Hello",
        "message_id_domain": "desk.example",
    }
    fields.update(overrides)
    return compose_message(**fields)  # type: ignore[arg-type]


def test_message_ids_are_unique_and_well_formed() -> None:
    ids = {make_message_id("desk.example") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("<") and i.endswith("@desk.example>") and " " not in i for i in ids)
    for bad in ("", "bad domain", "a@b", "<x>"):
        with pytest.raises(ValueError, match="domain"):
            make_message_id(bad)


@pytest.mark.parametrize(
    ("subject", "tagged"),
    [
        ("Printer", "[T-1042] Printer"),
        ("Re: Printer", "Re: [T-1042] Printer"),
        ("Re: [T-1042] Printer", "Re: [T-1042] Printer"),
        ("RE: AW: Printer [T-1042] [t-1042]", "RE: AW: [T-1042] Printer"),
        ("Printer [T-7]", "[T-1042] Printer [T-7]"),
        ("", "[T-1042]"),
    ],
)
def test_ticket_tag_appears_exactly_once(subject: str, tagged: str) -> None:
    assert tag_subject(subject, 1042) == tagged
    assert tag_subject(tagged, 1042) == tagged


def test_ticket_refs_and_subject_normalisation() -> None:
    assert ticket_refs_in_subject("AW: Re: [t-1042] x [T - 7] [T-1042]") == [1042, 7]
    assert ticket_refs_in_subject("T-1042 without brackets, [T-12345678901234]") == []
    assert normalize_subject("Re: AW: WG: Fwd: SV: [T-1042] Drucker  im   Büro") == "Drucker im Büro"
    assert normalize_subject("Re[2]: RE: Re(3): hello") == "hello"
    assert normalize_subject("Report: Q1") == "Report: Q1"
    assert is_forward("WG: AW: x") and is_forward("Fwd: x") and not is_forward("Re: x")


def test_headers_are_single_line_and_addresses_validated() -> None:
    message = compose(subject="Hi\r\nBcc: victim@x.example", from_name="Evil\nBcc: x@y.example")
    raw = message.as_bytes()
    assert b"\nBcc:" not in raw
    assert parse_message(raw).subject == "Hi Bcc: victim@x.example"
    with pytest.raises(ValueError, match="not a usable e-mail address"):
        compose(to=["not an address"])
    with pytest.raises(ValueError, match="recipient"):
        compose(to=[])
    with pytest.raises(ValueError, match="Auto-Submitted"):
        compose(auto_submitted="yes")


def test_references_are_capped_keeping_the_root_and_the_latest() -> None:
    refs = [f"<r{i}@x.example>" for i in range(30)]
    message = compose(in_reply_to="<parent@x.example>", references=refs)
    kept = str(message["References"]).split()
    assert len(kept) == 20
    assert kept[0] == "<r0@x.example>"
    assert kept[-2:] == ["<r29@x.example>", "<parent@x.example>"]
    assert message["In-Reply-To"] == "<parent@x.example>"


def test_inline_images_and_attachments_round_trip() -> None:
    message = compose(
        html='<p>Logo: <img src="cid:logo@desk.example"></p>',
        attachments=[
            OutgoingAttachment("logo.png", "image/png", b"\x89PNG fake", content_id="logo@desk.example"),
            OutgoingAttachment("Prüfbericht März.pdf", "application/pdf", b"%PDF-1.4 fake"),
        ],
        extra_headers={"X-Steward-Client": "ALPHA"},
    )
    parsed_back = email.message_from_bytes(message.as_bytes(), policy=default)
    assert parsed_back.get_content_type() == "multipart/mixed"
    related = [p for p in parsed_back.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    mail = parse_message(message.as_bytes())
    logo, report = mail.attachments
    assert (logo.content_id, logo.inline, logo.payload) == ("logo@desk.example", True, b"\x89PNG fake")
    assert (report.filename, report.payload) == ("Prüfbericht März.pdf", b"%PDF-1.4 fake")
    assert 'src="cid:logo@desk.example"' in (mail.html_sanitized or "")
    assert parsed_back["X-Steward-Client"] == "ALPHA"


def test_serializing_twice_gives_the_same_bytes() -> None:
    message = compose(html="<p>x</p>", attachments=[OutgoingAttachment("a.txt", "text/plain", b"a")])
    assert message.as_bytes() == message.as_bytes()
