"""Building outbound mail: threading headers, the ticket tag, loop protection, branding."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime

from .charsets import clean_line
from .headers import message_ids, normalize_address, valid_domain
from .threading import TAG_PATTERN, format_ticket_tag, split_prefixes

AddressLike = str | tuple[str, str]  # "a@b.example" or ("Display Name", "a@b.example")

LOOP_HEADER = "X-Steward-Ticket"
ORIGIN_HEADER = "X-Steward-Origin"
MAX_REFERENCES = 20
AUTO_SUBMITTED_VALUES = {"auto-generated", "auto-replied"}


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    payload: bytes
    content_id: str | None = None  # set for images the HTML shows as "cid:<content_id>"


class _MessageIdListHeader(UnstructuredHeader, BaseHeader):
    """In-Reply-To/References folded only between ids.

    The stdlib folds long ids into RFC 2047 words, which no mail client matches
    against a Message-ID any more, breaking threading.
    """

    def fold(self, *, policy: Policy) -> str:
        lines: list[str] = []
        current = f"{self.name}:"
        for msgid in str(self).split():
            if len(current) + 1 + len(msgid) > 78 and current != f"{self.name}:":
                lines.append(current)
                current = ""
            current += " " + msgid
        lines.append(current)
        return policy.linesep.join(lines) + policy.linesep


_REGISTRY = HeaderRegistry()
_REGISTRY.map_to_type("in-reply-to", _MessageIdListHeader)
_REGISTRY.map_to_type("references", _MessageIdListHeader)
# 7bit: bodies get quoted-printable/base64, so any relay accepts them (no 8BITMIME needed).
POLICY = SMTP.clone(header_factory=_REGISTRY, cte_type="7bit")


def make_message_id(domain: str) -> str:
    """A new, globally unique ``<…@domain>``."""
    domain = domain.strip().lower()
    if not valid_domain(domain):
        raise ValueError(f"{domain!r} is not a domain name for Message-IDs")
    return f"<{int(time.time() * 1000):x}.{secrets.token_hex(10)}@{domain}>"


def tag_subject(subject: str, ticket_number: int) -> str:
    """The subject with ``[T-<n>]`` exactly once, after any Re:/Fwd: prefixes."""
    tag = format_ticket_tag(ticket_number)
    prefix, rest = split_prefixes(clean_line(subject, limit=900))
    rest = TAG_PATTERN.sub(lambda m: "" if int(m.group(1)) == ticket_number else m.group(0), rest)
    return f"{prefix}{tag} {' '.join(rest.split())}".strip()


def _address(value: AddressLike) -> Address:
    name, raw = value if isinstance(value, tuple) else ("", value)
    address = normalize_address(raw)
    if address is None:
        raise ValueError(f"{raw!r} is not a usable e-mail address")
    local, _, domain = address.rpartition("@")
    return Address(display_name=clean_line(name, limit=200), username=local, domain=domain)


def _references(references: Sequence[str], in_reply_to: str | None) -> list[str]:
    ids: list[str] = []
    for value in [*references, in_reply_to or ""]:
        for msgid in message_ids(value):
            if msgid not in ids:
                ids.append(msgid)
    if len(ids) > MAX_REFERENCES:
        # The root identifies the thread, the latest ones the branch: keep both ends.
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def compose_message(
    *,
    from_address: str,
    from_name: str = "",
    to: Sequence[AddressLike],
    cc: Sequence[AddressLike] = (),
    subject: str,
    text: str,
    html: str | None = None,
    message_id_domain: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    ticket_number: int | None = None,
    auto_submitted: str | None = None,
    attachments: Sequence[OutgoingAttachment] = (),
    extra_headers: Mapping[str, str] | None = None,
    reply_to: AddressLike | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """One outbound mail, ready for ``outbound.send_messages``.

    ``from_name`` is the branded sender name ("Acme Support"). ``auto_submitted``
    ("auto-generated" for notifications, "auto-replied" for acknowledgements) marks
    the mail as automatic so well-behaved servers never auto-answer it. Raises
    ValueError for unusable addresses or domains (our own configuration, not input).
    """
    if not to and not cc:
        raise ValueError("a mail needs at least one recipient")
    if auto_submitted is not None and auto_submitted not in AUTO_SUBMITTED_VALUES:
        raise ValueError(f"Auto-Submitted must be one of {sorted(AUTO_SUBMITTED_VALUES)}")
    message = EmailMessage(policy=POLICY)
    message["From"] = _address((from_name, from_address))
    message["To"] = [_address(a) for a in to] if to else []
    if cc:
        message["Cc"] = [_address(a) for a in cc]
    if reply_to:
        message["Reply-To"] = _address(reply_to)
    if ticket_number is not None:
        subject = tag_subject(subject, ticket_number)
    message["Subject"] = clean_line(subject, limit=900)
    message["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = make_message_id(message_id_domain)
    parent = message_ids(in_reply_to or "", limit=1)
    if parent:
        message["In-Reply-To"] = parent[0]
    ids = _references(references, parent[0] if parent else None)
    if ids:
        message["References"] = " ".join(ids)
    if auto_submitted:
        message["Auto-Submitted"] = auto_submitted
        # Asks Exchange/Outlook not to send out-of-office or read receipts back.
        message["X-Auto-Response-Suppress"] = "All"
    message[ORIGIN_HEADER] = clean_line(message_id_domain, limit=200)
    if ticket_number is not None:
        message[LOOP_HEADER] = str(ticket_number)
    for name, value in (extra_headers or {}).items():
        header = clean_line(name, limit=70).replace(" ", "-").replace(":", "")
        if header:
            message[header] = clean_line(value, limit=900)
    _set_body(message, text, html, attachments)
    # Fixed now rather than at each serialization, so the bytes sent, retried and
    # stored are the same.
    for part in message.walk():
        if part.is_multipart() and part.get_boundary() is None:
            part.set_boundary(f"=_steward_{secrets.token_hex(12)}")
    return message


def _set_body(
    message: EmailMessage, text: str, html: str | None, attachments: Sequence[OutgoingAttachment]
) -> None:
    message.set_content(text.replace("\r\n", "\n"))
    inline = [a for a in attachments if a.content_id and html is not None]
    if html is not None:
        message.add_alternative(html, subtype="html")
        html_part = message.get_body(preferencelist=("html",))
        for item in inline:
            assert html_part is not None  # just added
            maintype, _, subtype = item.content_type.partition("/")
            html_part.add_related(
                item.payload,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                cid=f"<{item.content_id}>",
                filename=item.filename,
                disposition="inline",
            )
    for item in attachments:
        if item in inline:
            continue
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(
            item.payload, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
