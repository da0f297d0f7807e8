"""Header decoding: RFC 2047 words, raw 8-bit bytes, addresses, message ids, dates."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from .charsets import clean_line, decode_bytes, fix_surrogates

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<([^<>\s]{1,500})>")
_LOCAL_BAD = re.compile(r"[\s<>()\[\],;:\\\"]")
_MAX_HEADER_CHARS = 64 * 1024


def _decode_word(encoding: str, text: str) -> bytes | None:
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return None
    data = text.replace("_", " ").encode("ascii", "replace")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_rfc2047(value: str) -> str:
    """Decode ``=?charset?B|Q?…?=`` words leniently.

    Adjacent words of one charset are joined as bytes before decoding, because some
    encoders split a multi-byte character across two words.
    """
    out: list[str] = []
    pending = b""
    pending_charset = ""
    last_end = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(pending, pending_charset)[0])
        pending, pending_charset = b"", ""

    for match in _ENCODED_WORD.finditer(value):
        gap = value[last_end : match.start()]
        charset = match.group(1).split("*", 1)[0]
        decoded = _decode_word(match.group(2), match.group(3))
        if decoded is None:
            flush()
            out.append(gap + match.group(0))
            last_end = match.end()
            continue
        # Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        if gap and (gap.strip() or not pending):
            flush()
            out.append(gap)
        if pending and charset.lower() != pending_charset.lower():
            flush()
        pending += decoded
        pending_charset = charset
        last_end = match.end()
    flush()
    out.append(value[last_end:])
    return "".join(out)


def raw_header_text(value: object) -> str:
    """A header value as the stdlib compat32 parser stored it, as real text, unfolded.

    Raw 8-bit bytes arrive as surrogate escapes; they are decoded as UTF-8, else
    Windows-1252, so a German subject sent without RFC 2047 still reads right.
    """
    text = value if isinstance(value, str) else str(value)
    text = fix_surrogates(text[:_MAX_HEADER_CHARS])
    return _FOLD.sub("", text).replace("\r", "").replace("\n", "")


class HeaderView:
    """Case-insensitive, decoded, order-preserving access to a message's headers."""

    def __init__(self, message: Message) -> None:
        self._items: list[tuple[str, str]] = []
        for name, value in message.raw_items():
            self._items.append((fix_surrogates(str(name)).strip().lower(), raw_header_text(value)))

    def get(self, name: str) -> str | None:
        """The first (topmost) value, raw (not RFC 2047 decoded)."""
        name = name.lower()
        for key, value in self._items:
            if key == name:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self._items if key == name]

    def names(self) -> list[str]:
        return [key for key, _ in self._items]

    def text(self, name: str) -> str:
        """The first value, RFC 2047 decoded and cleaned to one line ("" when absent)."""
        value = self.get(name)
        return clean_line(decode_rfc2047(value)) if value is not None else ""

    def __len__(self) -> int:
        return len(self._items)


def valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    if not domain or len(domain) > 253:
        return False
    for label in labels:
        if not label or len(label) > 63 or label.startswith("-") or label.endswith("-"):
            return False
        if not all(ch.isalnum() or ch == "-" for ch in label):
            return False
    return True


def normalize_address(address: str) -> str | None:
    """Lower-case ``local@domain`` if it is a usable mailbox address, else None."""
    address = address.strip().strip("<>").strip().lower()
    local, at, domain = address.rpartition("@")
    domain = domain.rstrip(".")
    if not at or not local or len(local) > 64 or _LOCAL_BAD.search(local):
        return None
    if any(ord(ch) < 32 for ch in local) or local.startswith(".") or local.endswith("."):
        return None
    if not valid_domain(domain):
        return None
    return f"{local}@{domain}"


def parse_addresses(values: Iterable[str]) -> list[tuple[str, str | None]]:
    """``(display name, normalized address or None)`` for every entry of address headers.

    Addresses are split before RFC 2047 decoding, so an encoded comma in a name
    cannot split an entry in two.
    """
    result: list[tuple[str, str | None]] = []
    for value in values:
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = [("", part) for part in value.split(",")]
        for name, address in pairs:
            if not name and not address:
                continue
            result.append((clean_line(decode_rfc2047(name), limit=200), normalize_address(address)))
    return result


def address_list(values: Iterable[str], *, limit: int = 500) -> list[str]:
    seen: list[str] = []
    for _, address in parse_addresses(values):
        if address and address not in seen:
            seen.append(address)
            if len(seen) >= limit:
                break
    return seen


def message_ids(value: str | None, *, limit: int = 100) -> list[str]:
    """Message ids as ``<local@domain>`` from a Message-ID/In-Reply-To/References value.

    Ids without angle brackets (sent by some broken clients) are accepted when they
    contain an ``@``.
    """
    if not value:
        return []
    found = [f"<{m}>" for m in _MSGID.findall(value)]
    if not found:
        found = [f"<{tok.strip('<>')}>" for tok in value.split() if "@" in tok and len(tok) <= 500]
    ids: list[str] = []
    for msgid in found:
        cleaned = clean_line(msgid, limit=502)
        if cleaned not in ids:
            ids.append(cleaned)
    return ids[-limit:]


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime, or None when absent or unparseable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": zone unknown; UTC is the honest guess
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
