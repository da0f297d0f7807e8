"""Time tracking, canned responses, macros, saved views and CSAT; the access declarations."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    ValidationError,
)
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query
from ninja.responses import Status

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    PageParams,
    paginate,
    path_id,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.core.scoping import Scope
from steward.servicedesk.api.common import (
    TICKET_ID,
    _canned_check,
    _referenced_ticket,
    _ticket,
    router,
    service_errors,
    staff_check,
    ticket_check,
    viewer_check,
)
from steward.servicedesk.api.tickets import detail_of
from steward.servicedesk.models import (
    CannedResponse,
)
from steward.servicedesk.schemas import (
    CannedFilters,
    CannedResponsePage,
    CsatOut,
    CsatQuery,
    MacroPage,
    RenderedOut,
    RenderQuery,
    TicketDetailOut,
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
    WorkTypePage,
)
from steward.servicedesk.services import csat, shortcuts, tickets, worktime

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
    return detail_of(request, ticket.pk)


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
