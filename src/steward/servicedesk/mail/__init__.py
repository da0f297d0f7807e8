"""Steward's e-mail layer for the service desk.

Django-free core: ``parse_message`` (inbound), ``compose_message`` (outbound), quote
stripping, HTML handling and thread matching. Transports live in their own modules
and are imported explicitly: ``imap.ImapMailbox``, ``smtp_listener`` (needs aiosmtpd)
and ``outbound.send_messages`` (sends through Django's configured mail backend).
"""

from .compose import OutgoingAttachment, compose_message, make_message_id
from .errors import MailTransportError
from .html import html_to_text, replace_cid_urls, sanitize_html
from .model import AuthResults, BounceInfo, ParsedAttachment, ParsedMail, SkippedAttachment
from .parse import parse_message
from .quotes import strip_reply, strip_reply_html
from .threading import format_ticket_tag, normalize_subject, thread_keys, ticket_refs_in_subject

__all__ = [
    "AuthResults",
    "BounceInfo",
    "MailTransportError",
    "OutgoingAttachment",
    "ParsedAttachment",
    "ParsedMail",
    "SkippedAttachment",
    "compose_message",
    "format_ticket_tag",
    "html_to_text",
    "make_message_id",
    "normalize_subject",
    "parse_message",
    "replace_cid_urls",
    "sanitize_html",
    "strip_reply",
    "strip_reply_html",
    "thread_keys",
    "ticket_refs_in_subject",
]
