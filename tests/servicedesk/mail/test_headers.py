"""Header decoding, charsets, addresses, ids, dates, Authentication-Results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from steward.servicedesk.mail.auth import parse_authentication_results
from steward.servicedesk.mail.charsets import clean_line, decode_bytes, fix_surrogates
from steward.servicedesk.mail.headers import decode_rfc2047, message_ids, normalize_address, parse_date


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ("=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"),
        ("=?utf-8?B?R3LDvMOfZQ?=", "Grüße"),  # missing padding
        ("=?iso-8859-1?q?caf=E9?= au lait", "café au lait"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # whitespace between words is dropped
        ("=?utf-8?q?a?=\r\n =?utf-8?q?_b?=", "a b"),
        ("Re: =?utf-8?q?x?= y", "Re: x y"),
        ("=?utf-8*de?q?Hallo?=", "Hallo"),  # RFC 2231 language suffix
        ("=?x-unknown?q?Zo=C3=AB?=", "Zoë"),
        ("=?rot13?q?Uryyb?=", "Uryyb"),
        ("=?utf-8?q?broken", "=?utf-8?q?broken"),
        ("plain text", "plain text"),
    ],
)
def test_decode_rfc2047(raw: str, decoded: str) -> None:
    assert decode_rfc2047(raw) == decoded


def test_decode_bytes_fallbacks() -> None:
    assert decode_bytes("Grüße".encode(), "utf-8") == ("Grüße", None)
    assert decode_bytes("Grüße".encode("latin-1"), "iso-8859-1") == ("Grüße", None)
    assert decode_bytes("Grüße".encode(), "x-unknown")[0] == "Grüße"
    assert decode_bytes("Grüße".encode("cp1252"), None) == ("Grüße", None)
    text, problem = decode_bytes("Grüße".encode("latin-1"), "utf-8")
    assert text == "Grüße" and problem is not None
    assert decode_bytes(b"\x81\x8d\x8f", "utf-8")[0] == "\x81\x8d\x8f"  # latin-1 takes anything
    assert decode_bytes(b"abc", "zlib")[0] == "abc"  # a codec, but no text encoding


def test_surrogates_and_controls_are_cleaned() -> None:
    smuggled = "Gr\udcc3\udcbc\udcc3\udc9fe"  # UTF-8 bytes the stdlib kept as surrogate escapes
    assert fix_surrogates(smuggled) == "Grüße"
    assert clean_line("a\r\nb\x00c\td  e") == "a b c d e"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Alice@Alpha.Example", "alice@alpha.example"),
        ("<bob@x.example>", "bob@x.example"),
        ("first.last+tag@sub.x.example.", "first.last+tag@sub.x.example"),
        ("jürgen@müller.example", "jürgen@müller.example"),
        ("nobody", None),
        ("@x.example", None),
        ("a@", None),
        ("a b@x.example", None),
        ("a@-x.example", None),
        ("a@x..example", None),
        ("a@[192.0.2.1]", None),
        (".a@x.example", None),
        ("a@x.example\r\nBcc: y@z", None),
    ],
)
def test_normalize_address(raw: str, normalized: str | None) -> None:
    assert normalize_address(raw) == normalized


def test_message_ids() -> None:
    assert message_ids("<a@b> <c@d>\r\n <a@b>") == ["<a@b>", "<c@d>"]
    assert message_ids("a@b c@d") == ["<a@b>", "<c@d>"]  # brackets forgotten by a broken client
    assert message_ids("no ids here") == []
    assert message_ids(" ".join(f"<{i}@x>" for i in range(200)), limit=3) == ["<197@x>", "<198@x>", "<199@x>"]


def test_parse_date() -> None:
    assert parse_date("Tue, 5 Mar 2024 10:58:01 +0100") == datetime(2024, 3, 5, 9, 58, 1, tzinfo=UTC)
    assert parse_date("Tue, 5 Mar 2024 10:58:01 -0000") == datetime(2024, 3, 5, 10, 58, 1, tzinfo=UTC)
    assert parse_date("5 Mar 2024 10:58 GMT") == datetime(2024, 3, 5, 10, 58, tzinfo=UTC)
    for bad in ("", "yesterday", "Tue, 99 Foo 2024 99:99:99 +9999", "Tue, 5 Mar 99999999999 10:00:00 +0000"):
        assert parse_date(bad) is None


def test_authentication_results() -> None:
    results = parse_authentication_results(
        "mx.desk.example 1; spf=softfail (domain does not designate)"
        " smtp.mailfrom=bounce@Mail.Client.example;"
        " dkim=fail header.d=other.example; dkim=pass (good) header.d=client.example header.s=s1;"
        " dmarc=pass (p=none) header.from=client.example; arc=none"
    )
    assert results.authserv_id == "mx.desk.example"
    assert (results.spf, results.dkim, results.dmarc) == ("softfail", "pass", "pass")
    assert results.spf_domain == "mail.client.example"
    assert results.dkim_domains == ("client.example",)
    assert results.verdict_for("client.example") == "pass"
    assert results.verdict_for("other.example") == "unknown"  # DMARC passed for someone else


def test_authentication_verdicts() -> None:
    dkim_only = parse_authentication_results("mx; dkim=pass header.d=client.example")
    assert dkim_only.verdict_for("sub.client.example") == "pass"  # relaxed alignment
    spf_fail = parse_authentication_results("mx; spf=fail smtp.mailfrom=attacker.example")
    assert spf_fail.verdict_for("client.example") == "fail"
    assert parse_authentication_results("mx; none").verdict_for("client.example") == "unknown"
    assert parse_authentication_results("garbage").verdict_for(None) == "unknown"
