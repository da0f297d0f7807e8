"""Replies, internal notes and attachments on tickets.

A staff public reply counts as the first response / next update for the SLA; a customer
reply to a ticket waiting on the customer puts it back to open, and one to a resolved
ticket reopens it. Internal notes are never shown to, searched by or mailed to customers.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from steward.core.models import Contact, User
from steward.core.scoping import Scope
from steward.core.services import blobs
from steward.servicedesk.models import (
    DONE_STATUSES,
    Attachment,
    Channel,
    Reply,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from steward.servicedesk.services.tickets import MAX_BODY, _text, after_change, is_staff, log_event

SEARCH_TEXT_LIMIT = 200_000

# Executable and script types are refused whatever the browser says they are.
BLOCKED_EXTENSIONS = frozenset(
    {
        ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".cpl", ".jar",
        ".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".hta", ".lnk", ".reg",
        ".sh", ".app", ".iso", ".img",
    }
)  # fmt: skip


def max_attachment_bytes() -> int:
    return int(getattr(settings, "SERVICEDESK_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024))


def max_attachments_per_reply() -> int:
    return int(getattr(settings, "SERVICEDESK_MAX_ATTACHMENTS", 20))


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str = ""
    inline: bool = False
    content_id: str = ""


def clean_filename(name: str) -> str:
    base = PurePath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return base[:200] or "attachment"


def check_upload(upload: Upload) -> None:
    name = clean_filename(upload.filename)
    suffix = PurePath(name.lower()).suffix
    if suffix in BLOCKED_EXTENSIONS:
        raise ValidationError(
            {"attachments": f"{name}: {suffix} files are not accepted (executable or script)."}
        )
    limit = max_attachment_bytes()
    if len(upload.content) > limit:
        raise ValidationError(
            {"attachments": f"{name}: {len(upload.content):,} bytes is over the limit of {limit:,} bytes."}
        )


def store_attachment(ticket: Ticket, reply: Reply | None, upload: Upload, user: User | None) -> Attachment:
    check_upload(upload)
    name = clean_filename(upload.filename)
    content_type = (upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream")[:255]
    digest = blobs.put(upload.content)
    return Attachment.objects.create(
        ticket=ticket,
        reply=reply,
        filename=name,
        content_type=content_type,
        size=len(upload.content),
        sha256=digest,
        inline=upload.inline,
        content_id=upload.content_id[:255],
        uploaded_by=user,
    )


def _append_search(ticket: Ticket, text: str, *, internal: bool) -> None:
    field = "search_internal" if internal else "search_public"
    current = getattr(ticket, field)
    if len(current) >= SEARCH_TEXT_LIMIT:
        return
    combined = f"{current}\n{text}" if current else text
    setattr(ticket, field, combined[:SEARCH_TEXT_LIMIT])


def add_first_message(
    ticket: Ticket,
    body_text: str,
    *,
    body_html: str,
    channel: str,
    author_user: User | None,
    author_contact: Contact | None,
    author_email: str,
    author_name: str,
    from_customer: bool,
    message_id: str,
    at: dt.datetime,
) -> Reply:
    reply = Reply.objects.create(
        ticket=ticket,
        visibility=Reply.Visibility.PUBLIC,
        channel=channel,
        from_customer=from_customer,
        author_user=author_user,
        author_contact=author_contact,
        author_email=author_email[:254],
        author_name=author_name[:200],
        body_text=body_text,
        body_html=body_html,
        message_id=message_id[:255],
        created_at=at,
    )
    _append_search(ticket, body_text, internal=False)
    if from_customer:
        ticket.last_customer_activity_at = at
    Ticket.unscoped.filter(pk=ticket.pk).update(
        search_public=ticket.search_public, last_customer_activity_at=ticket.last_customer_activity_at
    )
    return reply


@transaction.atomic
def add_reply(
    scope: Scope,
    ticket: Ticket,
    body: Any,
    *,
    internal: bool = False,
    channel: str = Channel.WEB,
    uploads: Sequence[Upload] = (),
    status: str | None = None,
    body_html: str = "",
    author_contact: Contact | None = None,
    author_email: str = "",
    author_name: str = "",
    from_customer: bool | None = None,
    message_id: str = "",
    at: dt.datetime | None = None,
    notify: bool = True,
) -> Reply:
    """Add a public reply or (staff only) an internal note, optionally changing the status."""
    from steward.servicedesk.services.tickets import change_status

    staff = is_staff(scope)
    if internal and not staff:
        raise PermissionDenied("Only the support team can write internal notes.")
    scope.require("tickets.note" if internal else "tickets.reply")
    if ticket.status == TicketStatus.MERGED:
        raise ValidationError(
            {"body": f"This ticket was merged into T-{ticket.merged_into_id}; reply there."}
        )
    text = _text(body, "body", MAX_BODY)
    if len(uploads) > max_attachments_per_reply():
        raise ValidationError({"attachments": f"At most {max_attachments_per_reply()} files per reply."})
    for upload in uploads:
        check_upload(upload)
    now = at or timezone.now()
    customer = (not staff) if from_customer is None else from_customer
    user = scope.user
    reply = Reply.objects.create(
        ticket=ticket,
        visibility=Reply.Visibility.INTERNAL if internal else Reply.Visibility.PUBLIC,
        channel=channel,
        from_customer=customer,
        author_user=user,
        author_contact=author_contact,
        author_email=(author_email or (user.email if user else ""))[:254],
        author_name=(author_name or (user.full_name if user else ""))[:200],
        body_text=text,
        body_html=body_html,
        message_id=message_id[:255],
        created_at=now,
    )
    for upload in uploads:
        store_attachment(ticket, reply, upload, user)
    _append_search(ticket, text, internal=internal)
    if internal:
        log_event(ticket, TicketEvent.Kind.NOTE, actor=user, at=now)
    elif customer:
        ticket.last_customer_activity_at = now
        log_event(ticket, TicketEvent.Kind.CUSTOMER_REPLY, actor=user, at=now)
    else:
        ticket.last_agent_update_at = now
        ticket.first_responded_at = ticket.first_responded_at or now
        log_event(ticket, TicketEvent.Kind.AGENT_REPLY, actor=user, at=now)
    ticket.save()
    next_status = status
    if next_status is None and not internal:
        resumes = customer and ticket.status in (TicketStatus.WAITING_ON_CUSTOMER, *DONE_STATUSES)
        if resumes or (not customer and ticket.status == TicketStatus.NEW):
            next_status = TicketStatus.OPEN
    if next_status and next_status != ticket.status:
        if status is None:
            # A reply resumes or reopens the ticket by itself, whoever may set statuses.
            _system_status(ticket, next_status, now, user)
        else:
            change_status(scope, ticket, next_status, at=now)
    else:
        after_change(ticket)
    if notify and not internal:
        reply_id = reply.pk
        transaction.on_commit(lambda: _notify_reply(reply_id))
    return reply


def _system_status(ticket: Ticket, status: str, at: dt.datetime, user: User | None) -> None:
    if ticket.status in DONE_STATUSES and status not in DONE_STATUSES:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.status = status
    ticket.save()
    log_event(ticket, TicketEvent.Kind.STATUS, actor=user, at=at)
    after_change(ticket)


def _notify_reply(reply_id: int) -> None:
    from steward.servicedesk import tasks
    from steward.servicedesk.services.notifications import is_muted

    if is_muted():
        return

    tasks.notify_reply(reply_id)


def replies_for(scope: Scope, ticket: Ticket) -> QuerySet[Reply]:
    replies = Reply.objects.for_scope(scope).filter(ticket=ticket).select_related("author_user")
    if not is_staff(scope):
        replies = replies.filter(visibility=Reply.Visibility.PUBLIC)
    return replies.prefetch_related("attachments")


def attachments_for(scope: Scope, ticket: Ticket) -> QuerySet[Attachment]:
    attachments = Attachment.objects.for_scope(scope).filter(ticket=ticket)
    if not is_staff(scope):
        attachments = attachments.exclude(reply__visibility=Reply.Visibility.INTERNAL)
    return attachments


def get_attachment(scope: Scope, ticket: Ticket, pk: Any) -> Attachment:
    from django.http import Http404

    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such attachment.") from None
    attachment = attachments_for(scope, ticket).filter(pk=number).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


@transaction.atomic
def attach(scope: Scope, ticket: Ticket, uploads: Sequence[Upload]) -> list[Attachment]:
    """Attach files to a ticket without a reply (staff or the ticket's customer)."""
    scope.require("tickets.reply")
    if len(uploads) > max_attachments_per_reply():
        raise ValidationError({"attachments": f"At most {max_attachments_per_reply()} files at once."})
    for upload in uploads:
        check_upload(upload)
    return [store_attachment(ticket, None, upload, scope.user) for upload in uploads]


@transaction.atomic
def attach_to_first_message(scope: Scope, ticket: Ticket, uploads: Sequence[Upload]) -> list[Attachment]:
    """Attach files to a ticket's first message (the request), as when it was opened with them."""
    scope.require("tickets.create")
    if len(uploads) > max_attachments_per_reply():
        raise ValidationError({"attachments": f"At most {max_attachments_per_reply()} files at once."})
    for upload in uploads:
        check_upload(upload)
    first = Reply.objects.for_scope(scope).filter(ticket=ticket).order_by("created_at", "id").first()
    return [store_attachment(ticket, first, upload, scope.user) for upload in uploads]
