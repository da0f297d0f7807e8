"""Ticket routes: list, open, read, change, status, merge, split, links, parent, watchers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from django.db.models import F, QuerySet, prefetch_related_objects
from django.http import HttpRequest
from ninja import Query
from ninja.responses import Status

from steward.core.api.auth import guarded
from steward.core.api.common import (
    PageParams,
    needs,
    scope_of,
)
from steward.core.api.errors import responses
from steward.core.models import Contact, User
from steward.core.scoping import Scope
from steward.servicedesk.api.common import (
    REFERENCE,
    TICKET_ID,
    _body_doc,
    _channel,
    _read_body,
    _referenced_ticket,
    _ticket,
    router,
    service_errors,
    ticket_check,
    viewer_check,
)
from steward.servicedesk.models import (
    OPEN_STATUSES,
    Ticket,
    TicketStatus,
)
from steward.servicedesk.schemas import (
    TICKET_LIST_COLUMNS,
    LinkIn,
    LinkOut,
    LinkPage,
    MergeIn,
    ParentIn,
    SplitIn,
    StatusIn,
    TicketCreate,
    TicketDetailOut,
    TicketFilters,
    TicketPage,
    TicketPatch,
    UnlinkIn,
    WatcherOut,
    WatchersIn,
    WatchingOut,
)
from steward.servicedesk.services import conversation, search, structure, tickets

# ---- Tickets ---------------------------------------------------------------------------------


def _filtered(scope: Scope, filters: TicketFilters) -> QuerySet[Ticket]:
    rows = tickets.visible_tickets(scope)
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.site_id is not None:
        rows = rows.filter(site_id=filters.site_id)
    if filters.status:
        statuses: set[str] = set()
        for value in filters.status:
            if value == "open":
                statuses |= {str(status) for status in OPEN_STATUSES}
            elif value == "done":
                statuses |= {TicketStatus.RESOLVED, TicketStatus.CLOSED}
            else:
                statuses.add(value)
        rows = rows.filter(status__in=sorted(statuses))
    for name in ("priority", "ticket_type", "channel"):
        values = getattr(filters, name)
        if values:
            rows = rows.filter(**{f"{name}__in": sorted(set(values))})
    if filters.queue_id is not None:
        rows = rows.filter(queue_id=filters.queue_id)
    if filters.team_id is not None:
        rows = rows.filter(team_id=filters.team_id)
    if filters.assignee_id == "me":
        rows = rows.filter(assignee_id=scope.user.pk) if scope.user is not None else rows.none()
    elif filters.assignee_id == "none":
        rows = rows.filter(assignee__isnull=True)
    elif filters.assignee_id:
        rows = rows.filter(assignee_id=int(filters.assignee_id))
    if filters.tag:
        tagged = Ticket.tags.through.objects.filter(
            tickettag__provider_id=scope.provider_id, tickettag__name__iexact=filters.tag
        ).values("ticket_id")
        rows = rows.filter(pk__in=tagged)
    if filters.sla_breached is not None:
        rows = rows.filter(sla_breached=filters.sla_breached)
    if filters.created_after is not None:
        rows = rows.filter(created_at__gte=filters.created_after)
    if filters.created_before is not None:
        rows = rows.filter(created_at__lt=filters.created_before)
    if filters.updated_after is not None:
        rows = rows.filter(updated_at__gte=filters.updated_after)
    if filters.q:
        number = REFERENCE.fullmatch(filters.q)
        if number:
            rows = rows.filter(pk=int(number.group(1)))
        else:
            rows = search.search(rows, filters.q, include_internal=tickets.is_staff(scope))
    return rows


def _ordered(rows: QuerySet[Ticket], ordering: str) -> QuerySet[Ticket]:
    field = ordering.lstrip("-")
    descending = ordering.startswith("-")
    if field == "sla_due_at":  # tickets without a due time last, whichever way
        due = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return rows.order_by(due, "-pk" if descending else "pk")
    return (
        rows.order_by(ordering, "-pk" if descending else "pk") if field != "id" else rows.order_by(ordering)
    )


def _links(scope: Scope, ticket: Ticket) -> list[dict[str, Any]]:
    rows = structure.relations_of(scope, ticket)
    if not scope.can("tickets.view_all_client"):
        # End users see links only to tickets they may see themselves.
        reachable = set(
            tickets.visible_tickets(scope)
            .filter(pk__in=[other.pk for _, _, other in rows])
            .values_list("pk", flat=True)
        )
        rows = [row for row in rows if row[2].pk in reachable]
    return [
        {
            "id": relation.pk,
            "kind": relation.kind,
            "label": label,
            "direction": "outgoing" if relation.source_id == ticket.pk else "incoming",
            "ticket_id": other.pk,
            "reference": other.reference,
            "subject": other.subject,
            "status": other.status,
        }
        for label, relation, other in rows
    ]


def detail_of(request: HttpRequest, pk: int) -> Ticket:
    """The ticket as it is now (read again after a change), with what the detail shows."""
    scope = scope_of(request)
    ticket = tickets.get_ticket(scope, pk)
    prefetch_related_objects([ticket], "tags", "watchers", "devices")
    ticket.api_links = _links(scope, ticket)  # type: ignore[attr-defined]
    return ticket


@router.get(
    "/tickets",
    response={200: TicketPage, **responses(403, 422)},
    url_name="ticket_list",
    auth=guarded(needs("tickets.view")),
    operation_id="listTickets",
    summary="List tickets",
)
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    """Tickets you may see: staff every ticket of their clients, client admins and client IT
    their client's, end users those they asked for or watch."""
    scope = scope_of(request)
    rows = _filtered(scope, filters)
    page = _ordered(rows, filters.ordering).only(*TICKET_LIST_COLUMNS).prefetch_related("tags")
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": list(page[filters.offset : filters.offset + filters.limit]),
    }


@router.post(
    "/tickets",
    response={201: TicketDetailOut, **responses(400, 403, 413, 422)},
    url_name="ticket_create",
    auth=guarded(viewer_check("tickets.create")),
    operation_id="createTicket",
    summary="Open a ticket",
    openapi_extra=_body_doc(TicketCreate),
)
def create_ticket(request: HttpRequest) -> Any:
    """JSON, or multipart with the JSON in a `payload` part and files in `files` parts (they
    are attached to the first message). Customers open tickets for their own client, as
    incidents or service requests; the staff-only fields are refused (403) for them."""
    scope = scope_of(request)
    payload, uploads = _read_body(request, TicketCreate)
    staff = tickets.is_staff(scope)
    sent = payload.model_fields_set
    requester_user = requester_contact = None
    if not staff:
        refused = sorted(sent & TicketCreate.STAFF_FIELDS)
        if refused:
            raise PermissionDenied(f"Only the support team can set: {', '.join(refused)}.")
        own = scope.user.client_id if scope.user is not None else None
        if payload.client_id is not None and payload.client_id != own:
            raise ValidationError({"client_id": "Unknown client."})
    elif payload.client_id is None:
        raise ValidationError({"client_id": "Choose a client."})
    else:
        if payload.requester_user_id is not None:
            requester_user = (
                User.objects.for_scope(scope)
                .filter(pk=payload.requester_user_id, client_id=payload.client_id, is_active=True)
                .first()
            )
            if requester_user is None:
                raise ValidationError({"requester_user_id": "Unknown user of this client."})
        if payload.requester_contact_id is not None:
            requester_contact = (
                Contact.objects.for_scope(scope)
                .filter(pk=payload.requester_contact_id, client_id=payload.client_id)
                .first()
            )
            if requester_contact is None:
                raise ValidationError({"requester_contact_id": "Unknown contact of this client."})
    with transaction.atomic(), service_errors():
        ticket = tickets.open_ticket(
            scope,
            subject=payload.subject,
            body=payload.body,
            client_id=payload.client_id,
            site_id=payload.site_id,
            ticket_type=payload.ticket_type,
            impact=payload.impact,
            urgency=payload.urgency,
            priority=payload.priority,
            channel=payload.channel or _channel(request, scope),
            queue_id=payload.queue_id,
            team_id=payload.team_id,
            assignee_id=payload.assignee_id,
            requester_user=requester_user,
            requester_contact=requester_contact,
            requester_email=payload.requester_email or (requester_contact.email if requester_contact else ""),
            requester_name=payload.requester_name
            or (requester_contact.full_name if requester_contact else ""),
            cc_emails=payload.cc_emails,
            device_ids=payload.device_ids,
            tags=payload.tags,
        )
        if uploads:
            first = conversation.replies_for(scope, ticket).order_by("created_at", "id").first()
            for upload in uploads:
                conversation.store_attachment(ticket, first, upload, scope.user)
    return Status(201, detail_of(request, ticket.pk))


@router.get(
    "/tickets/{ticket_id}",
    response={200: TicketDetailOut, **responses(403, 404, 422)},
    url_name="ticket_detail",
    auth=guarded(ticket_check()),
    operation_id="getTicket",
    summary="Get a ticket",
)
def get_ticket(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    return detail_of(request, _ticket(request).pk)


@router.patch(
    "/tickets/{ticket_id}",
    response={200: TicketDetailOut, **responses(403, 404, 413, 422)},
    url_name="ticket_detail",
    auth=guarded(ticket_check()),
    operation_id="updateTicket",
    summary="Change a ticket",
)
def update_ticket(request: HttpRequest, payload: TicketPatch, ticket_id: int = TICKET_ID) -> Any:
    """Partial update. Staff change any field (needs `tickets.manage`); customers may only
    set `status` to resolved or open. A change of status, priority, type or assignment is
    logged for the SLA. All or nothing: a refused field leaves the ticket unchanged."""
    scope = scope_of(request)
    ticket = _ticket(request)
    changes = payload.changes()
    status = changes.pop("status", None)
    if changes and not tickets.is_staff(scope):
        raise PermissionDenied(
            f"Only the support team can change {', '.join(sorted(changes))}; "
            "you can resolve or reopen the ticket."
        )
    with transaction.atomic(), service_errors():
        if changes:
            tickets.update_ticket(scope, ticket, changes)
        if status:
            tickets.change_status(scope, ticket, status)
    return detail_of(request, ticket.pk)


@router.post(
    "/tickets/{ticket_id}/status",
    response={200: TicketDetailOut, **responses(403, 404, 413, 422)},
    url_name="ticket_status",
    auth=guarded(ticket_check()),
    operation_id="changeTicketStatus",
    summary="Change a ticket's status",
)
def change_status(request: HttpRequest, payload: StatusIn, ticket_id: int = TICKET_ID) -> Any:
    """Staff: any status but merged (`tickets.manage`). Customers: resolved or open."""
    ticket = _ticket(request)
    with service_errors():
        tickets.change_status(scope_of(request), ticket, payload.status)
    return detail_of(request, ticket.pk)


@router.post(
    "/tickets/{ticket_id}/merge",
    response={200: TicketDetailOut, **responses(403, 404, 413, 422)},
    url_name="ticket_merge",
    auth=guarded(ticket_check(staff=True, permission="tickets.manage")),
    operation_id="mergeTicket",
    summary="Merge a ticket into another",
)
def merge_ticket(request: HttpRequest, payload: MergeIn, ticket_id: int = TICKET_ID) -> Any:
    """Replies, files, time, watchers and devices move to the target, which is returned; this
    ticket becomes `merged`. Both tickets must belong to the same client."""
    scope = scope_of(request)
    other = _referenced_ticket(scope, payload.target_id, "target_id")
    with service_errors():
        merged = structure.merge(scope, _ticket(request), other)
    return detail_of(request, merged.pk)


@router.post(
    "/tickets/{ticket_id}/split",
    response={201: TicketDetailOut, **responses(403, 404, 413, 422)},
    url_name="ticket_split",
    auth=guarded(ticket_check(staff=True, permission="tickets.manage")),
    operation_id="splitTicket",
    summary="Split replies off into a new ticket",
)
def split_ticket(request: HttpRequest, payload: SplitIn, ticket_id: int = TICKET_ID) -> Any:
    """The replies move to a new ticket of the same client, linked to this one (returned)."""
    with service_errors():
        created = structure.split(scope_of(request), _ticket(request), payload.reply_ids, payload.subject)
    return Status(201, detail_of(request, created.pk))


@router.get(
    "/tickets/{ticket_id}/links",
    response={200: LinkPage, **responses(403, 404, 422)},
    url_name="ticket_links",
    auth=guarded(ticket_check()),
    operation_id="listTicketLinks",
    summary="A ticket's links",
)
def list_links(request: HttpRequest, page: Query[PageParams], ticket_id: int = TICKET_ID) -> Any:
    """Both directions: "Blocks" where this ticket is the source, "Blocked by" where it is the target."""
    rows = _links(scope_of(request), _ticket(request))
    return {
        "count": len(rows),
        "limit": page.limit,
        "offset": page.offset,
        "results": [LinkOut(**row) for row in rows[page.offset : page.offset + page.limit]],
    }


@router.post(
    "/tickets/{ticket_id}/links",
    response={201: LinkOut, **responses(403, 404, 413, 422)},
    url_name="ticket_links",
    auth=guarded(ticket_check(staff=True)),
    operation_id="linkTicket",
    summary="Link a ticket to another",
)
def add_link(request: HttpRequest, payload: LinkIn, ticket_id: int = TICKET_ID) -> Any:
    """This ticket `kind` the target (e.g. this ticket blocks T-12). Linking twice is harmless."""
    scope = scope_of(request)
    ticket = _ticket(request)
    _referenced_ticket(scope, payload.target_id, "target_id")
    with service_errors():
        relation = structure.link(scope, ticket, payload.target_id, payload.kind)
    row = next(row for row in _links(scope, ticket) if row["id"] == relation.pk)
    return Status(201, row)


@router.delete(
    "/tickets/{ticket_id}/links",
    response={204: None, **responses(403, 404, 413, 422)},
    url_name="ticket_links",
    auth=guarded(ticket_check(staff=True)),
    operation_id="unlinkTicket",
    summary="Remove a link",
)
def remove_link(request: HttpRequest, payload: UnlinkIn, ticket_id: int = TICKET_ID) -> Any:
    scope = scope_of(request)
    ticket = _ticket(request)
    if not any(row["id"] == payload.link_id for row in _links(scope, ticket)):
        raise ValidationError({"link_id": "No such link on this ticket."})
    structure.unlink(scope, ticket, payload.link_id)
    return Status(204, None)


@router.put(
    "/tickets/{ticket_id}/parent",
    response={200: TicketDetailOut, **responses(403, 404, 413, 422)},
    url_name="ticket_parent",
    auth=guarded(ticket_check(staff=True)),
    operation_id="setTicketParent",
    summary="Set or clear a ticket's parent",
)
def set_parent(request: HttpRequest, payload: ParentIn, ticket_id: int = TICKET_ID) -> Any:
    scope = scope_of(request)
    ticket = _ticket(request)
    if payload.parent_id is not None:
        _referenced_ticket(scope, payload.parent_id, "parent_id")
    with service_errors(target="parent_id"):
        structure.set_parent(scope, ticket, payload.parent_id)
    return detail_of(request, ticket.pk)


@router.put(
    "/tickets/{ticket_id}/watchers",
    response={200: list[WatcherOut], **responses(403, 404, 413, 422)},
    url_name="ticket_watchers",
    auth=guarded(ticket_check(staff=True)),
    operation_id="setTicketWatchers",
    summary="Replace a ticket's watchers",
)
def set_watchers(request: HttpRequest, payload: WatchersIn, ticket_id: int = TICKET_ID) -> Any:
    """Staff, or users of the ticket's client. Watchers get the ticket's mail; end users also
    see the tickets they watch."""
    with service_errors():
        users = tickets.set_watchers(scope_of(request), _ticket(request), payload.user_ids)
    return sorted(users, key=lambda user: user.pk)


@router.post(
    "/tickets/{ticket_id}/watch",
    response={200: WatchingOut, **responses(403, 404, 413)},
    url_name="ticket_watch",
    auth=guarded(ticket_check()),
    operation_id="watchTicket",
    summary="Watch a ticket",
)
def watch_ticket(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    tickets.watch(scope_of(request), _ticket(request), True)
    return {"watching": True}


@router.delete(
    "/tickets/{ticket_id}/watch",
    response={200: WatchingOut, **responses(403, 404, 413)},
    url_name="ticket_watch",
    auth=guarded(ticket_check()),
    operation_id="unwatchTicket",
    summary="Stop watching a ticket",
)
def unwatch_ticket(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    """End users who did not ask for the ticket no longer see it afterwards."""
    tickets.watch(scope_of(request), _ticket(request), False)
    return {"watching": False}
