"""Turning bytes of doubtful encoding into clean text, never raising."""

from __future__ import annotations

import codecs
import re

# Labels that promise nothing about the bytes: try UTF-8, then Windows-1252.
_GUESS_LABELS = {
    "",
    "unknown",
    "unknown-8bit",
    "x-unknown",
    "x-user-defined",
    "8bit",
    "default",
    "us-ascii",
    "ascii",
    "ansi_x3.4-1968",
}
# Mail labelled ISO-8859-1 is in practice Windows-1252 (as browsers assume too).
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "iso8859-1": "cp1252"}

_SINGLE_LINE_JUNK = re.compile(r"[\x00-\x1f\x7f]+")
_MULTI_LINE_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when unknown or not a text encoding."""
    name = (label or "").strip().strip("\"'").lower()
    if name in _GUESS_LABELS:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    # rot13, zlib, base64, … are registered codecs but not text encodings.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _guess(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # total: every byte maps to a character


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode ``data`` with the declared ``charset`` if possible.

    Returns the text and a human-readable problem (None when the declared charset worked).
    Unknown charsets fall back to UTF-8, then Windows-1252/Latin-1, so nothing raises.
    """
    codec = _codec(charset)
    label = (charset or "").strip()
    if codec is not None:
        try:
            return data.decode(codec), None
        except Exception:  # noqa: S110 - any codec failure falls through to guessing
            pass
        try:
            return data.decode("utf-8"), f"text declared as {label!r} was not; decoded as UTF-8"
        except UnicodeDecodeError:
            pass
        if codec == "utf-8":
            # The classic mislabel: Windows-1252 text sent as UTF-8.
            problem = f"text declared as {label!r} was not; decoded as Windows-1252"
            try:
                return data.decode("cp1252"), problem
            except UnicodeDecodeError:
                return data.decode("latin-1"), problem
        try:
            return data.decode(codec, "replace"), f"invalid {label!r} bytes were replaced"
        except Exception:
            return _guess(data), f"charset {label!r} failed; decoded by guessing"
    text = _guess(data)
    if label and label.lower() not in _GUESS_LABELS:
        return text, f"unknown charset {label!r}; decoded by guessing"
    return text, None


def fix_surrogates(text: str) -> str:
    """Replace lone surrogates (from bytes the stdlib parser could not decode) by real text."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return _guess(raw)


def clean_line(text: str, *, limit: int = 2000) -> str:
    """One-line text safe to store anywhere: no controls, no NUL, no surrogates, capped."""
    text = _SINGLE_LINE_JUNK.sub(" ", fix_surrogates(text))
    return " ".join(text.split())[:limit]


def clean_text(text: str) -> str:
    """Multi-line text safe to store (PostgreSQL rejects NUL; JSON rejects surrogates)."""
    text = fix_surrogates(text).replace("\r\n", "\n").replace("\r", "\n")
    return _MULTI_LINE_JUNK.sub("", text)
