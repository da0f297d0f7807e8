"""``parse_message``: any bytes in, a ``ParsedMail`` out, never an exception."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from .auth import authentication_from_headers
from .auto import auto_reason, extract_bounce, is_delivery_report, is_null_sender, loop_hint
from .charsets import clean_line, clean_text, decode_bytes
from .headers import HeaderView, address_list, message_ids, parse_addresses, parse_date
from .html import html_to_text, sanitize_html
from .mime import extract_body, iter_leaves
from .model import ParsedMail
from .quotes import strip_reply, strip_reply_html
from .threading import is_forward

DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ATTACHMENTS = 50
MAX_TEXT_CHARS = 1_000_000
MAX_REFERENCES = 50

# Headers that make bytes recognisably an e-mail.
_MAIL_HEADERS = {
    "from", "sender", "to", "cc", "subject", "date", "message-id", "received", "return-path",
    "mime-version", "content-type", "reply-to", "in-reply-to", "references", "delivered-to",
}  # fmt: skip
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _defect_text(defect: object) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return "MIME problem: " + _CAMEL.sub(" ", name).lower()


def _collect_defects(message: Message) -> list[str]:
    found: list[str] = []
    for part in [message, *iter_leaves(message, [])]:
        for defect in getattr(part, "defects", []):
            text = _defect_text(defect)
            if text not in found:
                found.append(text)
    return found


def _sender(headers: HeaderView) -> tuple[str, str | None]:
    """Display name and address from From, falling back to Sender."""
    from_entries = parse_addresses(headers.get_all("from")[:1])
    for entries in (from_entries, parse_addresses(headers.get_all("sender")[:1])):
        for display, address in entries:
            if address:
                return display, address
    return (from_entries[0][0] if from_entries else ""), None


def _cap(text: str, errors: list[str], what: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        errors.append(f"{what} longer than {MAX_TEXT_CHARS} characters was cut; the raw message has it all")
        return text[:MAX_TEXT_CHARS]
    return text


def parse_message(
    raw: bytes | bytearray | memoryview,
    *,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    max_attachments: int = DEFAULT_MAX_ATTACHMENTS,
    envelope_from: str | None = None,
    trusted_authserv_ids: Collection[str] | None = None,
) -> ParsedMail:
    """Parse one raw message. Never raises.

    ``envelope_from`` is the SMTP MAIL FROM when the mail came through our SMTP
    listener ("" or "<>" for the null sender). ``trusted_authserv_ids`` names the
    receiving servers whose Authentication-Results to believe (default: the topmost).
    """
    size = 0
    try:
        data = raw if isinstance(raw, bytes) else bytes(raw)
        size = len(data)
        return _parse(data, max_attachment_bytes, max_attachments, envelope_from, trusted_authserv_ids)
    except Exception as exc:
        return ParsedMail(size=size, ok=False, errors=[f"could not parse the message ({type(exc).__name__})"])


def _parse(
    raw: bytes,
    max_attachment_bytes: int,
    max_attachments: int,
    envelope_from: str | None,
    trusted_authserv_ids: Collection[str] | None,
) -> ParsedMail:
    mail = ParsedMail(size=len(raw))
    if not raw.strip():
        mail.ok = False
        mail.errors.append("empty message")
        return mail
    try:
        message = BytesParser(policy=compat32).parsebytes(raw)
    except RecursionError:
        # The stdlib parser recurses per nesting level; read the headers alone.
        message = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
        mail.errors.append("MIME structure nested too deeply; the body is shown unparsed")
    headers = HeaderView(message)
    if not _MAIL_HEADERS & set(headers.names()):
        mail.ok = False
        mail.errors.append("not an e-mail: no mail headers found")
        mail.text = clean_text(decode_bytes(raw[:MAX_TEXT_CHARS], None)[0])
        return _storable(mail)

    _read_headers(mail, headers, envelope_from, trusted_authserv_ids)
    try:
        _read_body(mail, message, max_attachment_bytes, max_attachments)
    except Exception as exc:
        mail.errors.append(f"body unreadable ({type(exc).__name__}); kept in the raw message")
    try:
        # After the body: decoding base64 is what finds some of the defects.
        mail.errors.extend(d for d in _collect_defects(message) if d not in mail.errors)
    except Exception:
        mail.errors.append("MIME structure could not be checked")
    try:
        if is_delivery_report(message):
            mail.is_bounce = True
            mail.bounce = extract_bounce(message)
    except Exception as exc:
        mail.errors.append(f"delivery report unreadable ({type(exc).__name__})")
    if mail.is_bounce and not mail.is_auto:
        mail.is_auto, mail.auto_reason = True, "delivery status notification"
    return _storable(mail)


_MULTI_LINE_FIELDS = {"text", "reply_text", "html_sanitized"}


def _storable(value: Any, field_name: str = "") -> Any:
    """Every string of the result cleaned once more: whatever path a value took, it
    ends up storable (no NUL for PostgreSQL, no surrogates for JSON)."""
    if isinstance(value, str):
        return clean_text(value) if field_name in _MULTI_LINE_FIELDS else clean_line(value, limit=100_000)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_storable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _storable(getattr(value, f.name), f.name) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _return_path(header: str | None, envelope_from: str | None) -> str | None:
    """The bounce address: "" for the null sender, None when unknown.

    The SMTP envelope (when we received the mail ourselves) beats the header.
    """
    value = envelope_from if envelope_from is not None else header
    if value is None:
        return None
    if is_null_sender(value):
        return ""
    addresses = address_list([value], limit=1)
    return addresses[0] if addresses else None


def _read_headers(
    mail: ParsedMail,
    headers: HeaderView,
    envelope_from: str | None,
    trusted_authserv_ids: Collection[str] | None,
) -> None:
    ids = message_ids(headers.get("message-id"), limit=1)
    mail.message_id = ids[0] if ids else None
    if mail.message_id is None:
        mail.errors.append("no Message-ID")
    reply_ids = message_ids(headers.get("in-reply-to"))
    mail.in_reply_to = reply_ids[0] if reply_ids else None
    mail.references = message_ids(headers.get("references"), limit=MAX_REFERENCES)
    mail.subject = headers.text("subject")
    mail.from_name, mail.from_address = _sender(headers)
    if mail.from_address is None:
        mail.errors.append("no usable sender address")
    reply_to = address_list(headers.get_all("reply-to"), limit=1)
    mail.reply_to = reply_to[0] if reply_to else None
    mail.to = address_list(headers.get_all("to"))
    mail.cc = address_list(headers.get_all("cc"))
    mail.delivered_to = address_list(headers.get_all("delivered-to") + headers.get_all("x-original-to"))
    mail.date = parse_date(headers.get("date"))
    if mail.date is None and headers.get("date"):
        mail.errors.append("Date header unreadable")
    mail.return_path = _return_path(headers.get("return-path"), envelope_from)
    null_sender = mail.return_path == ""
    mail.is_bounce = null_sender or bool(
        mail.from_address and mail.from_address.partition("@")[0] in {"mailer-daemon", "postmaster"}
    )
    mail.auto_reason = auto_reason(
        headers, subject=mail.subject, from_address=mail.from_address, null_sender=null_sender
    )
    mail.is_auto = mail.auto_reason is not None
    list_id = headers.get("list-id")
    mail.list_id = clean_line(list_id, limit=300) if list_id else None
    mail.authentication = authentication_from_headers(
        headers.get_all("authentication-results"), trusted_authserv_ids
    )
    mail.sender_auth = mail.authentication.verdict_for(mail.from_domain)
    mail.loop_hint = loop_hint(headers)
    mail.hop_count = len(headers.get_all("received"))


def _read_body(mail: ParsedMail, message: Message, max_attachment_bytes: int, max_attachments: int) -> None:
    body = extract_body(message, max_attachment_bytes=max_attachment_bytes, max_attachments=max_attachments)
    for problem in body.errors:
        if problem not in mail.errors:
            mail.errors.append(problem)
    mail.attachments = body.attachments
    mail.skipped_attachments = body.skipped
    html = _cap("\n".join(body.html), mail.errors, "HTML body") if body.html else None
    plain = _cap("\n\n".join(t.strip("\n") for t in body.plain), mail.errors, "text body")
    if html is not None:
        mail.html_sanitized = sanitize_html(html)
    if plain.strip():
        mail.text = clean_text(plain).strip("\n")
        mail.reply_text = strip_reply(mail.text)
    elif html is not None:
        mail.text = html_to_text(html)
        mail.reply_text = strip_reply_html(html)
    if is_forward(mail.subject):
        # What looks like quoted history in a forward is the content being forwarded.
        mail.reply_text = mail.text
