"""A ticket's page (staff and portal) and the actions on it: reply, status, fields, files.

Staff actions are htmx forms: the answer re-renders the page's regions (header,
conversation, side panel, and the reply box after a reply) out of band and puts a short
message in the page's status region. Without JavaScript the same forms post normally and
redirect back with a message. Invalid input re-renders the page with the form's errors.
Customers get their own page without internal notes, internal files or staff controls.
"""

from __future__ import annotations

import functools
import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.core.scoping import Scope
from steward.core.services import blobs
from steward.devices.models import Device
from steward.servicedesk.forms import (
    AttachForm,
    LinkForm,
    MacroApplyForm,
    ParentForm,
    PortalReplyForm,
    ReplyForm,
    StatusForm,
    TicketEditForm,
    TimeEntryForm,
    TimerStopForm,
    priority_matrix_json,
    uploads_of,
)
from steward.servicedesk.models import (
    OPEN_STATUSES,
    Attachment,
    CannedResponse,
    Channel,
    Priority,
    Reply,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
)
from steward.servicedesk.services import conversation, shortcuts, structure, worktime
from steward.servicedesk.services import tickets as ticket_service
from steward.servicedesk.views.common import (
    detail_url,
    is_htmx,
    row_sla,
    scope_for,
    sla_policy_name,
    sla_targets,
    staff_ticket,
)

CHECK_FIELDS = "Please correct the highlighted fields."
SAFE_INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf", "text/plain"}
)
KB_BOX = "servicedesk/kb/_ticket_suggestions.html"
ENTRY_LIMIT = 100
EVENT_LIMIT = 40


# ---- Page context -------------------------------------------------------------------------


@functools.cache
def kb_box_available() -> bool:
    """Whether the knowledge base offers its box for ticket pages (it loads itself with htmx)."""
    try:
        get_template(KB_BOX)
    except TemplateDoesNotExist:
        return False
    return True


def _related(scope: Scope, ticket: Ticket) -> dict[str, Any]:
    visible = ticket_service.visible_tickets(scope).only("pk", "subject", "status", "client_id")
    return {
        "parent": visible.filter(pk=ticket.parent_id).first() if ticket.parent_id else None,
        "children": list(visible.filter(parent=ticket).order_by("pk")[:50]),
        "merged_into": visible.filter(pk=ticket.merged_into_id).first() if ticket.merged_into_id else None,
        "merged_from": list(visible.filter(merged_into=ticket).order_by("pk")[:50]),
    }


def _history(scope: Scope, ticket: Ticket) -> list[tuple[TicketEvent, str]]:
    """The ticket's event log, newest first, each with a line of text."""
    statuses = dict(TicketStatus.choices)
    priorities = dict(Priority.choices)
    types = dict(TicketType.choices)
    rows = []
    events = TicketEvent.objects.for_scope(scope).filter(ticket=ticket).select_related("actor")
    for event in events.order_by("-at", "-id")[:EVENT_LIMIT]:
        if event.kind == TicketEvent.Kind.STATUS:
            text = f"Status: {statuses.get(event.status, event.status)}"
        elif event.kind == TicketEvent.Kind.PRIORITY:
            text = f"Priority: {priorities.get(event.priority, event.priority)}"
        elif event.kind == TicketEvent.Kind.TYPE:
            text = f"Type: {types.get(event.ticket_type, event.ticket_type)}"
        elif event.kind == TicketEvent.Kind.ASSIGNED and event.detail:
            text = event.detail
        else:
            text = event.get_kind_display() + (f" · {event.detail}" if event.detail else "")
        rows.append((event, text))
    return rows


def _canned_text(request: HttpRequest, scope: Scope, ticket: Ticket) -> str:
    raw = request.GET.get("canned", "")
    if not raw.isdigit():
        return ""
    canned = shortcuts.canned_responses(scope, ticket).filter(pk=int(raw)).first()
    return shortcuts.render_canned(scope, canned, ticket) if canned is not None else ""


def staff_context(
    request: HttpRequest, scope: Scope, ticket: Ticket, forms: dict[str, Any] | None = None
) -> dict[str, Any]:
    now = timezone.now()
    forms = forms or {}
    can_manage = scope.can("tickets.manage")
    can_time = scope.can("tickets.time")
    watchers = list(ticket.watchers.only("pk", "full_name", "email", "client_id").order_by("full_name"))
    user_id = getattr(scope.user, "pk", None)
    context: dict[str, Any] = {
        "page_title": f"{ticket.reference} {ticket.subject}",
        "ticket": ticket,
        "now": now,
        "staff": True,
        "can_manage": can_manage,
        "can_note": scope.can("tickets.note"),
        "can_reply": scope.can("tickets.reply"),
        "can_time": can_time,
        "is_merged": ticket.status == TicketStatus.MERGED,
        "sla": row_sla(ticket, now),
        "sla_targets": sla_targets(ticket, now),
        "sla_policy": sla_policy_name(ticket),
        "replies": list(conversation.replies_for(scope, ticket)),
        "loose_files": list(conversation.attachments_for(scope, ticket).filter(reply__isnull=True)),
        "tags": list(ticket.tags.order_by("name")),
        "devices": list(
            Device.objects.for_scope(scope)
            .filter(tickets=ticket)
            .only("pk", "hostname", "display_name", "client_id")
            .order_by("hostname")
        ),
        "watchers": watchers,
        "watching": any(watcher.pk == user_id for watcher in watchers),
        "relations": structure.relations_of(scope, ticket),
        "events": _history(scope, ticket),
        "canned_responses": list(
            shortcuts.canned_responses(scope, ticket).only("pk", "title").order_by("title")
        ),
        "kb_suggestions": kb_box_available(),
        **_related(scope, ticket),
    }
    context["reply_form"] = forms.get("reply_form") or ReplyForm(
        initial={"body": _canned_text(request, scope, ticket)},
        can_note=context["can_note"],
        can_manage=can_manage,
    )
    if can_manage:
        context["status_form"] = forms.get("status_form") or StatusForm(initial={"status": ticket.status})
        context["link_form"] = forms.get("link_form") or LinkForm()
        context["parent_form"] = forms.get("parent_form") or ParentForm(
            initial={"parent": f"T-{ticket.parent_id}" if ticket.parent_id else ""}
        )
        context["macro_form"] = forms.get("macro_form") or MacroApplyForm(scope=scope)
        context["has_macros"] = shortcuts.macros(scope).exists()
        context["edit_form"] = forms.get("edit_form")
        if context["edit_form"] is not None:
            context["matrix"] = priority_matrix_json()
    if can_time:
        timer = worktime.running_timer(scope)
        context["timer"] = timer
        context["timer_here"] = timer is not None and timer.ticket_id == ticket.pk
        context["timer_form"] = forms.get("timer_form") or TimerStopForm(scope=scope)
        context["time_form"] = forms.get("time_form") or TimeEntryForm(scope=scope)
        context["time_entries"] = list(worktime.entries_for(scope, ticket)[:ENTRY_LIMIT])
        context["time_totals"] = worktime.totals(scope, ticket)
    return context


def portal_context(scope: Scope, ticket: Ticket, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    user_id = getattr(scope.user, "pk", None)
    return {
        "page_title": f"{ticket.reference} {ticket.subject}",
        "ticket": ticket,
        "staff": False,
        "replies": list(conversation.replies_for(scope, ticket)),
        "loose_files": list(conversation.attachments_for(scope, ticket).filter(reply__isnull=True)),
        "is_merged": ticket.status == TicketStatus.MERGED,
        "is_open": ticket.status in OPEN_STATUSES,
        "can_reopen": ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED),
        "can_reply": scope.can("tickets.reply"),
        "watching": ticket.watchers.filter(pk=user_id).exists() if user_id else False,
        "is_requester": user_id is not None and ticket.requester_user_id == user_id,
        "merged_into": (
            ticket_service.visible_tickets(scope)
            .filter(pk=ticket.merged_into_id)
            .only("pk", "subject")
            .first()
            if ticket.merged_into_id
            else None
        ),
        "reply_form": forms.get("reply_form") or PortalReplyForm(),
        "attach_form": forms.get("attach_form") or AttachForm(),
        "kb_suggestions": kb_box_available(),
    }


def render_ticket(
    request: HttpRequest,
    scope: Scope,
    ticket: Ticket,
    *,
    forms: dict[str, Any] | None = None,
    flash: str = "",
    level: str = "success",
    reply_region: bool = False,
) -> HttpResponse:
    """The whole page, or (htmx, staff) its regions out of band plus a status message."""
    if not ticket_service.is_staff(scope):
        context = portal_context(scope, ticket, forms)
        if flash and level == "error":
            context["page_error"] = flash
        return render(request, "servicedesk/portal/detail.html", context)
    context = staff_context(request, scope, ticket, forms)
    if is_htmx(request):
        context.update({"oob": True, "flash": flash, "level": level, "reply_region": reply_region})
        return render(request, "servicedesk/tickets/_regions.html", context)
    if flash and level == "error":
        context["page_error"] = flash
    return render(request, "servicedesk/tickets/detail.html", context)


def finish(
    request: HttpRequest,
    scope: Scope,
    ticket: Ticket,
    message: str,
    *,
    reply_region: bool = False,
    anchor: str = "",
) -> HttpResponse:
    """After a successful action: the refreshed regions (htmx) or a redirect with a message."""
    if is_htmx(request) and ticket_service.is_staff(scope):
        fresh = ticket_service.get_ticket(scope, ticket.pk)
        return render_ticket(request, scope, fresh, flash=message, reply_region=reply_region)
    messages.success(request, message)
    return redirect(detail_url(ticket) + anchor)


def failed(
    request: HttpRequest,
    scope: Scope,
    ticket: Ticket,
    forms: dict[str, Any],
    message: str = CHECK_FIELDS,
    *,
    reply_region: bool = False,
) -> HttpResponse:
    fresh = ticket_service.get_ticket(scope, ticket.pk)
    return render_ticket(
        request, scope, fresh, forms=forms, flash=message, level="error", reply_region=reply_region
    )


def refused(request: HttpRequest, scope: Scope, ticket: Ticket, exc: ValidationError) -> HttpResponse:
    """A service refused an action that has no form of its own: say why, change nothing."""
    message = " ".join(exc.messages) or "That did not work."
    if is_htmx(request) and ticket_service.is_staff(scope):
        return render_ticket(
            request, scope, ticket_service.get_ticket(scope, ticket.pk), flash=message, level="error"
        )
    messages.error(request, message)
    return redirect(detail_url(ticket))


# ---- The page -------------------------------------------------------------------------------


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    ticket = ticket_service.get_ticket(scope, pk)
    return render_ticket(request, scope, ticket)


@login_required
@require_GET
def ticket_canned(request: HttpRequest, pk: int) -> HttpResponse:
    """A canned response filled in for this ticket, as plain text (the reply box inserts it)."""
    scope, ticket = staff_ticket(request, pk)
    raw = request.GET.get("canned", "")
    canned: CannedResponse | None = None
    if raw.isdigit():
        canned = shortcuts.canned_responses(scope, ticket).filter(pk=int(raw)).first()
    if canned is None:
        raise Http404("No such canned response.")
    response = HttpResponse(
        shortcuts.render_canned(scope, canned, ticket), content_type="text/plain; charset=utf-8"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- Conversation ---------------------------------------------------------------------------


@login_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    ticket = ticket_service.get_ticket(scope, pk)
    scope.require("tickets.reply")
    staff = ticket_service.is_staff(scope)
    form: ReplyForm | PortalReplyForm
    if staff:
        form = ReplyForm(
            request.POST,
            request.FILES,
            can_note=scope.can("tickets.note"),
            can_manage=scope.can("tickets.manage"),
        )
    else:
        form = PortalReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        internal = staff and data.get("visibility") == Reply.Visibility.INTERNAL
        try:
            conversation.add_reply(
                scope,
                ticket,
                data["body"],
                internal=internal,
                channel=Channel.WEB if staff else Channel.PORTAL,
                uploads=uploads_of(data.get("attachments")),
                status=data.get("status") or None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"status": "status"})
        else:
            message = "Internal note added." if internal else "Reply sent."
            return finish(request, scope, ticket, message, reply_region=True, anchor="#ticket-reply")
    return failed(request, scope, ticket, {"reply_form": form}, reply_region=True)


@login_required
@require_POST
def ticket_attach(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    ticket = ticket_service.get_ticket(scope, pk)
    scope.require("tickets.reply")
    form = AttachForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attached = conversation.attach(scope, ticket, uploads_of(form.cleaned_data["attachments"]))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            count = len(attached)
            return finish(request, scope, ticket, f"Attached {count} file{'s' if count != 1 else ''}.")
    return failed(request, scope, ticket, {"attach_form": form})


@login_required
@require_GET
def ticket_attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download a file the user may see; always as an attachment, never rendered as a page."""
    scope = scope_for(request)
    ticket_id = Attachment.objects.for_scope(scope).filter(pk=pk).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise Http404("No such attachment.")
    ticket = ticket_service.get_ticket(scope, ticket_id)
    attachment = conversation.get_attachment(scope, ticket, pk)
    try:
        handle = blobs.path_for(attachment.sha256).open("rb")
    except (OSError, ValueError):
        raise Http404("The file is no longer stored.") from None
    declared = attachment.content_type.split(";")[0].strip().lower()
    guessed = mimetypes.guess_type(attachment.filename)[0] or ""
    content_type = (
        declared if declared in SAFE_INLINE_TYPES and guessed == declared else "application/octet-stream"
    )
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- Status, fields, watching ---------------------------------------------------------------


@login_required
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff set any status; customers resolve or reopen their ticket."""
    scope = scope_for(request)
    ticket = ticket_service.get_ticket(scope, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        if not ticket_service.is_staff(scope):
            raise PermissionDenied("You can resolve or reopen your ticket; the support team does the rest.")
        return failed(request, scope, ticket, {"status_form": form})
    status = form.cleaned_data["status"]
    try:
        ticket_service.change_status(scope, ticket, status)
    except ValidationError as exc:
        return refused(request, scope, ticket, exc)
    label = TicketStatus(status).label
    if not ticket_service.is_staff(scope):
        message = (
            "Thank you: the ticket is resolved."
            if status == TicketStatus.RESOLVED
            else "The ticket is open again."
        )
        return finish(request, scope, ticket, message)
    return finish(request, scope, ticket, f"Status set to “{label}”.")


def _edit_page(request: HttpRequest, ticket: Ticket, form: TicketEditForm) -> HttpResponse:
    return render(
        request,
        "servicedesk/tickets/edit.html",
        {
            "page_title": f"Edit {ticket.reference}",
            "title": f"Edit {ticket.reference}",
            "subtitle": ticket.subject,
            "ticket": ticket,
            "form": form,
            "matrix": priority_matrix_json(),
            "in_panel": is_htmx(request),
            "breadcrumbs": [("Tickets", reverse("ticket_list")), (ticket.reference, detail_url(ticket))],
        },
    )


EDIT_ALIASES = {
    "site_id": "site",
    "queue_id": "queue",
    "team_id": "team",
    "assignee_id": "assignee",
    "device_ids": "devices",
    "status": "__all__",
}


@login_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.manage")
    form = TicketEditForm(request.POST if request.method == "POST" else None, scope=scope, ticket=ticket)
    if request.method == "POST":
        if form.is_valid():
            changes = form.changes()
            watchers = form.watcher_ids()
            try:
                if changes:
                    ticket_service.update_ticket(scope, ticket, changes)
                if watchers is not None:
                    ticket_service.set_watchers(scope, ticket, watchers)
            except ValidationError as exc:
                apply_service_errors(form, exc, EDIT_ALIASES)
            else:
                message = "Saved the changes." if changes or watchers is not None else "Nothing changed."
                return finish(request, scope, ticket, message)
        if is_htmx(request):
            return failed(request, scope, ticket, {"edit_form": form})
    return _edit_page(request, ticket, form)


@login_required
@require_POST
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick assignment: ``assignee`` is ``me``, ``none`` or a technician's id."""
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.manage")
    raw = str(request.POST.get("assignee", "")).strip()
    if raw == "me":
        assignee: Any = getattr(scope.user, "pk", None)
    elif raw in ("", "none"):
        assignee = None
    else:
        assignee = raw
    try:
        ticket_service.update_ticket(scope, ticket, {"assignee_id": assignee})
    except ValidationError as exc:
        return refused(request, scope, ticket, exc)
    who = ticket.assignee.full_name if ticket.assignee else "nobody"
    return finish(request, scope, ticket, f"Assigned to {who}.")


@login_required
@require_POST
def ticket_watch(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    ticket = ticket_service.get_ticket(scope, pk)
    on = request.POST.get("on", "1") != "0"
    ticket_service.watch(scope, ticket, on)
    if not on and not ticket_service.visible_tickets(scope).filter(pk=ticket.pk).exists():
        messages.success(request, f"You no longer follow {ticket.reference}.")
        return redirect("ticket_list")
    return finish(
        request, scope, ticket, "You follow this ticket now." if on else "You no longer follow this ticket."
    )
