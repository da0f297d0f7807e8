"""Sending composed mail through the SMTP server configured by ``STEWARD_SMTP_URL``.

Goes through Django's mail backend so the same call writes to files when no SMTP is
configured (demo) and to ``mail.outbox`` in tests; with SMTP configured it uses the
``EMAIL_*`` settings that ``steward.settings`` derives from ``STEWARD_SMTP_URL``.
"""

from __future__ import annotations

import contextlib
import email
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage as StdlibEmailMessage
from email.policy import Policy
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail import get_connection

from .compose import POLICY
from .errors import MailTransportError, scrub
from .headers import normalize_address


def message_from_raw(raw: bytes) -> StdlibEmailMessage:
    """A stored outbound message, ready to be sent again exactly as it was composed.

    Use this rather than ``email.message_from_bytes(..., policy=default)``: that policy
    re-folds long header lines on output and turns long Message-IDs in References into
    encoded words, which breaks threading.
    """
    message = email.message_from_bytes(
        raw, _class=StdlibEmailMessage, policy=POLICY.clone(refold_source="none")
    )
    assert isinstance(message, StdlibEmailMessage)
    return message


class _WireMessage(StdlibEmailMessage):
    """Our message as Django's SMTP backend wants it: ``as_bytes(linesep="\\r\\n")``."""

    def as_bytes(
        self, unixfrom: bool = False, policy: Policy | None = None, linesep: str | None = None
    ) -> bytes:
        policy = policy or self.policy
        if linesep is not None:
            policy = policy.clone(linesep=linesep)
        return super().as_bytes(unixfrom, policy)


def _on_the_wire(message: StdlibEmailMessage) -> _WireMessage:
    wire = _WireMessage.__new__(_WireMessage)
    wire.__dict__.update(message.__dict__)  # a view: parts are shared, not copied
    # Bcc recipients are in the envelope only; the header must never reach anyone.
    # (Deleting rebinds the view's header list, the caller's message keeps its own.)
    del wire["Bcc"]
    return wire


class PreparedEmail(DjangoEmailMessage):
    """A Django EmailMessage that sends a message we composed, byte for byte."""

    def __init__(self, message: StdlibEmailMessage, *, envelope_from: str | None = None) -> None:
        recipients = [
            address
            for _, raw in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
            if (address := normalize_address(raw))
        ]
        bcc = [a for _, raw in getaddresses(message.get_all("Bcc", [])) if (a := normalize_address(raw))]
        sender = envelope_from
        if sender is None:
            senders = [
                a for _, raw in getaddresses(message.get_all("From", [])) if (a := normalize_address(raw))
            ]
            sender = senders[0] if senders else ""
        super().__init__(subject=str(message.get("Subject", "")), from_email=sender, to=recipients, bcc=bcc)
        self.prepared = message

    def message(self, *, policy: Policy | None = None) -> StdlibEmailMessage:
        return _on_the_wire(self.prepared)


def _is_permanent(exc: BaseException) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return isinstance(code, int) and 500 <= code < 600


def _describe(exc: BaseException, connection: Any) -> str:
    host = getattr(connection, "host", None) or getattr(settings, "EMAIL_HOST", "?")
    port = getattr(connection, "port", None) or getattr(settings, "EMAIL_PORT", "?")
    password = getattr(connection, "password", None) or getattr(settings, "EMAIL_HOST_PASSWORD", "")
    return scrub(f"sending mail through {host}:{port} failed: {type(exc).__name__}: {exc}", password or "")


class SendError(MailTransportError):
    def __init__(self, message: str, *, sent: int, permanent: bool, failed_message_id: str | None) -> None:
        super().__init__(message, sent=sent)
        #: True for 5xx answers: retrying the same message will fail again.
        self.permanent = permanent
        self.failed_message_id = failed_message_id


def send_messages(
    messages: Sequence[StdlibEmailMessage], *, envelope_from: str | None = None, connection: Any = None
) -> int:
    """Send the messages over one connection, in order; returns how many were sent.

    Raises ``SendError`` (a ``MailTransportError``) at the first failure, saying which
    Message-ID failed, how many went out before it, and whether the failure is
    permanent (5xx). ``envelope_from`` overrides the SMTP MAIL FROM (default: From).
    """
    if not messages:
        return 0
    connection = connection or get_connection(fail_silently=False)
    sent = 0
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(_describe(exc, connection), sent=0, permanent=False, failed_message_id=None) from None
    try:
        for message in messages:
            try:
                sent += connection.send_messages([PreparedEmail(message, envelope_from=envelope_from)]) or 0
            except (smtplib.SMTPException, OSError) as exc:
                raise SendError(
                    _describe(exc, connection) + f" (Message-ID {message.get('Message-ID')})",
                    sent=sent,
                    permanent=_is_permanent(exc),
                    failed_message_id=message.get("Message-ID"),
                ) from None
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return sent


def send_message(
    message: StdlibEmailMessage, *, envelope_from: str | None = None, connection: Any = None
) -> None:
    """Send one message; raises ``SendError`` when it was not accepted."""
    if send_messages([message], envelope_from=envelope_from, connection=connection) != 1:
        raise SendError(
            "the mail backend accepted no message (no recipients?)",
            sent=0,
            permanent=True,
            failed_message_id=message.get("Message-ID"),
        )
