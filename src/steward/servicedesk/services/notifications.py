"""Outbound e-mail of the desk: acknowledgements, replies, resolution (with the CSAT
question), and SLA warnings and breaches for staff.

Each mail is composed with threading headers (In-Reply-To the customer's latest message,
References the ticket's chain), the ticket tag ``[T-<n>]`` in the subject, the client's
branded sender name, and recorded as ``OutboundMail`` before it is sent; a failed send stays
queued and is retried by ``retry_failed``. Acknowledgements are rate-limited per address so
a misbehaving auto-responder cannot start a mail loop.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from steward.core.models import User
from steward.core.roles import PROVIDER_ROLES, Role
from steward.core.services import blobs
from steward.servicedesk.mail import compose_message
from steward.servicedesk.mail.errors import MailTransportError
from steward.servicedesk.mail.outbound import send_message
from steward.servicedesk.models import (
    Mailbox,
    OutboundMail,
    Reply,
    SatisfactionSurvey,
    ServiceProfile,
    Ticket,
)

log = logging.getLogger(__name__)
_MUTED = contextvars.ContextVar("servicedesk_notifications_muted", default=False)
ACKS_PER_ADDRESS_PER_HOUR = 5
MAX_ATTEMPTS = 6


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """No notification is enqueued inside this block (demo data, imports)."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


def is_muted() -> bool:
    return _MUTED.get()


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def sender_for(ticket: Ticket) -> tuple[str, str]:
    """(address, display name): the client's mailbox or the shared one, with its branding."""
    mailboxes = list(
        Mailbox.objects.filter(provider_id=ticket.client.provider_id, enabled=True)
        .filter(Q(client_id=ticket.client_id) | Q(client__isnull=True))
        .order_by("pk")
    )
    own = [m for m in mailboxes if m.client_id == ticket.client_id]
    chosen = (own or mailboxes)[0] if (own or mailboxes) else None
    profile = ServiceProfile.objects.filter(client_id=ticket.client_id, site__isnull=True).first()
    name = (
        profile.sender_name if profile and profile.sender_name else ""
    ) or f"{ticket.client.provider.name} Support"
    if chosen is not None:
        return chosen.address, name
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "steward@localhost", name


def _thread_headers(ticket: Ticket) -> tuple[str | None, list[str]]:
    inbound = list(
        Reply.unscoped.filter(ticket=ticket)
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", "from_customer")
    )
    sent = list(
        OutboundMail.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    chain = [message_id for message_id, _ in inbound] + sent
    customer_ids = [message_id for message_id, from_customer in inbound if from_customer]
    in_reply_to = customer_ids[-1] if customer_ids else (chain[-1] if chain else None)
    return in_reply_to, chain


def _send(
    ticket: Ticket | None,
    message: EmailMessage,
    *,
    reply: Reply | None = None,
) -> OutboundMail:
    raw = bytes(message)
    record = OutboundMail.objects.create(
        ticket=ticket,
        reply=reply,
        message_id=str(message["Message-ID"]),
        to=[str(address) for address in (message.get_all("To") or [])],
        subject=str(message["Subject"])[:255],
        raw_sha256=blobs.put(raw),
    )
    _attempt(record, message)
    return record


def _attempt(record: OutboundMail, message: EmailMessage) -> None:
    record.attempts += 1
    try:
        send_message(message)
    except MailTransportError as exc:
        record.state = OutboundMail.State.FAILED
        record.last_error = str(exc)[:500]
        log.warning("mail %s not sent: %s", record.message_id, record.last_error)
    else:
        record.state = OutboundMail.State.SENT
        record.sent_at = timezone.now()
        record.last_error = ""
    record.save()


def retry_failed(now: dt.datetime | None = None) -> int:
    """Send again what failed, with a growing pause between attempts (2, 4, 8… minutes)."""
    from steward.servicedesk.mail.outbound import message_from_raw

    moment = now or timezone.now()
    sent = 0
    for record in OutboundMail.objects.filter(state=OutboundMail.State.FAILED, attempts__lt=MAX_ATTEMPTS):
        if record.last_error.startswith("Bounced"):
            continue
        wait = dt.timedelta(minutes=2**record.attempts)
        if record.created_at + wait > moment:
            continue
        _attempt(record, message_from_raw(blobs.read(record.raw_sha256)))
        sent += record.state == OutboundMail.State.SENT
    return sent


def _compose(
    ticket: Ticket,
    *,
    to: Sequence[str],
    subject: str,
    template: str,
    context: dict[str, Any],
    auto_submitted: str | None = None,
    cc: Sequence[str] = (),
) -> EmailMessage:
    address, name = sender_for(ticket)
    in_reply_to, chain = _thread_headers(ticket)
    text = render_to_string(
        f"servicedesk_mail/{template}.txt",
        {"ticket": ticket, "ticket_url": _site_url(f"/tickets/{ticket.pk}/"), "sender_name": name, **context},
    )
    return compose_message(
        from_address=address,
        from_name=name,
        to=list(to),
        cc=list(cc),
        subject=subject,
        text=text,
        message_id_domain=address.rpartition("@")[2] or "localhost",
        in_reply_to=in_reply_to,
        references=chain,
        ticket_number=ticket.pk,
        auto_submitted=auto_submitted,
    )


def _customer_addresses(ticket: Ticket) -> list[str]:
    addresses = [ticket.requester_email, *ticket.cc_emails]
    addresses += list(
        ticket.watchers.exclude(role__in=PROVIDER_ROLES).exclude(email="").values_list("email", flat=True)
    )
    return list(dict.fromkeys(a.lower() for a in addresses if a))


def _staff_addresses(ticket: Ticket, *, escalate: bool = False) -> list[str]:
    people: list[User] = []
    if ticket.assignee and ticket.assignee.is_active:
        people.append(ticket.assignee)
    elif ticket.team_id:
        people.extend(ticket.team.members.filter(is_active=True))  # type: ignore[union-attr]
    people.extend(ticket.watchers.filter(role__in=PROVIDER_ROLES, is_active=True))
    if escalate or not people:
        people.extend(
            User.unscoped.filter(
                provider_id=ticket.client.provider_id, role=Role.PROVIDER_ADMIN, is_active=True
            )
        )
    return list(dict.fromkeys(user.email.lower() for user in people if user.email))


def _load(ticket_id: int) -> Ticket | None:
    return (
        Ticket.unscoped.select_related("client", "client__provider", "assignee", "team")
        .filter(pk=ticket_id)
        .first()
    )


def ticket_created(ticket_id: int) -> OutboundMail | None:
    """Acknowledge a new ticket to the requester (not for tickets staff opened by hand)."""
    ticket = _load(ticket_id)
    if ticket is None or not ticket.requester_email or ticket.channel not in ("email", "portal", "api"):
        return None
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    recent = _recent_acks(ticket.requester_email, hour_ago)
    if recent >= ACKS_PER_ADDRESS_PER_HOUR:
        log.info("no acknowledgement to %s: %s already this hour", ticket.requester_email, recent)
        return None
    message = _compose(
        ticket,
        to=[ticket.requester_email],
        subject=f"We received your request: {ticket.subject}",
        template="created",
        context={},
        auto_submitted="auto-replied",
    )
    message["X-Steward-Kind"] = "acknowledgement"
    return _send(ticket, message)


def _recent_acks(address: str, since: dt.datetime) -> int:
    rows = OutboundMail.objects.filter(created_at__gte=since, subject__startswith="We received your request")
    return sum(
        1 for to in rows.values_list("to", flat=True) if any(address.lower() in str(a).lower() for a in to)
    )


def reply_posted(reply_id: int) -> OutboundMail | None:
    """A staff public reply goes to the customer; a customer reply tells the technicians."""
    reply = Reply.unscoped.select_related("ticket").filter(pk=reply_id).first()
    if reply is None or reply.visibility != Reply.Visibility.PUBLIC:
        return None
    ticket = _load(reply.ticket_id)
    if ticket is None:
        return None
    if reply.from_customer:
        to = [address for address in _staff_addresses(ticket) if address != reply.author_email.lower()]
        if not to:
            return None
        message = _compose(
            ticket,
            to=to,
            subject=f"Customer replied: {ticket.subject}",
            template="customer_reply",
            context={"reply": reply},
            auto_submitted="auto-generated",
        )
        return _send(ticket, message, reply=reply)
    to = [address for address in _customer_addresses(ticket) if address != reply.author_email.lower()]
    if not to:
        return None
    message = _compose(
        ticket,
        to=to[:1],
        cc=to[1:],
        subject=f"Re: {ticket.subject}",
        template="agent_reply",
        context={"reply": reply, "portal_url": _site_url(f"/tickets/{ticket.pk}/")},
    )
    record = _send(ticket, message, reply=reply)
    Reply.unscoped.filter(pk=reply.pk, message_id="").update(message_id=record.message_id[:255])
    return record


def ticket_resolved(ticket_id: int) -> OutboundMail | None:
    """Tell the requester, with the one-click satisfaction question."""
    from steward.servicedesk.services import csat

    ticket = _load(ticket_id)
    if ticket is None or not ticket.requester_email:
        return None
    survey, token = csat.create_survey(ticket, ticket.requester_email)
    links = {
        rating: _site_url(reverse("csat_answer", args=[token, rating]))
        for rating in SatisfactionSurvey.Rating.values
    }
    message = _compose(
        ticket,
        to=[ticket.requester_email],
        subject=f"Resolved: {ticket.subject}",
        template="resolved",
        context={"links": links, "survey": survey},
        auto_submitted="auto-generated",
    )
    return _send(ticket, message)


def sla_alert(ticket_id: int, metric: str, kind: str) -> OutboundMail | None:
    ticket = _load(ticket_id)
    if ticket is None:
        return None
    to = _staff_addresses(ticket, escalate=kind == "breach")
    if not to:
        return None
    label = {
        "first_response": "first response",
        "next_update": "next update",
        "resolution": "resolution",
    }.get(metric, metric)
    target: dict[str, Any] = next(
        (t for t in (ticket.sla_state or {}).get("targets", []) if t.get("metric") == metric), {}
    )
    verb = "breached" if kind == "breach" else "due soon"
    message = _compose(
        ticket,
        to=to,
        subject=f"SLA {verb}: {label} of {ticket.subject}",
        template="sla_alert",
        context={"metric": label, "kind": kind, "target": target},
        auto_submitted="auto-generated",
    )
    return _send(ticket, message)
