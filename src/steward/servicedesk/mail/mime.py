"""Walking a parsed MIME tree: the body texts and the attachments."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

from .charsets import clean_line, decode_bytes, fix_surrogates
from .headers import decode_rfc2047
from .model import ParsedAttachment, SkippedAttachment

MAX_DEPTH = 25
MAX_PARTS = 1000
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "text/plain": ".txt",
}
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@dataclass
class Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    skipped: list[SkippedAttachment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sanitize_filename(name: str | None, content_type: str, index: int) -> str:
    """A file name safe to store and offer for download: no directories, no control
    or reserved characters, not hidden, at most 150 characters, never empty."""
    cleaned = unicodedata.normalize("NFC", clean_line(name or "", limit=1000))
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_FILENAME.sub("_", cleaned).strip(" .")
    if cleaned.split(".", 1)[0].lower() in _RESERVED:
        cleaned = "_" + cleaned
    if len(cleaned) > 150:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = stem[: 150 - len(ext) - 1] + dot + ext if dot and 0 < len(ext) <= 10 else cleaned[:150]
    if not cleaned:
        ext = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
        cleaned = f"attachment-{index}{ext}"
    return cleaned


def iter_leaves(message: Message, errors: list[str]) -> Iterator[Message]:
    """Leaf parts in document order, iteratively (deep nesting must not recurse)."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            errors.append(f"more than {MAX_PARTS} MIME parts; the rest is only in the raw message")
            return
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, list):
            if depth >= MAX_DEPTH:
                errors.append(f"MIME nesting deeper than {MAX_DEPTH}; inner parts only in the raw message")
                continue
            children = [child for child in payload if isinstance(child, Message)]
            stack.extend((child, depth + 1) for child in reversed(children))
        else:
            yield part


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        return None
    return decode_rfc2047(fix_surrogates(str(name)))


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    # message/* parts hold parsed messages: serialize them back.
    inner = part.get_payload()
    if isinstance(inner, list):
        chunks = []
        for sub in inner:
            if isinstance(sub, Message):
                try:
                    chunks.append(sub.as_bytes())
                except Exception:
                    chunks.append(fix_surrogates(str(sub)).encode("utf-8", "replace"))
        return b"\n".join(chunks)
    if isinstance(inner, str):
        return inner.encode("utf-8", "surrogateescape")
    return b""


def _unflow(text: str, delsp: bool) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line != "-- ":
            current += line[:-1] if delsp else line
            continue
        out.append(current + line)
        current = ""
    if current:
        out.append(current)
    return "\n".join(out)


def _text_of(part: Message, errors: list[str]) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = _payload_bytes(part)
    charset = None
    try:
        charset = part.get_param("charset")
        charset = charset if isinstance(charset, str) else None
    except Exception:
        charset = None
    text, problem = decode_bytes(data, charset)
    if problem:
        errors.append(problem)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        if str(part.get_param("format", "")).lower() == "flowed":
            text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    except Exception:  # noqa: S110 - a bad parameter leaves the text as sent
        pass
    return text


def extract_body(message: Message, *, max_attachment_bytes: int, max_attachments: int) -> Body:
    body = Body()
    for index, part in enumerate(iter_leaves(message, body.errors), start=1):
        try:
            _take_part(part, index, body, max_attachment_bytes, max_attachments)
        except Exception as exc:
            body.errors.append(
                f"MIME part {index} unreadable ({type(exc).__name__}); kept in the raw message"
            )
    return body


def _content_type(part: Message) -> str:
    ctype = clean_line(part.get_content_type(), limit=200).lower()
    return ctype if _CONTENT_TYPE.match(ctype) else "application/octet-stream"


def _take_part(part: Message, index: int, body: Body, max_bytes: int, max_count: int) -> None:
    ctype = _content_type(part)
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if disposition != "attachment" and not filename:
        if ctype == "text/html":
            body.html.append(_text_of(part, body.errors))
            return
        if ctype == "text/plain" or part.get_content_maintype() == "multipart":
            # A multipart without a usable boundary arrives here as one blob of text.
            body.plain.append(_text_of(part, body.errors))
            return
    payload = _payload_bytes(part)
    name = sanitize_filename(filename, ctype, index)
    if len(payload) > max_bytes:
        body.skipped.append(SkippedAttachment(name, ctype, len(payload), "too big"))
        return
    if len(body.attachments) >= max_count:
        body.skipped.append(SkippedAttachment(name, ctype, len(payload), "too many"))
        return
    content_id = clean_line(str(part.get("Content-ID", "")), limit=250).strip().strip("<>") or None
    body.attachments.append(
        ParsedAttachment(
            filename=name,
            content_type=ctype,
            payload=payload,
            size=len(payload),
            content_id=content_id,
            inline=disposition == "inline" or (disposition is None and content_id is not None),
        )
    )
