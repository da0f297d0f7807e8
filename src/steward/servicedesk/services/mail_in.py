"""Inbound e-mail → tickets. Nothing received is ever lost.

Every message is first written to the blob store and recorded (``InboundMail``, committed)
before anything else happens; then it is processed in its own transaction. If processing
fails for any reason, the record lands in the review queue with the reason, raw bytes kept.

How a message is handled, in order:

1. the same Message-ID already made a ticket or reply → ignored as a duplicate;
2. not recognisably an e-mail → review queue;
3. our own mail coming back (our loop header) → ignored; a bounce → ignored (and the sent
   mail it returns is marked failed); an auto-reply, out-of-office or bulk mail → ignored;
4. a follow-up: In-Reply-To/References name a reply or a mail of a ticket, or the subject
   carries ``[T-<n>]``; it is added when the sender is on that ticket (requester, cc, a
   contact or user of its client, or staff), else it goes to review;
5. a new ticket for the sender's client: a contact or client user with that address, else
   the mailbox's client, else a client whose e-mail domain matches — unless the sending
   domain failed authentication (DMARC/SPF), which sends the mail to review as forged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from steward.core.models import Client, Contact, User
from steward.core.roles import PROVIDER_ROLES
from steward.core.scoping import Scope
from steward.core.services import blobs
from steward.servicedesk.mail import ParsedMail, parse_message, thread_keys, ticket_refs_in_subject
from steward.servicedesk.models import (
    Channel,
    InboundMail,
    Mailbox,
    OutboundMail,
    Reply,
    Ticket,
    TicketStatus,
)
from steward.servicedesk.services import conversation, tickets
from steward.servicedesk.services.conversation import Upload

log = logging.getLogger(__name__)
Outcome = InboundMail.Outcome


def max_message_bytes() -> int:
    return int(getattr(settings, "SERVICEDESK_MAX_MESSAGE_BYTES", 50 * 1024 * 1024))


@dataclass(frozen=True)
class Sender:
    address: str
    name: str
    client: Client | None
    contact: Contact | None
    user: User | None

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.role in PROVIDER_ROLES


def receive(
    raw: bytes,
    *,
    provider_id: int,
    mailbox: Mailbox | None = None,
    envelope_from: str | None = None,
) -> InboundMail:
    """Keep ``raw``, then turn it into a ticket, a follow-up, an ignored mail or a review item."""
    digest = blobs.put(raw)
    record = InboundMail.objects.create(
        provider_id=provider_id, mailbox=mailbox, raw_sha256=digest, raw_size=len(raw)
    )
    try:
        with transaction.atomic():
            _process(record, raw, envelope_from)
    except Exception as exc:  # the mail is kept; a person looks at it
        log.exception("inbound mail %s could not be processed", record.pk)
        InboundMail.objects.filter(pk=record.pk).update(
            outcome=Outcome.REVIEW, reason=f"Processing failed ({type(exc).__name__}); the raw mail is kept."
        )
        record.refresh_from_db()
    return record


def _finish(record: InboundMail, outcome: str, reason: str = "", **fields: Any) -> None:
    record.outcome = outcome
    record.reason = reason[:500]
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()


def _process(record: InboundMail, raw: bytes, envelope_from: str | None) -> None:
    parsed = parse_message(
        raw,
        max_attachment_bytes=conversation.max_attachment_bytes(),
        max_attachments=conversation.max_attachments_per_reply(),
        envelope_from=envelope_from,
    )
    record.message_id = (parsed.message_id or "")[:255]
    record.from_address = (parsed.from_address or "")[:320]
    record.subject = parsed.subject[:255]
    if not parsed.ok:
        _finish(record, Outcome.REVIEW, "; ".join(parsed.errors) or "Not an e-mail message.")
        return
    if len(raw) > max_message_bytes():
        _finish(record, Outcome.REVIEW, f"Message of {len(raw):,} bytes is over the limit.")
        return
    if record.message_id and (
        InboundMail.objects.filter(provider_id=record.provider_id, message_id=record.message_id)
        .filter(outcome__in=[Outcome.NEW_TICKET, Outcome.FOLLOW_UP])
        .exclude(pk=record.pk)
        .exists()
    ):
        _finish(record, Outcome.DUPLICATE, "This Message-ID was already received.")
        return
    if parsed.loop_hint:
        _finish(record, Outcome.LOOP, parsed.loop_hint)
        return
    if parsed.is_bounce:
        _record_bounce(parsed)
        _finish(record, Outcome.BOUNCE, parsed.auto_reason or "Delivery status notification.")
        return
    if parsed.is_auto:
        _finish(record, Outcome.AUTO_REPLY, parsed.auto_reason or "Automatic message.")
        return
    if not parsed.from_address:
        _finish(record, Outcome.REVIEW, "The sender's address is missing or unusable.")
        return
    sender = _identify(record.provider_id, parsed, record.mailbox)
    ticket = _thread(record.provider_id, parsed)
    if ticket is not None:
        _follow_up(record, parsed, raw, sender, ticket)
        return
    _new_ticket(record, parsed, raw, sender)


def _record_bounce(parsed: ParsedMail) -> None:
    bounce = parsed.bounce
    if bounce is not None and bounce.original_message_id:
        OutboundMail.objects.filter(message_id=bounce.original_message_id).update(
            state=OutboundMail.State.FAILED, last_error=f"Bounced: {bounce.status or ''}"[:500]
        )


def _identify(provider_id: int, parsed: ParsedMail, mailbox: Mailbox | None) -> Sender:
    address = parsed.from_address or ""
    user = User.unscoped.filter(provider_id=provider_id, email__iexact=address, is_active=True).first()
    contact = (
        Contact.unscoped.filter(client__provider_id=provider_id, email__iexact=address)
        .select_related("client")
        .order_by("pk")
        .first()
    )
    client: Client | None = None
    if user is not None and user.client_id:
        client = user.client
    elif contact is not None:
        client = contact.client
    elif mailbox is not None and mailbox.client_id:
        client = mailbox.client
    elif parsed.from_domain:
        client = Client.unscoped.filter(
            provider_id=provider_id, email_domain__iexact=parsed.from_domain
        ).first()
    return Sender(address, parsed.from_name[:200], client, contact, user)


def _thread(provider_id: int, parsed: ParsedMail) -> Ticket | None:
    keys = [key[:255] for key in thread_keys(parsed)][:50]
    ticket_id: int | None = None
    if keys:
        ticket_id = (
            Reply.unscoped.filter(message_id__in=keys, ticket__client__provider_id=provider_id)
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if ticket_id is None:
            ticket_id = (
                OutboundMail.objects.filter(message_id__in=keys, ticket__client__provider_id=provider_id)
                .values_list("ticket_id", flat=True)
                .first()
            )
    if ticket_id is None:
        for number in ticket_refs_in_subject(parsed.subject):
            if Ticket.unscoped.filter(pk=number, client__provider_id=provider_id).exists():
                ticket_id = number
                break
    if ticket_id is None:
        return None
    ticket = Ticket.unscoped.select_related("client").get(pk=ticket_id)
    for _ in range(20):  # follow merges to the surviving ticket
        if ticket.status != TicketStatus.MERGED or ticket.merged_into_id is None:
            break
        ticket = Ticket.unscoped.select_related("client").get(pk=ticket.merged_into_id)
    return ticket


def _on_ticket(sender: Sender, ticket: Ticket) -> bool:
    if sender.is_staff:
        return True
    address = sender.address.lower()
    if address in {ticket.requester_email.lower(), *(cc.lower() for cc in ticket.cc_emails)}:
        return True
    return sender.client is not None and sender.client.pk == ticket.client_id


def _uploads(parsed: ParsedMail) -> tuple[list[Upload], list[str]]:
    uploads: list[Upload] = []
    refused: list[str] = []
    for attachment in parsed.attachments:
        upload = Upload(
            filename=attachment.filename,
            content=attachment.payload,
            content_type=attachment.content_type,
            inline=attachment.inline,
            content_id=attachment.content_id or "",
        )
        try:
            conversation.check_upload(upload)
        except ValidationError as exc:
            refused.append("; ".join(exc.messages))
            continue
        uploads.append(upload)
    refused.extend(f"{s.filename} ({s.size:,} bytes): {s.reason}" for s in parsed.skipped_attachments)
    return uploads, refused


def _note_problems(scope: Scope, ticket: Ticket, parsed: ParsedMail, refused: list[str], raw: bytes) -> None:
    """Tell staff what could not be taken over from the mail, and keep the original with it."""
    problems = [*(f"Attachment not kept as a file: {item}" for item in refused), *parsed.errors]
    if parsed.sender_auth == "fail":
        problems.append("The sending domain failed authentication (DMARC/SPF): check before acting on it.")
    if not problems:
        return
    text = "Received by e-mail with problems; the original message is attached.\n- " + "\n- ".join(problems)
    reply = conversation.add_reply(scope, ticket, text[:10_000], internal=True, notify=False)
    conversation.store_attachment(ticket, reply, Upload("original-message.eml", raw, "message/rfc822"), None)


def _body(parsed: ParsedMail, *, follow_up: bool) -> str:
    text = (parsed.reply_text if follow_up else parsed.text) or parsed.text or parsed.reply_text
    text = text.strip() or "(The message has no text.)"
    return text[: tickets.MAX_BODY]


def _follow_up(record: InboundMail, parsed: ParsedMail, raw: bytes, sender: Sender, ticket: Ticket) -> None:
    if not _on_ticket(sender, ticket):
        _finish(
            record, Outcome.REVIEW, f"{sender.address} is not a participant of T-{ticket.pk}.", ticket=ticket
        )
        return
    if ticket.client.email_domain and parsed.sender_auth == "fail" and not sender.is_staff:
        _finish(record, Outcome.REVIEW, "The sender failed authentication (DMARC/SPF).", ticket=ticket)
        return
    system = Scope.system(record.provider_id, label="mail")
    scope = Scope.for_user(sender.user) if sender.is_staff and sender.user else system
    uploads, refused = _uploads(parsed)
    reply = conversation.add_reply(
        scope,
        ticket,
        _body(parsed, follow_up=True),
        channel=Channel.EMAIL,
        uploads=uploads,
        body_html=parsed.html_sanitized or "",
        author_contact=sender.contact,
        author_email=sender.address,
        author_name=sender.name or (sender.contact.full_name if sender.contact else ""),
        from_customer=not sender.is_staff,
        message_id=parsed.message_id or "",
        at=timezone.now(),
    )
    _note_problems(system, ticket, parsed, refused, raw)
    _finish(record, Outcome.FOLLOW_UP, ticket=ticket, reply=reply, client=ticket.client)


def _new_ticket(record: InboundMail, parsed: ParsedMail, raw: bytes, sender: Sender) -> None:
    if sender.is_staff:
        _finish(record, Outcome.REVIEW, "Mail from staff that answers no ticket: open one by hand if needed.")
        return
    if sender.client is None:
        _finish(record, Outcome.REVIEW, f"No client is known for {sender.address}.")
        return
    if parsed.sender_auth == "fail":
        _finish(
            record,
            Outcome.REVIEW,
            f"{sender.address} failed authentication (DMARC/SPF): possibly forged.",
            client=sender.client,
        )
        return
    system = Scope.system(record.provider_id, label="mail")
    mailbox = record.mailbox
    ticket = tickets.open_ticket(
        system,
        client_id=sender.client.pk,
        subject=(parsed.subject or "(no subject)")[: tickets.MAX_SUBJECT],
        body=_body(parsed, follow_up=False),
        body_html=parsed.html_sanitized or "",
        channel=Channel.EMAIL,
        queue_id=mailbox.queue_id if mailbox and mailbox.queue_id else None,
        requester_user=sender.user if sender.user and sender.user.client_id else None,
        requester_contact=sender.contact,
        requester_email=sender.address,
        requester_name=sender.name or (sender.contact.full_name if sender.contact else ""),
        cc_emails=_participants(parsed, mailbox),
        message_id=parsed.message_id or "",
        site_id=sender.contact.site_id if sender.contact else None,
    )
    first = Reply.unscoped.filter(ticket=ticket).order_by("created_at", "id").first()
    uploads, refused = _uploads(parsed)
    for upload in uploads:
        conversation.store_attachment(ticket, first, upload, None)
    _note_problems(system, ticket, parsed, refused, raw)
    _finish(record, Outcome.NEW_TICKET, ticket=ticket, reply=first, client=sender.client)


def _participants(parsed: ParsedMail, mailbox: Mailbox | None) -> list[str]:
    ours = {address.lower() for address in Mailbox.objects.values_list("address", flat=True)}
    if mailbox is not None:
        ours.add(mailbox.address.lower())
    seen: list[str] = []
    for address in [*parsed.to, *parsed.cc]:
        lowered = address.lower()
        if lowered not in ours and lowered != (parsed.from_address or "") and lowered not in seen:
            seen.append(lowered)
    return seen[:20]


# --- review queue ------------------------------------------------------------------------


def review_queue(scope: Scope) -> Any:
    scope.require("servicedesk.configure")
    return InboundMail.objects.filter(provider_id=scope.provider_id, outcome=Outcome.REVIEW)


def raw_of(record: InboundMail) -> bytes:
    return blobs.read(record.raw_sha256)


@transaction.atomic
def accept_for_client(scope: Scope, record: InboundMail, client_id: Any) -> Ticket:
    """Staff decide: this reviewed mail becomes a ticket of ``client_id``."""
    scope.require("servicedesk.configure")
    raw = raw_of(record)
    parsed = parse_message(raw)
    client = Client.objects.for_scope(scope).filter(pk=tickets._int(client_id, "client")).first()
    if client is None:
        raise ValidationError({"client": "No such client."})
    ticket = tickets.open_ticket(
        Scope.system(scope.provider_id, label="mail-review"),
        client_id=client.pk,
        subject=(parsed.subject or record.subject or "(no subject)")[: tickets.MAX_SUBJECT],
        body=_body(parsed, follow_up=False)
        if parsed.ok
        else "(The message could not be read; see the attachment.)",
        body_html=parsed.html_sanitized or "",
        channel=Channel.EMAIL,
        requester_email=parsed.from_address or "",
        requester_name=parsed.from_name[:200],
        message_id=parsed.message_id or "",
    )
    first = Reply.unscoped.filter(ticket=ticket).order_by("created_at", "id").first()
    conversation.store_attachment(
        ticket, first, Upload("original-message.eml", raw, "message/rfc822"), scope.user
    )
    _finish(
        record, Outcome.NEW_TICKET, f"Accepted by {scope.label}.", ticket=ticket, reply=first, client=client
    )
    return ticket


def discard(scope: Scope, record: InboundMail) -> None:
    scope.require("servicedesk.configure")
    _finish(record, Outcome.DISCARDED, f"Discarded by {scope.label}; the raw mail is kept.")


# --- transports ----------------------------------------------------------------------------


def poll_mailbox(mailbox: Mailbox, *, limit: int = 200) -> int:
    """Fetch unseen mail over IMAP; each message is marked seen only once it is recorded."""
    from steward.core import crypto
    from steward.servicedesk.mail.imap import ImapMailbox

    password = ""
    if mailbox.imap_password_encrypted:
        password = crypto.decrypt(mailbox.imap_password_encrypted, purpose="mailbox", context=str(mailbox.pk))
    client = ImapMailbox(
        mailbox.imap_host,
        mailbox.imap_port,
        username=mailbox.imap_username,
        password=password,
        security=mailbox.imap_security,  # type: ignore[arg-type]
        folder=mailbox.imap_folder,
    )
    received = 0

    def handle(uid: Any, raw: bytes) -> bool:
        nonlocal received
        receive(raw, provider_id=mailbox.provider_id, mailbox=mailbox)
        received += 1
        return True

    try:
        client.fetch(handle, limit=limit)
    except Exception as exc:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=str(exc)[:500], last_polled_at=timezone.now())
        raise
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error="", last_polled_at=timezone.now())
    return received


def set_mailbox_password(mailbox: Mailbox, password: str) -> None:
    from steward.core import crypto

    mailbox.imap_password_encrypted = (
        crypto.encrypt(password, purpose="mailbox", context=str(mailbox.pk)) if password else ""
    )
    mailbox.save(update_fields=["imap_password_encrypted"])


def mailbox_for_recipients(recipients: Iterable[str]) -> Mailbox | None:
    """The mailbox a delivery is for: an exact address, else one in the same domain."""
    addresses = [address.lower() for address in recipients]
    if not addresses:
        return None
    exact = Q()
    for address in addresses:
        exact |= Q(address__iexact=address)
    mailbox = Mailbox.objects.filter(exact, enabled=True).first()
    if mailbox is not None:
        return mailbox
    same_domain = Q()
    for address in addresses:
        same_domain |= Q(address__iendswith="@" + address.rpartition("@")[2])
    return Mailbox.objects.filter(same_domain, enabled=True).order_by("pk").first()


def mailbox_domains() -> list[str]:
    """Domains the SMTP listener accepts mail for (others are refused with 550)."""
    addresses = Mailbox.objects.filter(enabled=True).values_list("address", flat=True)
    return sorted({address.rpartition("@")[2].lower() for address in addresses})


def receive_smtp(mail_from: str, recipients: list[str], raw: bytes) -> bool:
    """Handler of the SMTP listener. Mail for an unknown address of one of our domains is
    still received (it is mapped by its sender, or lands in review), never bounced."""
    mailbox = mailbox_for_recipients(recipients)
    if mailbox is None:
        raise LookupError("no mailbox for " + ", ".join(recipients))
    exact = mailbox.address.lower() in {address.lower() for address in recipients}
    receive(raw, provider_id=mailbox.provider_id, mailbox=mailbox if exact else None, envelope_from=mail_from)
    return True
