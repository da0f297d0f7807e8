"""Which conversation a mail belongs to: our subject tag and the threading headers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import ParsedMail

TAG_PREFIX = "T"
TAG_PATTERN = re.compile(r"\[\s*T\s*-\s*(\d{1,12})\s*\]", re.IGNORECASE)
# Reply/forward prefixes in the languages our clients write in, optionally counted
# ("Re[2]:", "AW(3):"); the colon may be full-width (U+FF1A).
_PREFIX = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|sv|vs|vb|antw|antwort|tr|rif|r|ref|odp|pd|res|enc|doorst|fs|vl)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*",
    re.IGNORECASE,
)


_FORWARD_PREFIX = re.compile(r"^(?:fw|fwd|wg|tr|rv|enc|doorst)\b", re.IGNORECASE)


def is_forward(subject: str) -> bool:
    """Does the subject say the mail forwards another one ("Fwd:", "WG:", "TR:", …)?"""
    prefix, _ = split_prefixes(subject)
    return any(_FORWARD_PREFIX.match(word) for word in prefix.split())


def format_ticket_tag(number: int) -> str:
    return f"[{TAG_PREFIX}-{number}]"


def ticket_refs_in_subject(subject: str) -> list[int]:
    """Ticket numbers tagged ``[T-1042]`` in a subject, first first, without duplicates."""
    found: list[int] = []
    for match in TAG_PATTERN.finditer(subject or ""):
        number = int(match.group(1))
        if number not in found:
            found.append(number)
    return found


def split_prefixes(subject: str) -> tuple[str, str]:
    """``("Re: AW: ", "rest")``: the reply/forward prefix chain and the remaining subject."""
    rest = subject or ""
    prefix = ""
    while True:
        match = _PREFIX.match(rest)
        if not match:
            return prefix, rest
        prefix += match.group(0).strip() + " "
        rest = rest[match.end() :]


def normalize_subject(subject: str) -> str:
    """The subject without Re/Fwd/AW/SV/WG prefixes and without our ticket tag, for
    comparing subjects of one conversation."""
    rest = subject or ""
    while True:
        stripped = TAG_PATTERN.sub(" ", split_prefixes(rest)[1])
        stripped = " ".join(stripped.split())
        if stripped == rest:
            return stripped
        rest = stripped


def thread_keys(parsed: ParsedMail) -> list[str]:
    """Message ids to look the conversation up by: In-Reply-To first, then References
    newest-first (the parent is the most reliable match, the thread root the least)."""
    keys: list[str] = []
    candidates = ([parsed.in_reply_to] if parsed.in_reply_to else []) + list(reversed(parsed.references))
    for msgid in candidates:
        if msgid and msgid not in keys and msgid != parsed.message_id:
            keys.append(msgid)
    return keys
