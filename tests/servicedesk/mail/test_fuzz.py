"""Fuzzing: no input makes the mail layer raise or return unstorable text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.servicedesk.mail import html_to_text, parse_message, sanitize_html, strip_reply
from steward.servicedesk.mail.charsets import clean_text
from steward.servicedesk.mail.headers import decode_rfc2047, message_ids, normalize_address, parse_date
from steward.servicedesk.mail.threading import normalize_subject, ticket_refs_in_subject

from .conftest import sample, sample_names
from .test_parse_samples import strings_of

SAMPLES = [sample(name) for name in sample_names() if sample(name).__len__() < 20_000]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments that steer random bytes towards the parser's difficult paths.
MIME_BITS = st.sampled_from(
    [
        b"\r\n", b"\n", b"\n\n", b"--", b"From: ", b"Subject: =?utf-8?B?", b"?=", b"=?x-unknown?Q?=FF?=",
        b"Content-Type: multipart/mixed; boundary=\"b\"\n", b"--b\n", b"--b--\n",
        b"Content-Transfer-Encoding: base64\n", b"Content-Transfer-Encoding: quoted-printable\n",
        b"Content-Type: text/html; charset=\"utf-7\"\n", b"Content-Type: message/rfc822\n",
        b"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC\n", b"<blockquote>", b"<script>",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=r\n", b"\xff\xfe\x00",
        b"Authentication-Results: x; dmarc=fail header.from=a", b"> quoted\n", b"-- \n", b"=\n", b"=3D",
    ]
)  # fmt: skip


def assert_storable(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.size == len(raw)
    for text in strings_of(mail):
        text.encode("utf-8")
        assert "\x00" not in text


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(raw: bytes) -> None:
    assert_storable(raw)


@FUZZ
@given(st.lists(MIME_BITS | st.binary(max_size=40), max_size=60))
def test_mime_shaped_noise(chunks: list[bytes]) -> None:
    assert_storable(b"".join(chunks))


@FUZZ
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=8), st.integers(0, 8)), max_size=12),
)
def test_mutated_samples(raw: bytes, edits: list[tuple[float, bytes, int]]) -> None:
    data = bytearray(raw)
    for where, insert, remove in edits:
        at = int(where * len(data))
        data[at : at + remove] = insert
    assert_storable(bytes(data))


@FUZZ
@given(st.sampled_from(SAMPLES), st.floats(0, 1))
def test_truncated_samples(raw: bytes, keep: float) -> None:
    assert_storable(raw[: int(len(raw) * keep)])


@FUZZ
@given(st.text(max_size=2000))
def test_text_helpers_never_raise(text: str) -> None:
    for result in (
        html_to_text(text),
        html_to_text(text, skip_quotes=True),
        sanitize_html(text),
        strip_reply(text),
    ):
        result.encode("utf-8")
    if clean_text(text).strip():
        assert strip_reply(text).strip()  # never empty when there is text
    decode_rfc2047(text).encode("utf-8")
    message_ids(text)
    normalize_address(text)
    parse_date(text)
    normalize_subject(text)
    ticket_refs_in_subject(text)
