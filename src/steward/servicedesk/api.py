"""/tickets and the rest of the service desk in the REST API.

Every ticket route first finds the ticket among those the caller may see (``get_ticket``:
404 for unknown ids and other clients' tickets alike), then checks the role (403), and only
then reads the input (422). Writes go through ``steward.servicedesk.services``.

Opening a ticket, replying and attaching take JSON, or ``multipart/form-data`` with the
same JSON document in a part named ``payload`` and the files in parts named ``files``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.db import transaction
from django.db.models import F, QuerySet, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.responses import Status
from pydantic import ValidationError as PydanticValidationError

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    Check,
    PageParams,
    Principal,
    needs,
    paginate,
    parse_id,
    path_id,
    principal,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.core.models import Contact, User
from steward.core.scoping import Scope
from steward.core.services import blobs
from steward.servicedesk.models import (
    OPEN_STATUSES,
    Attachment,
    CannedResponse,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from steward.servicedesk.schemas import (
    TICKET_LIST_COLUMNS,
    AttachmentOut,
    AttachmentPage,
    CannedFilters,
    CannedResponsePage,
    CsatOut,
    CsatQuery,
    EventPage,
    LinkIn,
    LinkOut,
    LinkPage,
    MacroPage,
    MergeIn,
    ParentIn,
    RenderedOut,
    RenderQuery,
    ReplyCreate,
    ReplyFilters,
    ReplyOut,
    ReplyPage,
    SlaOut,
    SplitIn,
    StatusIn,
    TicketCreate,
    TicketDetailOut,
    TicketFilters,
    TicketPage,
    TicketPatch,
    TicketViewCreate,
    TicketViewOut,
    TicketViewPage,
    TimeEntryCreate,
    TimeEntryOut,
    TimePage,
    TimerOut,
    TimerStart,
    TimerStarted,
    TimerStop,
    TimerStopped,
    UnlinkIn,
    WatcherOut,
    WatchersIn,
    WatchingOut,
    WorkTypePage,
)
from steward.servicedesk.services import conversation, csat, search, shortcuts, structure, tickets, worktime
from steward.servicedesk.services.conversation import Upload

router = Router(tags=["Tickets"])

REFERENCE = re.compile(r"(?:#|[tT]-?)([0-9]{1,12})")
TICKET_ID = path_id("The ticket's number (T-42 is 42).")
S = TypeVar("S", bound=Schema)

# Service errors name model fields; the API names them as the request does.
FIELD_NAMES = {
    "client": "client_id",
    "site": "site_id",
    "queue": "queue_id",
    "team": "team_id",
    "assignee": "assignee_id",
    "sla_policy": "sla_policy_id",
    "devices": "device_ids",
    "watchers": "user_ids",
    "work_type": "work_type_id",
    "attachments": "files",
    "replies": "reply_ids",
    "target": "target_id",
    "parent": "parent_id",
    "entry": "entry_id",
    "timer": "ticket_id",
}


@contextmanager
def service_errors(**names: str) -> Iterator[None]:
    """Rename the fields of a service's ValidationError to the request's field names."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {names.get(key, FIELD_NAMES.get(key, key)): value for key, value in exc.error_dict.items()}
        raise ValidationError(renamed) from exc


# ---- Checks (run inside authentication, before the input is read) -------------------------


def _refuse_oversized(request: HttpRequest) -> None:
    """A body over the limits is refused up front (413), before anything reads it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if request.content_type == "multipart/form-data":
        limit = conversation.max_attachment_bytes() * conversation.max_attachments_per_reply()
        limit += settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    else:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    if limit and length > limit:
        raise HttpError(413, f"The request body is too large: at most {limit:,} bytes.")


def ticket_check(*, staff: bool = False, permission: str | None = None) -> Check:
    """The ticket named by the path is one the caller may see (else 404, whether it exists or
    not); with ``staff``, the caller is on the support team (403); then ``permission`` (403)."""

    def check(request: HttpRequest, who: Principal) -> None:
        match = request.resolver_match
        pk = parse_id(match.kwargs.get("ticket_id") if match else None)
        if pk is None:
            raise Http404
        ticket = tickets.get_ticket(who.scope, pk)
        if staff:
            tickets.require_staff(who.scope)
        if permission:
            who.scope.require(permission)
        _refuse_oversized(request)
        request.api_object = ticket  # type: ignore[attr-defined]

    return check


def staff_check(permission: str | None = None) -> Check:
    def check(request: HttpRequest, who: Principal) -> None:
        tickets.require_staff(who.scope)
        if permission:
            who.scope.require(permission)
        _refuse_oversized(request)

    return check


def viewer_check(permission: str) -> Check:
    def check(request: HttpRequest, who: Principal) -> None:
        who.scope.require(permission)
        _refuse_oversized(request)

    return check


def _canned_check(request: HttpRequest, who: Principal) -> None:
    tickets.require_staff(who.scope)
    match = request.resolver_match
    pk = parse_id(match.kwargs.get("canned_id") if match else None)
    found = shortcuts.canned_responses(who.scope).filter(pk=pk).first() if pk else None
    if found is None:
        raise Http404
    request.api_object = found  # type: ignore[attr-defined]


def _ticket(request: HttpRequest) -> Ticket:
    return target(request, Ticket)


def _referenced_ticket(scope: Scope, pk: int, field: str) -> Ticket:
    """A ticket named in a body or query: unknown or out of reach is a 422 on that field."""
    try:
        return tickets.get_ticket(scope, pk)
    except Http404:
        raise ValidationError({field: "No such ticket, or outside your access."}) from None


# ---- Bodies: JSON, or multipart with a JSON "payload" part and "files" parts --------------

_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def _invalid(errors: list[dict[str, Any]]) -> RequestValidationError:
    return RequestValidationError(
        [{**error, "loc": ("body", "payload", *error.get("loc", ()))} for error in errors]
    )


def _not_an_object() -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", "payload"), "type": "dict_type", "msg": "Not an object."}]
    )


def _uploads(files: list[Any]) -> list[Upload]:
    """Checked before reading: count, size (from the upload's length) and file type."""
    if len(files) > conversation.max_attachments_per_reply():
        raise ValidationError({"files": f"At most {conversation.max_attachments_per_reply()} files at once."})
    limit = conversation.max_attachment_bytes()
    uploads = []
    for file in files:
        name = file.name or "attachment"
        size = file.size or 0
        if size > limit:
            shown = conversation.clean_filename(name)
            raise ValidationError({"files": f"{shown}: {size:,} bytes is over the limit of {limit:,} bytes."})
        with service_errors():
            conversation.check_upload(Upload(filename=name, content=b""))
    for file in files:
        kind = (file.content_type or "").lower().strip()
        uploads.append(
            Upload(
                filename=file.name or "attachment",
                content=file.read(),
                content_type=kind if _CONTENT_TYPE.match(kind) else "",
            )
        )
    return uploads


def _multipart(request: HttpRequest, *, payload: bool = True) -> tuple[Any, list[Any]]:
    """(the parsed "payload" part or None, the "files" parts) of a multipart body; any other
    part is refused (without ``payload``, a "payload" part too)."""
    try:
        fields = request.POST
        files = request.FILES
    except RequestDataTooBig:
        raise HttpError(413, "The request's form fields are too large.") from None
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, SuspiciousOperation):
        raise HttpError(400, "The multipart body could not be read.") from None
    known = {"payload", "csrfmiddlewaretoken"} if payload else {"csrfmiddlewaretoken"}
    unknown = sorted((set(fields) - known) | (set(files) - {"files"}))
    if unknown:
        raise RequestValidationError(
            [
                {"loc": ("body", name), "type": "extra_forbidden", "msg": "Unknown part."}
                for name in unknown[:20]
            ]
        )
    raw = fields.get("payload")
    data = None
    if raw is not None:
        try:
            data = json.loads(raw)
        except ValueError:
            raise HttpError(400, "The 'payload' part is not valid JSON.") from None
    return data, files.getlist("files")


def _read_body(request: HttpRequest, schema: type[S]) -> tuple[S, list[Upload]]:
    """The body as ``schema`` and its files: JSON, or multipart with "payload" and "files"."""
    uploads: list[Any] = []
    if request.content_type == "multipart/form-data":
        data, uploads = _multipart(request)
        if data is None:
            raise RequestValidationError(
                [
                    {
                        # ("body", "payload") is the parameter; the third part names the part.
                        "loc": ("body", "payload", "payload"),
                        "type": "missing_part",
                        "msg": "Send the JSON document in a part named 'payload'.",
                    }
                ]
            )
    else:
        try:
            raw = request.body
        except RequestDataTooBig:
            raise HttpError(413, "The request body is too large.") from None
        if not raw:
            raise _not_an_object()
        try:
            data = json.loads(raw)
        except ValueError:
            raise HttpError(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _not_an_object()
    try:
        payload = schema.model_validate(data)
    except PydanticValidationError as exc:
        raise _invalid([dict(error) for error in exc.errors(include_url=False)]) from None
    return payload, _uploads(uploads)


def _body_doc(schema: type[Schema], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI for a body that is JSON, or multipart with a JSON "payload" part and files."""
    json_schema = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {"schema": json_schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["payload"],
                        "properties": {
                            "payload": {"type": "string", "description": "The same JSON document."},
                            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        },
                    }
                },
            },
        }
    }


FILES_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


def _channel(request: HttpRequest, scope: Scope) -> str:
    if principal(request).token is not None:
        return "api"
    return "web" if tickets.is_staff(scope) else "portal"


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


def _detail(request: HttpRequest, pk: int) -> Ticket:
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
    return Status(201, _detail(request, ticket.pk))


@router.get(
    "/tickets/{ticket_id}",
    response={200: TicketDetailOut, **responses(403, 404, 422)},
    url_name="ticket_detail",
    auth=guarded(ticket_check()),
    operation_id="getTicket",
    summary="Get a ticket",
)
def get_ticket(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    return _detail(request, _ticket(request).pk)


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
    return _detail(request, ticket.pk)


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
    return _detail(request, ticket.pk)


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
    return _detail(request, merged.pk)


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
    return Status(201, _detail(request, created.pk))


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
    return _detail(request, ticket.pk)


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


# ---- Conversation ----------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/replies",
    response={200: ReplyPage, **responses(403, 404, 422)},
    url_name="ticket_replies",
    auth=guarded(ticket_check()),
    operation_id="listTicketReplies",
    summary="A ticket's conversation",
)
def list_replies(request: HttpRequest, filters: Query[ReplyFilters], ticket_id: int = TICKET_ID) -> Any:
    """Oldest first. Customers get the public replies only; staff also the internal notes."""
    rows = conversation.replies_for(scope_of(request), _ticket(request))
    if filters.internal is not None:
        rows = rows.filter(visibility="internal" if filters.internal else "public")
    return paginate(rows.order_by("created_at", "id"), filters)


@router.post(
    "/tickets/{ticket_id}/replies",
    response={201: ReplyOut, **responses(400, 403, 404, 413, 422)},
    url_name="ticket_replies",
    auth=guarded(ticket_check()),
    operation_id="replyToTicket",
    summary="Reply, or write an internal note",
    openapi_extra=_body_doc(ReplyCreate),
)
def add_reply(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    """JSON, or multipart with the JSON in `payload` and files in `files`. `internal: true`
    writes a note (staff only). A customer's reply reopens a resolved ticket."""
    scope = scope_of(request)
    payload, uploads = _read_body(request, ReplyCreate)
    with service_errors():
        reply = conversation.add_reply(
            scope,
            _ticket(request),
            payload.body,
            internal=payload.internal,
            channel=_channel(request, scope),
            uploads=uploads,
            status=payload.status,
        )
    return Status(201, reply)


@router.get(
    "/tickets/{ticket_id}/attachments",
    response={200: AttachmentPage, **responses(403, 404, 422)},
    url_name="ticket_attachments",
    auth=guarded(ticket_check()),
    operation_id="listTicketAttachments",
    summary="A ticket's files",
)
def list_attachments(request: HttpRequest, page: Query[PageParams], ticket_id: int = TICKET_ID) -> Any:
    """Customers do not see files of internal notes."""
    rows = conversation.attachments_for(scope_of(request), _ticket(request))
    return paginate(rows.order_by("created_at", "id"), page)


@router.post(
    "/tickets/{ticket_id}/attachments",
    response={201: list[AttachmentOut], **responses(400, 403, 404, 413, 415, 422)},
    url_name="ticket_attachments",
    auth=guarded(ticket_check()),
    operation_id="attachToTicket",
    summary="Attach files to a ticket",
    openapi_extra=FILES_DOC,
)
def add_attachments(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    """multipart/form-data with one or more parts named `files`. Executables and scripts are
    refused, as are files over the size limit (25 MB unless configured)."""
    if request.content_type != "multipart/form-data":
        raise HttpError(415, "Send multipart/form-data with the files in parts named 'files'.")
    _, files = _multipart(request, payload=False)
    if not files:
        raise ValidationError({"files": "Attach at least one file."})
    uploads = _uploads(files)
    with service_errors():
        return Status(201, conversation.attach(scope_of(request), _ticket(request), uploads))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}/download",
    response=responses(403, 404, 422),
    url_name="ticket_attachment_download",
    auth=guarded(ticket_check()),
    operation_id="downloadTicketAttachment",
    summary="Download a file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(
    request: HttpRequest, ticket_id: int = TICKET_ID, attachment_id: int = path_id("The file's id.")
) -> Any:
    """Always served as a download (`Content-Disposition: attachment`, `nosniff`)."""
    attachment: Attachment = conversation.get_attachment(scope_of(request), _ticket(request), attachment_id)
    if not blobs.exists(attachment.sha256):
        raise Http404("The file is missing from the store.")
    kind = attachment.content_type.lower()
    response = FileResponse(
        blobs.path_for(attachment.sha256).open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=kind if _CONTENT_TYPE.match(kind) else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- Log and SLA -------------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/events",
    response={200: EventPage, **responses(403, 404, 422)},
    url_name="ticket_events",
    auth=guarded(ticket_check(staff=True)),
    operation_id="listTicketEvents",
    summary="A ticket's event log (staff)",
)
def list_events(request: HttpRequest, page: Query[PageParams], ticket_id: int = TICKET_ID) -> Any:
    """Every change of status, priority, type and assignment, replies and notes, oldest
    first: the log the SLA engine replays."""
    rows = TicketEvent.objects.for_scope(scope_of(request)).filter(ticket=_ticket(request))
    return paginate(rows.order_by("at", "id"), page)


@router.get(
    "/tickets/{ticket_id}/sla",
    response={200: SlaOut, **responses(403, 404, 422)},
    url_name="ticket_sla",
    auth=guarded(ticket_check()),
    operation_id="getTicketSla",
    summary="A ticket's SLA state",
)
def get_sla(request: HttpRequest, ticket_id: int = TICKET_ID) -> Any:
    """The state cached from the SLA engine at the ticket's last change."""
    return _ticket(request)


# ---- Time ----------------------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/time",
    response={200: TimePage, **responses(403, 404, 422)},
    url_name="ticket_time",
    auth=guarded(ticket_check(staff=True, permission="tickets.time")),
    operation_id="listTicketTime",
    summary="Time booked on a ticket",
)
def list_time(request: HttpRequest, page: Query[PageParams], ticket_id: int = TICKET_ID) -> Any:
    scope = scope_of(request)
    ticket = _ticket(request)
    result = paginate(worktime.entries_for(scope, ticket).order_by("-started_at", "-id"), page)
    return {**result, **worktime.totals(scope, ticket)}


@router.post(
    "/tickets/{ticket_id}/time",
    response={201: TimeEntryOut, **responses(403, 404, 413, 422)},
    url_name="ticket_time",
    auth=guarded(ticket_check(staff=True, permission="tickets.time")),
    operation_id="addTicketTime",
    summary="Book time on a ticket",
)
def add_time(request: HttpRequest, payload: TimeEntryCreate, ticket_id: int = TICKET_ID) -> Any:
    with service_errors():
        entry = worktime.add_entry(
            scope_of(request),
            _ticket(request),
            minutes=payload.minutes,
            work_type_id=payload.work_type_id,
            billable=payload.billable,
            started_at=payload.started_at,
            note=payload.note,
        )
    return Status(201, entry)


@router.delete(
    "/tickets/{ticket_id}/time/{entry_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="ticket_time_entry",
    auth=guarded(ticket_check(staff=True, permission="tickets.time")),
    operation_id="deleteTicketTime",
    summary="Delete a time entry",
)
def delete_time(
    request: HttpRequest, ticket_id: int = TICKET_ID, entry_id: int = path_id("The entry's id.")
) -> Any:
    scope = scope_of(request)
    ticket = _ticket(request)
    if not worktime.entries_for(scope, ticket).filter(pk=entry_id).exists():
        raise Http404
    worktime.delete_entry(scope, ticket, entry_id)
    return Status(204, None)


def _timer_out(scope: Scope) -> dict[str, Any]:
    timer = worktime.running_timer(scope)
    if timer is None:
        return {"running": False}
    return {
        "running": True,
        "ticket_id": timer.ticket_id,
        "reference": f"T-{timer.ticket_id}",
        "started_at": timer.started_at,
        "elapsed_seconds": max(0, int((timezone.now() - timer.started_at).total_seconds())),
    }


@router.get(
    "/timer",
    response={200: TimerOut, **responses(403)},
    url_name="timer_detail",
    auth=guarded(staff_check("tickets.time")),
    operation_id="getTimer",
    summary="Your running timer",
    tags=["Time"],
)
def get_timer(request: HttpRequest) -> Any:
    return _timer_out(scope_of(request))


@router.post(
    "/timer/start",
    response={200: TimerStarted, **responses(403, 413, 422)},
    url_name="timer_start",
    auth=guarded(staff_check("tickets.time")),
    operation_id="startTimer",
    summary="Start timing a ticket",
    tags=["Time"],
)
def start_timer(request: HttpRequest, payload: TimerStart) -> Any:
    """A timer running on another ticket is stopped and booked first (returned as `stopped`)."""
    scope = scope_of(request)
    ticket = _referenced_ticket(scope, payload.ticket_id, "ticket_id")
    with service_errors():
        _, stopped = worktime.start_timer(scope, ticket)
    return {"timer": _timer_out(scope), "stopped": stopped}


@router.post(
    "/timer/stop",
    response={200: TimerStopped, **responses(403, 413, 422)},
    url_name="timer_stop",
    auth=guarded(staff_check("tickets.time")),
    operation_id="stopTimer",
    summary="Stop your timer and book the time",
    tags=["Time"],
)
def stop_timer(request: HttpRequest, payload: TimerStop | None = None) -> Any:
    """Rounded up to the minute. The body is optional. Without a running timer: `entry` is null."""
    options = payload or TimerStop()
    with service_errors():
        entry = worktime.stop_timer(
            scope_of(request), work_type_id=options.work_type_id, billable=options.billable, note=options.note
        )
    return {"entry": entry}


@router.get(
    "/work-types",
    response={200: WorkTypePage, **responses(403, 422)},
    url_name="work_type_list",
    auth=guarded(staff_check("tickets.time")),
    operation_id="listWorkTypes",
    summary="Work types for time entries",
    tags=["Time"],
)
def list_work_types(request: HttpRequest, page: Query[PageParams]) -> Any:
    return paginate(worktime.work_types(scope_of(request)).order_by("name", "pk"), page)


# ---- Shortcuts, views, CSAT ----------------------------------------------------------------------------


@router.get(
    "/canned-responses",
    response={200: CannedResponsePage, **responses(403, 422)},
    url_name="canned_response_list",
    auth=guarded(staff_check()),
    operation_id="listCannedResponses",
    summary="Canned responses",
    tags=["Service desk shortcuts"],
)
def list_canned(request: HttpRequest, filters: Query[CannedFilters]) -> Any:
    scope = scope_of(request)
    ticket = None
    if filters.ticket_id is not None:
        ticket = _referenced_ticket(scope, filters.ticket_id, "ticket_id")
    return paginate(shortcuts.canned_responses(scope, ticket).order_by("title", "pk"), filters)


@router.get(
    "/canned-responses/{canned_id}/render",
    response={200: RenderedOut, **responses(403, 404, 422)},
    url_name="canned_response_render",
    auth=guarded(_canned_check),
    operation_id="renderCannedResponse",
    summary="A canned response filled in for a ticket",
    tags=["Service desk shortcuts"],
)
def render_canned(
    request: HttpRequest, query: Query[RenderQuery], canned_id: int = path_id("The canned response's id.")
) -> Any:
    scope = scope_of(request)
    canned = target(request, CannedResponse)
    ticket = _referenced_ticket(scope, query.ticket_id, "ticket_id")
    if not shortcuts.canned_responses(scope, ticket).filter(pk=canned.pk).exists():
        raise ValidationError({"ticket_id": "This canned response is for another client."})
    return {"text": shortcuts.render_canned(scope, canned, ticket)}


@router.get(
    "/macros",
    response={200: MacroPage, **responses(403, 422)},
    url_name="macro_list",
    auth=guarded(staff_check()),
    operation_id="listMacros",
    summary="Macros",
    tags=["Service desk shortcuts"],
)
def list_macros(request: HttpRequest, page: Query[PageParams]) -> Any:
    return paginate(shortcuts.macros(scope_of(request)).order_by("name", "pk"), page)


@router.post(
    "/tickets/{ticket_id}/macros/{macro_id}/apply",
    response={200: TicketDetailOut, **responses(403, 404, 422)},
    url_name="ticket_macro_apply",
    auth=guarded(ticket_check(staff=True)),
    operation_id="applyMacro",
    summary="Apply a macro to a ticket",
    tags=["Service desk shortcuts"],
)
def apply_macro(
    request: HttpRequest, ticket_id: int = TICKET_ID, macro_id: int = path_id("The macro's id.")
) -> Any:
    """Fields, tags, note, reply, then status, all or nothing. No body."""
    scope = scope_of(request)
    ticket = _ticket(request)
    macro = shortcuts.macros(scope).filter(pk=macro_id).first()
    if macro is None:
        raise Http404
    with service_errors():
        shortcuts.apply_macro(scope, ticket, macro)
    return _detail(request, ticket.pk)


@router.get(
    "/ticket-views",
    response={200: TicketViewPage, **responses(403, 422)},
    url_name="ticket_view_list",
    auth=guarded(viewer_check("tickets.view")),
    operation_id="listTicketViews",
    summary="Saved ticket views",
    tags=["Service desk shortcuts"],
)
def list_views(request: HttpRequest, page: Query[PageParams]) -> Any:
    """Yours, and (for staff) those other technicians shared."""
    return paginate(shortcuts.saved_views(scope_of(request)).order_by("name", "pk"), page)


@router.post(
    "/ticket-views",
    response={201: TicketViewOut, **responses(403, 413, 422)},
    url_name="ticket_view_create",
    auth=guarded(viewer_check("tickets.view")),
    operation_id="saveTicketView",
    summary="Save a ticket view",
    tags=["Service desk shortcuts"],
)
def save_view(request: HttpRequest, payload: TicketViewCreate) -> Any:
    """Saving under a name you already use replaces that view. Only staff can share."""
    scope = scope_of(request)
    if payload.shared and not tickets.is_staff(scope):
        raise PermissionDenied("Only the support team can share views.")
    query = {key: str(value) for key, value in payload.query.items()}
    with service_errors():
        view = shortcuts.save_view(scope, payload.name, query, shared=payload.shared)
    return Status(201, view)


@router.get(
    "/csat/summary",
    response={200: CsatOut, **responses(403, 422)},
    url_name="csat_summary",
    auth=guarded(staff_check()),
    operation_id="getCsatSummary",
    summary="Customer satisfaction (staff)",
    tags=["Service desk shortcuts"],
)
def csat_summary(request: HttpRequest, query: Query[CsatQuery]) -> Any:
    """Answers to the survey sent on resolution, over your clients (or one: `client_id`)."""
    scope = scope_of(request)
    if query.client_id is not None:
        scope = scope.narrowed(client_ids=[query.client_id])
    result = csat.summary(scope)
    counts = {rating: int(result["counts"].get(rating, 0)) for rating in ("good", "okay", "bad")}
    return {"answered": result["answered"], "counts": counts, "score": result["score"]}


# ---- Access declarations (checked by the cross-tenant harness) --------------------------------------------

TICKET = "servicedesk.ticket"
declare("api:ticket_list", "list", methods=("GET",))
declare("api:ticket_create", "create", methods=("POST",), create_fields={"client_id": "core.client"})
declare("api:ticket_detail", "object", model=TICKET, methods=("GET", "PATCH"))
for _name, _methods in {
    "ticket_status": ("POST",),
    "ticket_merge": ("POST",),
    "ticket_split": ("POST",),
    "ticket_links": ("GET", "POST", "DELETE"),
    "ticket_parent": ("PUT",),
    "ticket_watchers": ("PUT",),
    "ticket_watch": ("POST", "DELETE"),
    "ticket_replies": ("GET", "POST"),
    "ticket_attachments": ("GET", "POST"),
    "ticket_attachment_download": ("GET",),
    "ticket_events": ("GET",),
    "ticket_sla": ("GET",),
    "ticket_time": ("GET", "POST"),
    "ticket_time_entry": ("DELETE",),
    "ticket_macro_apply": ("POST",),
}.items():
    declare(f"api:{_name}", "object", model=TICKET, methods=_methods)
declare("api:timer_detail", "provider", methods=("GET",), note="The caller's own timer; staff only.")
declare("api:timer_start", "provider", methods=("POST",), note="Staff only; the ticket must be in reach.")
declare("api:timer_stop", "provider", methods=("POST",), note="The caller's own timer; staff only.")
declare("api:work_type_list", "provider", methods=("GET",))
declare("api:canned_response_list", "provider", methods=("GET",))
declare("api:canned_response_render", "object", model="servicedesk.cannedresponse", methods=("GET",))
declare("api:macro_list", "provider", methods=("GET",))
declare(
    "api:ticket_view_list", "self", methods=("GET",), note="The caller's views and views shared with staff."
)
declare("api:ticket_view_create", "self", methods=("POST",), note="Saves a view owned by the caller.")
declare("api:csat_summary", "provider", methods=("GET",))
