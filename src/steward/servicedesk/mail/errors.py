"""Errors raised by the mail transports (parsing never raises)."""

from __future__ import annotations


class MailTransportError(Exception):
    """An IMAP or SMTP server could not be reached, refused us, or failed mid-way.

    The message is safe to show an operator and to log: it never contains a password.
    """

    def __init__(self, message: str, *, sent: int = 0) -> None:
        super().__init__(message)
        #: For outbound batches: how many messages were handed over before the failure.
        self.sent = sent


def scrub(text: str, *secrets: str) -> str:
    """Remove every secret from ``text`` (servers sometimes echo what they were sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
