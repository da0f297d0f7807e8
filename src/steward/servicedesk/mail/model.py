"""What parsing a mail produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Verdict = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # sanitized: no directories, no control characters, never empty
    content_type: str  # lower-case "type/subtype"
    payload: bytes
    size: int
    content_id: str | None = None  # without angle brackets, as referenced by "cid:"
    inline: bool = False


@dataclass(frozen=True)
class SkippedAttachment:
    """An attachment left out of ``attachments``; it is still inside the raw message."""

    filename: str
    content_type: str
    size: int
    reason: str  # "too big" or "too many"


@dataclass(frozen=True)
class AuthResults:
    """The verdicts of the receiving server's Authentication-Results header."""

    authserv_id: str | None = None
    spf: str | None = None  # pass, fail, softfail, neutral, none, temperror, permerror
    dkim: str | None = None  # "pass" if any signature passed, else the first result
    dmarc: str | None = None
    header_from: str | None = None  # DMARC's header.from domain
    spf_domain: str | None = None  # smtp.mailfrom domain
    dkim_domains: tuple[str, ...] = ()  # header.d of the passing signatures

    def verdict_for(self, domain: str | None) -> Verdict:
        """Did the sending domain prove this mail is really from it?

        "fail" when DMARC failed, or SPF failed and no aligned DKIM signature passed;
        "pass" when DMARC passed or an aligned DKIM/SPF check passed; "unknown"
        otherwise (no header, or no trusted server checked).
        """
        if not domain:
            return "unknown"
        domain = domain.lower()

        def aligned(other: str | None) -> bool:
            if not other:
                return False
            other = other.lower()
            return other == domain or domain.endswith("." + other) or other.endswith("." + domain)

        if self.dmarc == "fail":
            return "fail"
        if self.dmarc == "pass" and (self.header_from is None or aligned(self.header_from)):
            return "pass"
        if self.dkim == "pass" and any(aligned(d) for d in self.dkim_domains):
            return "pass"
        if self.spf == "pass" and aligned(self.spf_domain):
            return "pass"
        if self.spf == "fail":
            return "fail"
        return "unknown"


@dataclass(frozen=True)
class BounceInfo:
    """What a delivery status notification says about the message it returns."""

    failed_recipients: tuple[str, ...] = ()
    action: str | None = None  # failed, delayed, delivered, relayed, expanded
    status: str | None = None  # e.g. "5.1.1"
    diagnostic: str | None = None
    original_message_id: str | None = None


@dataclass
class ParsedMail:
    """Everything Steward needs from one inbound mail.

    ``parse_message`` always returns one. When ``ok`` is False the bytes were not
    recognisably an e-mail: keep the raw bytes and send them to the review queue. When
    ``errors`` is non-empty the mail was understood only in part: keep the raw bytes
    with the ticket so nothing is lost.
    """

    size: int
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    message_id: str | None = None  # "<id@domain>", None when absent
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)  # oldest first, as sent
    subject: str = ""
    from_address: str | None = None  # lower-case and valid, else None
    from_name: str = ""
    reply_to: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)  # Delivered-To / X-Original-To
    return_path: str | None = None  # "" for the null sender "<>", None when absent
    date: datetime | None = None  # aware, UTC
    text: str = ""  # the whole body as plain text
    html_sanitized: str | None = None  # None when the mail had no HTML
    reply_text: str = ""  # only the new content (quotes and signature removed)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    skipped_attachments: list[SkippedAttachment] = field(default_factory=list)
    is_auto: bool = False  # never answer automatically (auto-reply, bulk, bounce, …)
    auto_reason: str | None = None
    is_bounce: bool = False
    bounce: BounceInfo | None = None
    list_id: str | None = None  # List-Id: sent through a mailing list
    authentication: AuthResults = field(default_factory=AuthResults)
    sender_auth: Verdict = "unknown"  # authentication.verdict_for(from_address's domain)
    loop_hint: str | None = None  # why this looks like our own mail coming back
    hop_count: int = 0  # Received headers

    @property
    def from_domain(self) -> str | None:
        return self.from_address.rpartition("@")[2] if self.from_address else None
