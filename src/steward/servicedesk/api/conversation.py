"""Replies, attachments, the event log and the SLA state of a ticket."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    ValidationError,
)
from django.http import FileResponse, Http404, HttpRequest
from ninja import Query
from ninja.errors import HttpError
from ninja.responses import Status

from steward.core.api.auth import guarded
from steward.core.api.common import (
    PageParams,
    paginate,
    path_id,
    scope_of,
)
from steward.core.api.errors import responses
from steward.core.services import blobs
from steward.servicedesk.api.common import (
    _CONTENT_TYPE,
    FILES_DOC,
    TICKET_ID,
    _body_doc,
    _channel,
    _multipart,
    _read_body,
    _ticket,
    _uploads,
    router,
    service_errors,
    ticket_check,
)
from steward.servicedesk.models import (
    Attachment,
    TicketEvent,
)
from steward.servicedesk.schemas import (
    AttachmentOut,
    AttachmentPage,
    EventPage,
    ReplyCreate,
    ReplyFilters,
    ReplyOut,
    ReplyPage,
    SlaOut,
)
from steward.servicedesk.services import conversation

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
