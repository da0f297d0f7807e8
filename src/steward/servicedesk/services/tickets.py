"""Ticket verbs: find, open, change (status, priority, assignment, type, tags, watchers).

Every function takes the acting :class:`Scope`. Staff (scopes with ``tickets.note``) see
every ticket of the clients they cover; client admins and client IT see their client's;
end users see the tickets they asked for or watch. Every change of status, priority or type
is appended to the ticket's event log, which the SLA engine replays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from steward.core.models import Client, Contact, Site, User
from steward.core.roles import PROVIDER_ROLES
from steward.core.scoping import Scope
from steward.devices.models import Device
from steward.servicedesk.models import (
    DONE_STATUSES,
    Channel,
    Level,
    Priority,
    Queue,
    Team,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketTag,
    TicketType,
)

MAX_SUBJECT = 255
MAX_BODY = 100_000
MAX_TAGS = 20

# Impact (rows) by urgency (columns) → priority, the ITIL-style matrix.
PRIORITY_MATRIX: dict[tuple[str, str], str] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P4,
}

# What client-side users may open; the rest is staff work.
CUSTOMER_TYPES = frozenset({TicketType.INCIDENT, TicketType.SERVICE_REQUEST})


def priority_for(impact: str, urgency: str) -> str:
    try:
        return PRIORITY_MATRIX[(Level(impact), Level(urgency))]
    except ValueError as exc:
        raise ValidationError({"impact": "Impact and urgency are high, medium or low."}) from exc


def is_staff(scope: Scope) -> bool:
    return scope.can("tickets.note")


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: f"{value!r} is not one of: {allowed}."})
    return str(value)


def visible_tickets(scope: Scope) -> QuerySet[Ticket]:
    scope.require("tickets.view")
    queryset = Ticket.objects.for_scope(scope)
    if not scope.can("tickets.view_all_client"):
        if scope.user is None:
            return queryset.none()
        queryset = queryset.filter(Q(requester_user=scope.user) | Q(watchers=scope.user)).distinct()
    return queryset


def get_ticket(scope: Scope, pk: Any) -> Ticket:
    try:
        number = int(str(pk).removeprefix("T-").removeprefix("t-"))
    except (TypeError, ValueError):
        raise Http404("No such ticket.") from None
    queryset = visible_tickets(scope).select_related("client", "site", "queue", "assignee", "team")
    ticket = queryset.filter(pk=number).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def require_staff(scope: Scope) -> None:
    if not is_staff(scope):
        raise PermissionDenied("Only the support team can do that.")


def default_queue(provider_id: int) -> Queue:
    queue = Queue.objects.filter(provider_id=provider_id).order_by("-is_default", "name").first()
    if queue is None:
        queue = Queue.objects.create(provider_id=provider_id, name="Service desk", is_default=True)
    return queue


def _staff_user(scope: Scope, user_id: Any, field: str = "assignee") -> User | None:
    if user_id in (None, ""):
        return None
    user = User.unscoped.filter(
        pk=_int(user_id, field), provider_id=scope.provider_id, role__in=PROVIDER_ROLES, is_active=True
    ).first()
    if user is None:
        raise ValidationError({field: "No such technician."})
    return user


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Expected a number."}) from None


def _provider_row(model: Any, scope: Scope, pk: Any, field: str) -> Any:
    if pk in (None, ""):
        return None
    row = model.objects.filter(pk=_int(pk, field), provider_id=scope.provider_id).first()
    if row is None:
        raise ValidationError({field: f"No such {model._meta.verbose_name}."})
    return row


def _client_for(scope: Scope, client_id: Any) -> Client:
    if scope.user is not None and scope.user.role not in PROVIDER_ROLES:
        client_id = scope.user.client_id
    if client_id in (None, ""):
        raise ValidationError({"client": "Choose a client."})
    client = Client.objects.for_scope(scope).filter(pk=_int(client_id, "client")).first()
    if client is None:
        raise ValidationError({"client": "No such client."})
    return client


def _site_for(scope: Scope, client: Client, site_id: Any) -> Site | None:
    if site_id in (None, ""):
        return None
    site = Site.objects.for_scope(scope).filter(pk=_int(site_id, "site"), client=client).first()
    if site is None:
        raise ValidationError({"site": "That site does not belong to the ticket's client."})
    return site


def _devices_for(scope: Scope, client: Client, device_ids: Iterable[Any]) -> list[Device]:
    ids = {_int(pk, "devices") for pk in device_ids}
    if not ids:
        return []
    devices = list(Device.objects.for_scope(scope).filter(pk__in=ids, client=client))
    if len(devices) != len(ids):
        raise ValidationError({"devices": "Some devices do not belong to the ticket's client."})
    return devices


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: "This field is required."})
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit} characters (this has {len(text)})."})
    return text


def log_event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    at: dt.datetime | None = None,
    detail: str = "",
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        at=at or timezone.now(),
        kind=kind,
        status=ticket.status,
        priority=ticket.priority,
        ticket_type=ticket.ticket_type,
        actor=actor,
        detail=detail[:255],
    )


def after_change(ticket: Ticket) -> None:
    """Recompute the ticket's SLA state from its event log (cheap: one ticket's events)."""
    from steward.servicedesk.services import sla

    sla.refresh(ticket)


@transaction.atomic
def open_ticket(
    scope: Scope,
    *,
    subject: Any,
    body: Any,
    client_id: Any = None,
    site_id: Any = None,
    ticket_type: str = TicketType.INCIDENT,
    impact: str = Level.MEDIUM,
    urgency: str = Level.MEDIUM,
    priority: str | None = None,
    channel: str = Channel.WEB,
    queue_id: Any = None,
    team_id: Any = None,
    assignee_id: Any = None,
    requester_user: User | None = None,
    requester_contact: Contact | None = None,
    requester_email: str = "",
    requester_name: str = "",
    cc_emails: Sequence[str] = (),
    device_ids: Iterable[Any] = (),
    tags: Iterable[str] = (),
    body_html: str = "",
    message_id: str = "",
    created_at: dt.datetime | None = None,
    parent: Ticket | None = None,
) -> Ticket:
    """Open a ticket with its first message; customers can only open for themselves."""
    from steward.servicedesk.services import conversation

    scope.require("tickets.create")
    client = _client_for(scope, client_id)
    staff = is_staff(scope)
    _choice(ticket_type, TicketType, "ticket_type")
    _choice(impact, Level, "impact")
    _choice(urgency, Level, "urgency")
    if not staff:
        if ticket_type not in CUSTOMER_TYPES:
            raise ValidationError({"ticket_type": "Choose incident or service request."})
        priority = None
        queue_id = team_id = assignee_id = None
        requester_user = scope.user
        channel = Channel.PORTAL if channel == Channel.WEB else channel
    if priority:
        _choice(priority, Priority, "priority")
    if requester_user is None and scope.user is not None and not staff:
        requester_user = scope.user
    queue = _provider_row(Queue, scope, queue_id, "queue") or default_queue(scope.provider_id)
    ticket = Ticket(
        client=client,
        site=_site_for(scope, client, site_id),
        subject=_text(subject, "subject", MAX_SUBJECT),
        ticket_type=ticket_type,
        impact=impact,
        urgency=urgency,
        priority=priority or priority_for(impact, urgency),
        channel=channel,
        queue=queue,
        team=_provider_row(Team, scope, team_id, "team") or queue.default_team,
        assignee=_staff_user(scope, assignee_id),
        requester_user=requester_user,
        requester_contact=requester_contact,
        requester_email=(requester_email or (requester_user.email if requester_user else ""))[:254],
        requester_name=(requester_name or (requester_user.full_name if requester_user else ""))[:200],
        cc_emails=list(dict.fromkeys(cc_emails))[:50],
        created_by=scope.user,
        created_at=created_at or timezone.now(),
        parent=parent,
    )
    body_text = _text(body, "body", MAX_BODY)
    ticket.search_public = ticket.subject
    ticket.save()
    devices = _devices_for(scope, client, device_ids)
    if devices:
        ticket.devices.add(*devices)
    if tags:
        set_tags(scope, ticket, tags)
    log_event(ticket, TicketEvent.Kind.CREATED, actor=scope.user, at=ticket.created_at)
    conversation.add_first_message(
        ticket,
        body_text,
        body_html=body_html,
        channel=channel,
        author_user=scope.user if scope.user is not None else None,
        author_contact=requester_contact,
        author_email=ticket.requester_email,
        author_name=ticket.requester_name,
        from_customer=not staff or channel in (Channel.EMAIL, Channel.PHONE),
        message_id=message_id,
        at=ticket.created_at,
    )
    after_change(ticket)
    transaction.on_commit(lambda: _notify_created(ticket.pk))
    return ticket


def _notify_created(ticket_id: int) -> None:
    from steward.servicedesk import tasks
    from steward.servicedesk.services.notifications import is_muted

    if is_muted():
        return

    tasks.notify_ticket_created(ticket_id)


ALLOWED_TRANSITIONS_FOR_CUSTOMERS = {TicketStatus.RESOLVED, TicketStatus.OPEN}


@transaction.atomic
def change_status(scope: Scope, ticket: Ticket, status: str, *, at: dt.datetime | None = None) -> Ticket:
    """Move a ticket to ``status``. Customers may only resolve their ticket or reopen it."""
    _choice(status, TicketStatus, "status")
    if status == TicketStatus.MERGED:
        raise ValidationError({"status": "Merge a ticket with the merge action, not by setting its status."})
    if ticket.status == TicketStatus.MERGED:
        raise ValidationError({"status": f"This ticket was merged into T-{ticket.merged_into_id}."})
    if not is_staff(scope):
        if status not in ALLOWED_TRANSITIONS_FOR_CUSTOMERS:
            raise PermissionDenied("You can resolve or reopen your ticket; the support team does the rest.")
    else:
        scope.require("tickets.manage")
    if status == ticket.status:
        return ticket
    now = at or timezone.now()
    was_done = ticket.status in DONE_STATUSES
    ticket.status = status
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif was_done:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.save()
    log_event(ticket, TicketEvent.Kind.STATUS, actor=scope.user, at=now)
    after_change(ticket)
    if status == TicketStatus.RESOLVED:
        transaction.on_commit(lambda: _notify_resolved(ticket.pk))
    return ticket


def _notify_resolved(ticket_id: int) -> None:
    from steward.servicedesk import tasks
    from steward.servicedesk.services.notifications import is_muted

    if is_muted():
        return

    tasks.notify_ticket_resolved(ticket_id)


@transaction.atomic
def update_ticket(scope: Scope, ticket: Ticket, data: dict[str, Any]) -> Ticket:
    """Change the staff-editable fields; each change of priority or type is logged."""
    require_staff(scope)
    scope.require("tickets.manage")
    if ticket.status == TicketStatus.MERGED:
        raise ValidationError({"status": f"This ticket was merged into T-{ticket.merged_into_id}."})
    now = timezone.now()
    changed_priority = changed_type = changed_assignment = False
    if "subject" in data:
        ticket.subject = _text(data["subject"], "subject", MAX_SUBJECT)
    if "ticket_type" in data and data["ticket_type"] != ticket.ticket_type:
        ticket.ticket_type = _choice(data["ticket_type"], TicketType, "ticket_type")
        changed_type = True
    impact = data.get("impact", ticket.impact)
    urgency = data.get("urgency", ticket.urgency)
    if "impact" in data or "urgency" in data:
        ticket.impact = _choice(impact, Level, "impact")
        ticket.urgency = _choice(urgency, Level, "urgency")
        new_priority = priority_for(impact, urgency)
        if "priority" not in data and new_priority != ticket.priority:
            ticket.priority = new_priority
            changed_priority = True
    if data.get("priority") and data["priority"] != ticket.priority:
        ticket.priority = _choice(data["priority"], Priority, "priority")
        changed_priority = True
    if "site_id" in data:
        ticket.site = _site_for(scope, ticket.client, data["site_id"])
    if "queue_id" in data:
        ticket.queue = _provider_row(Queue, scope, data["queue_id"], "queue") or ticket.queue
    if "team_id" in data:
        ticket.team = _provider_row(Team, scope, data["team_id"], "team")
        changed_assignment = True
    if "assignee_id" in data:
        assignee = _staff_user(scope, data["assignee_id"])
        changed_assignment = changed_assignment or assignee != ticket.assignee
        ticket.assignee = assignee
    if "sla_policy_id" in data:
        from steward.servicedesk.models import SlaPolicy

        ticket.sla_policy = _provider_row(SlaPolicy, scope, data["sla_policy_id"], "sla_policy")
    if "cc_emails" in data:
        ticket.cc_emails = _emails(data["cc_emails"])
    ticket.save()
    if "device_ids" in data:
        ticket.devices.set(_devices_for(scope, ticket.client, data["device_ids"] or []))
    if "tags" in data:
        set_tags(scope, ticket, data["tags"] or [])
    if changed_priority:
        log_event(ticket, TicketEvent.Kind.PRIORITY, actor=scope.user, at=now)
    if changed_type:
        log_event(ticket, TicketEvent.Kind.TYPE, actor=scope.user, at=now)
    if changed_assignment:
        who = ticket.assignee.full_name if ticket.assignee else "nobody"
        log_event(ticket, TicketEvent.Kind.ASSIGNED, actor=scope.user, at=now, detail=f"Assigned to {who}")
    if "sla_policy_id" in data:
        log_event(ticket, TicketEvent.Kind.SLA_CHANGED, actor=scope.user, at=now)
    after_change(ticket)
    return ticket


def _emails(values: Any) -> list[str]:
    from django.core.validators import validate_email

    if isinstance(values, str):
        values = values.replace(";", ",").split(",")
    result: list[str] = []
    for value in values or []:
        address = str(value).strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({"cc_emails": f"{address!r} is not an e-mail address."}) from None
        result.append(address)
    if len(result) > 50:
        raise ValidationError({"cc_emails": "At most 50 addresses."})
    return list(dict.fromkeys(result))


def set_tags(scope: Scope, ticket: Ticket, names: Iterable[str]) -> list[TicketTag]:
    cleaned: list[str] = []
    for name in names:
        text = str(name).strip()[:50]
        if text and text.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(text)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags."})
    tags = []
    for text in cleaned:
        tag = TicketTag.objects.filter(provider_id=scope.provider_id, name__iexact=text).first()
        tags.append(tag or TicketTag.objects.create(provider_id=scope.provider_id, name=text))
    ticket.tags.set(tags)
    return tags


def set_watchers(scope: Scope, ticket: Ticket, user_ids: Iterable[Any]) -> list[User]:
    """Staff may add any staff member or one of the ticket's client's users as a watcher."""
    require_staff(scope)
    ids = {_int(pk, "watchers") for pk in user_ids}
    users = list(
        User.unscoped.filter(pk__in=ids, provider_id=scope.provider_id, is_active=True).filter(
            Q(role__in=PROVIDER_ROLES) | Q(client_id=ticket.client_id)
        )
    )
    if len(users) != len(ids):
        raise ValidationError({"watchers": "Some users cannot watch this ticket."})
    ticket.watchers.set(users)
    return users


def watch(scope: Scope, ticket: Ticket, on: bool = True) -> None:
    """The acting user starts or stops watching a ticket they can see."""
    if scope.user is None:
        raise PermissionDenied("Only a person can watch a ticket.")
    if on:
        ticket.watchers.add(scope.user)
    else:
        ticket.watchers.remove(scope.user)


# ---- People and references for the ticket pages ---------------------------------------


def assignable_users(scope: Scope) -> QuerySet[User]:
    """Active provider staff: who a ticket can be assigned to (and who may watch any ticket)."""
    return User.unscoped.filter(
        provider_id=scope.provider_id, role__in=PROVIDER_ROLES, is_active=True
    ).order_by("full_name", "pk")


def client_people(scope: Scope, client_id: int | None) -> QuerySet[User]:
    """Active sign-in users of one client inside the scope (requesters and watchers)."""
    if client_id is None:
        return User.objects.for_scope(scope).none()
    return (
        User.objects.for_scope(scope).filter(client_id=client_id, is_active=True).order_by("full_name", "pk")
    )


def requester_for(scope: Scope, client: Client, email: str) -> tuple[User | None, Contact | None]:
    """The portal user and the contact of ``client`` with this e-mail address, if any.

    A ticket opened by staff for someone with a portal account then shows in their portal.
    """
    address = (email or "").strip().lower()
    if not address:
        return None, None
    user = client_people(scope, client.pk).filter(email__iexact=address).first()
    contact = Contact.objects.for_scope(scope).filter(client=client, email__iexact=address).first()
    return user, contact


def parse_reference(value: Any) -> int | None:
    """``T-12``, ``#12`` or ``12`` → 12; anything else → None."""
    text = str(value or "").strip().upper().removeprefix("#").removeprefix("T-").removeprefix("T")
    return int(text) if text.isdigit() and len(text) <= 12 else None


# ---- Canned responses, macros and saved views (the configuration pages) --------------


def configurable_canned_responses(scope: Scope) -> QuerySet[Any]:
    """Canned responses a configuring user manages: global ones and those of covered clients."""
    from steward.servicedesk.models import CannedResponse

    scope.require("servicedesk.configure")
    rows = CannedResponse.objects.filter(provider_id=scope.provider_id)
    if scope.client_ids is not None:
        rows = rows.filter(Q(client__isnull=True) | Q(client_id__in=scope.client_ids))
    return rows.select_related("client")


def save_canned_response(scope: Scope, canned: Any, *, title: Any, body: Any, client_id: Any = None) -> Any:
    """Create (``canned`` None) or change a canned response; a client one only for a covered client."""
    from steward.servicedesk.models import CannedResponse

    scope.require("servicedesk.configure")
    client = None
    if client_id not in (None, ""):
        client = Client.objects.for_scope(scope).filter(pk=_int(client_id, "client")).first()
        if client is None:
            raise ValidationError({"client": "No such client."})
    elif not scope.all_clients:
        raise ValidationError({"client": "Only staff covering every client can write global responses."})
    row = canned or CannedResponse(provider_id=scope.provider_id, created_by=scope.user)
    row.title = _text(title, "title", 150)
    row.body = _text(body, "body", 20_000)
    row.client = client
    row.save()
    return row


def delete_canned_response(scope: Scope, canned: Any) -> None:
    scope.require("servicedesk.configure")
    canned.delete()


def save_macro(scope: Scope, macro: Any, *, name: Any, actions: Any) -> Any:
    """Create (``macro`` None) or change a macro; its actions are validated first."""
    from steward.servicedesk.models import Macro
    from steward.servicedesk.services.shortcuts import validate_macro_actions

    scope.require("servicedesk.configure")
    title = _text(name, "name", 150)
    clean = validate_macro_actions(scope, actions)
    taken = Macro.objects.filter(provider_id=scope.provider_id, name__iexact=title)
    if macro is not None:
        taken = taken.exclude(pk=macro.pk)
    if taken.exists():
        raise ValidationError({"name": "Another macro has this name."})
    row = macro or Macro(provider_id=scope.provider_id, created_by=scope.user)
    row.name = title
    row.actions = clean
    row.save()
    return row


def delete_macro(scope: Scope, macro: Any) -> None:
    scope.require("servicedesk.configure")
    macro.delete()


def delete_saved_view(scope: Scope, pk: Any) -> None:
    """Delete one of the acting user's own saved ticket views (404 for anyone else's)."""
    from steward.servicedesk.models import SavedView

    view = None
    if scope.user is not None and str(pk).isdigit():
        view = SavedView.objects.filter(provider_id=scope.provider_id, owner=scope.user, pk=int(pk)).first()
    if view is None:
        raise Http404("No such saved view.")
    view.delete()


def watcher_candidates(scope: Scope, ticket: Ticket) -> QuerySet[User]:
    """Who may watch ``ticket``: provider staff and the active users of the ticket's client."""
    return (
        User.unscoped.filter(provider_id=scope.provider_id, is_active=True)
        .filter(Q(role__in=PROVIDER_ROLES) | Q(client_id=ticket.client_id))
        .order_by("full_name", "pk")
    )
