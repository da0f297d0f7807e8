"""strip_reply / strip_reply_html: the new content of a reply."""

from __future__ import annotations

import pytest

from steward.servicedesk.mail import strip_reply, strip_reply_html
from steward.servicedesk.mail.quotes import MAX_LINES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Tue, 5 Mar 2024 at 10:00, Bob <bob@x.example> wrote:\n> old\n> older", "Thanks!"),
        ("Danke!\n\nAm 05.03.2024 um 10:00 schrieb Bob <bob@x.example>:\n> alt", "Danke!"),
        ("Merci !\n\nLe mar. 5 mars 2024 à 10:00, Bob <bob@x.example> a écrit :\n> ancien", "Merci !"),
        ("Bedankt\n\nOp di 5 mrt. 2024 om 10:00 schreef Bob <bob@x.example>:\n> oud", "Bedankt"),
        (
            "Fixed.\n\n-----Original Message-----\nFrom: Bob\nSent: Tuesday\nTo: Ann\nSubject: x\n\nold",
            "Fixed.",
        ),
        ("Erledigt.\n\n-----Ursprüngliche Nachricht-----\nVon: Bob\nGesendet: Dienstag\n\nalt", "Erledigt."),
        (
            "Works now.\n\n________________________________\nFrom: Bob <bob@x.example>\n"
            "Sent: Tuesday, March 5, 2024 10:00\nTo: Ann <ann@x.example>\nSubject: RE: x\n\nold text",
            "Works now.",
        ),
        (
            "Geht wieder.\n\nVon: Bob <bob@x.example>\nGesendet: Dienstag, 5. März 2024 10:00\n"
            "An: Ann <ann@x.example>\nBetreff: AW: x\n\nalter Text",
            "Geht wieder.",
        ),
        (
            "C'est bon.\n\nDe : Bob <bob@x.example>\nEnvoyé : mardi 5 mars 2024 10:00\n"
            "À : Ann\nObjet : x\n\nvieux",
            "C'est bon.",
        ),
        ("Sure.\n\n*From:* Bob\n*Sent:* Tuesday\n*To:* Ann\n*Subject:* x\n\nold", "Sure."),
        ("Yes.\n\n-- \nAnn Example\nExample Ltd", "Yes."),
        ("Yes.\n--\nAnn Example", "Yes."),
        ("On my way.\n\nSent from my iPhone", "On my way."),
        ("Unterwegs.\n\nVon meinem iPhone gesendet", "Unterwegs."),
        ("Later.\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>", "Later."),
        ("Ok\n\n> quoted only at the end\n> more", "Ok"),
    ],
)
def test_history_and_signatures_are_removed(text: str, expected: str) -> None:
    assert strip_reply(text) == expected


def test_whole_message_quoted_falls_back_to_the_full_text() -> None:
    text = "> only a quote\n> nothing new"
    assert strip_reply(text) == text
    assert strip_reply("-- \njust a signature") == "--\njust a signature"


def test_forwarded_message_is_kept() -> None:
    text = (
        "Please look at this.\n\n---------- Forwarded message ---------\n"
        "From: Vendor <v@vendor.example>\nDate: Tue, 5 Mar 2024\nSubject: Invoice\n"
        "To: ann@x.example\n\nAmount due."
    )
    # "From:/Date:/Subject:/To:" looks like Outlook's block but the forward is the point.
    assert strip_reply(text) == text


def test_a_sentence_starting_with_on_is_no_attribution() -> None:
    text = "On Monday the printer broke.\nIt still shows an error."
    assert strip_reply(text) == text


def test_a_dash_line_in_the_middle_that_ends_the_message_is_a_signature_delimiter() -> None:
    assert strip_reply("Part one\n-- \nsig\n\nOn Tue, Bob wrote:\n> x") == "Part one"


def test_crlf_input() -> None:
    assert strip_reply("Thanks!\r\n\r\nOn Tue, Bob <b@x.example> wrote:\r\n> old\r\n") == "Thanks!"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<div>New answer</div><div class="gmail_quote"><div class="gmail_attr">On Tue, Bob wrote:</div>'
            "<blockquote>old</blockquote></div>",
            "New answer",
        ),
        ('<p>Top</p><blockquote type="cite">old <b>bold</b></blockquote>', "Top"),
        (
            '<p>Answer</p><div class="moz-cite-prefix">On Tue, Bob wrote:</div><blockquote>x</blockquote>',
            "Answer",
        ),
        ('<p>Answer</p><hr><div id="divRplyFwdMsg"><b>From:</b> Bob</div><p>old</p><p>older</p>', "Answer"),
        (
            '<p>Ja</p><div id="appendonsend"></div><p>Von: Bob<br>Gesendet: Di<br>An: Ann<br>Betreff: x</p>',
            "Ja",
        ),
        ('<p>Hi</p><div class="yahoo_quoted">old</div>', "Hi"),
        ('<p>Thanks</p><div class="gmail_signature">Ann<br>Example Ltd</div>', "Thanks"),
        (
            '<div>Fine.</div><div style="border-top:solid #E1E1E1 1pt"><p><b>From:</b> Bob<br><b>Sent:</b> '
            "Tue<br><b>To:</b> Ann<br><b>Subject:</b> x</p></div><p>old</p>",
            "Fine.",
        ),
    ],
)
def test_html_quotes_are_removed(html: str, expected: str) -> None:
    assert strip_reply_html(html) == expected


def test_html_that_is_all_quote_falls_back_to_the_text() -> None:
    assert strip_reply_html("<blockquote>only old stuff</blockquote>") == "> only old stuff"


def test_unclosed_quote_container_does_not_swallow_everything() -> None:
    assert strip_reply_html('<div class="gmail_quote">old, never closed') == "old, never closed"


def test_very_long_text_is_only_searched_near_the_top() -> None:
    body = "".join(f"log line {i}\n" for i in range(MAX_LINES + 10))
    # An attribution beyond the first MAX_LINES lines is not looked for: the text stays.
    late = strip_reply("Here is the log:\n" + body + "\nOn Tue, Bob <b@x.example> wrote:\nno quote marks")
    assert late.endswith(f"log line {MAX_LINES + 9}\n\nOn Tue, Bob <b@x.example> wrote:\nno quote marks")
    # A huge quote under a short answer is still removed.
    assert (
        strip_reply("Thanks!\n\nOn Tue, Bob <b@x.example> wrote:\n" + "> old\n" * (MAX_LINES + 10))
        == "Thanks!"
    )
