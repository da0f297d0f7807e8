"""Staff actions on a ticket's structure and time: links, parent, merge, split, macros, timer.

All of them answer 403 to client users (after a 404 for a ticket they cannot see) and go
through the structure, shortcut and worktime services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.servicedesk.forms import (
    LinkForm,
    MacroApplyForm,
    MergeForm,
    ParentForm,
    SplitForm,
    TimeEntryForm,
    TimerStopForm,
    billable_value,
)
from steward.servicedesk.models import Ticket, TicketStatus
from steward.servicedesk.services import conversation, shortcuts, structure, worktime
from steward.servicedesk.services import tickets as ticket_service
from steward.servicedesk.views.common import detail_url, staff_ticket
from steward.servicedesk.views.detail import failed, finish, refused


def _breadcrumbs(ticket: Ticket) -> list[tuple[str, str]]:
    return [("Tickets", reverse("ticket_list")), (ticket.reference, detail_url(ticket))]


# ---- Links and parent -----------------------------------------------------------------------


@login_required
@require_POST
def ticket_link(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            relation = structure.link(scope, ticket, form.cleaned_data["target"], form.cleaned_data["kind"])
        except Http404:
            form.add_error("target", "No such ticket.")
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            label = relation.get_kind_display().lower()
            return finish(request, scope, ticket, f"Linked: {label} T-{relation.target_id}.")
    return failed(request, scope, ticket, {"link_form": form})


@login_required
@require_POST
def ticket_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    raw = str(request.POST.get("relation", ""))
    if not raw.isdigit():
        return refused(request, scope, ticket, ValidationError("Choose a link to remove."))
    structure.unlink(scope, ticket, int(raw))
    return finish(request, scope, ticket, "Link removed.")


@login_required
@require_POST
def ticket_parent(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    form = ParentForm(request.POST)
    if form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            structure.set_parent(scope, ticket, parent)
        except Http404:
            form.add_error("parent", "No such ticket.")
        except ValidationError as exc:
            apply_service_errors(form, exc, {"target": "parent"})
        else:
            return finish(
                request, scope, ticket, f"Parent set to T-{parent}." if parent else "Parent removed."
            )
    return failed(request, scope, ticket, {"parent_form": form})


# ---- Merge and split --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: name the ticket to merge into, then confirm with both side by side."""
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.manage")
    form = MergeForm(
        request.POST if request.method == "POST" else None,
        initial={"target": request.GET.get("into", "")[:20]},
    )
    target: Ticket | None = None
    if request.method == "POST" and form.is_valid():
        try:
            target = ticket_service.get_ticket(scope, form.cleaned_data["target"])
        except Http404:
            form.add_error("target", "No such ticket.")
        else:
            if target.pk == ticket.pk:
                form.add_error("target", "A ticket cannot be merged into itself.")
                target = None
            elif form.cleaned_data["confirm"]:
                try:
                    structure.merge(scope, ticket, target)
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                    target = None
                else:
                    messages.success(request, f"{ticket.reference} was merged into {target.reference}.")
                    return redirect(detail_url(target))
    return render(
        request,
        "servicedesk/tickets/merge.html",
        {
            "page_title": f"Merge {ticket.reference}",
            "ticket": ticket,
            "target": target,
            "form": form,
            "is_merged": ticket.status == TicketStatus.MERGED,
            "breadcrumbs": _breadcrumbs(ticket),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_split(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.manage")
    replies = list(conversation.replies_for(scope, ticket))
    initial = {"replies": [value for value in request.GET.getlist("reply") if value.isdigit()][:200]}
    form = SplitForm(request.POST if request.method == "POST" else None, replies=replies, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            new_ticket = structure.split(
                scope, ticket, form.cleaned_data["replies"], form.cleaned_data["subject"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Split off as {new_ticket.reference}, linked to {ticket.reference}.")
            return redirect(detail_url(new_ticket))
    chosen = set(form["replies"].value() or [])
    return render(
        request,
        "servicedesk/tickets/split.html",
        {
            "page_title": f"Split {ticket.reference}",
            "ticket": ticket,
            "form": form,
            "rows": [(reply, str(reply.pk) in chosen) for reply in replies],
            "breadcrumbs": _breadcrumbs(ticket),
        },
    )


# ---- Macros ------------------------------------------------------------------------------------


@login_required
@require_POST
def ticket_macro(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.manage")
    form = MacroApplyForm(request.POST, scope=scope)
    if form.is_valid():
        macro = form.cleaned_data["macro"]
        try:
            shortcuts.apply_macro(scope, ticket, macro)
        except ValidationError as exc:
            form.add_error("macro", exc.messages)
        else:
            return finish(request, scope, ticket, f"Applied “{macro.name}”.")
    return failed(request, scope, ticket, {"macro_form": form})


# ---- Time ----------------------------------------------------------------------------------------


@login_required
@require_POST
def ticket_timer(request: HttpRequest, pk: int) -> HttpResponse:
    """``action=start`` times this ticket (booking a timer running elsewhere); ``stop`` books it."""
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.time")
    if request.POST.get("action") == "start":
        try:
            _, stopped = worktime.start_timer(scope, ticket)
        except ValidationError as exc:
            return refused(request, scope, ticket, exc)
        message = "Timer started."
        if stopped is not None:
            message += f" Booked {stopped.minutes} min on T-{stopped.ticket_id} first."
        return finish(request, scope, ticket, message)
    form = TimerStopForm(request.POST, scope=scope)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = worktime.stop_timer(
                scope,
                work_type_id=data["work_type"].pk if data.get("work_type") else None,
                billable=billable_value(data.get("billable") or ""),
                note=data.get("note") or "",
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if entry is None:
                return finish(request, scope, ticket, "No timer was running.")
            where = "" if entry.ticket_id == ticket.pk else f" on T-{entry.ticket_id}"
            return finish(request, scope, ticket, f"Timer stopped: booked {entry.minutes} min{where}.")
    return failed(request, scope, ticket, {"timer_form": form})


@login_required
@require_POST
def ticket_time_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    scope.require("tickets.time")
    form = TimeEntryForm(request.POST, scope=scope)
    if form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        try:
            entry = worktime.add_entry(
                scope,
                ticket,
                minutes=data["minutes"],
                work_type_id=data["work_type"].pk if data.get("work_type") else None,
                billable=billable_value(data.get("billable") or ""),
                started_at=data.get("started_at"),
                note=data.get("note") or "",
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return finish(request, scope, ticket, f"Booked {entry.minutes} min.")
    return failed(request, scope, ticket, {"time_form": form})


@login_required
@require_POST
def ticket_time_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope, ticket = staff_ticket(request, pk)
    try:
        worktime.delete_entry(scope, ticket, request.POST.get("entry"))
    except ValidationError as exc:
        return refused(request, scope, ticket, exc)
    return finish(request, scope, ticket, "Time entry deleted.")
