"""Configuration pages: canned responses and macros (``servicedesk.configure``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from steward.core.forms.tenancy import apply_service_errors
from steward.core.scoping import Scope
from steward.servicedesk.forms import CannedResponseForm, MacroForm
from steward.servicedesk.models import CannedResponse, Level, Macro, Priority, TicketStatus
from steward.servicedesk.services import tickets as ticket_service
from steward.servicedesk.views.common import scope_for

ACTION_LABELS = {
    "status": "Status",
    "priority": "Priority",
    "impact": "Impact",
    "urgency": "Urgency",
    "queue_id": "Queue",
    "team_id": "Team",
    "assignee_id": "Assignee",
    "add_tags": "Add tags",
    "note": "Internal note",
    "reply": "Public reply",
}
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "status": dict(TicketStatus.choices),
    "priority": dict(Priority.choices),
    "impact": dict(Level.choices),
    "urgency": dict(Level.choices),
}


def _configure(request: HttpRequest) -> Scope:
    scope = scope_for(request)
    scope.require("servicedesk.configure")
    return scope


def _canned_or_404(scope: Scope, pk: Any) -> CannedResponse:
    row = ticket_service.configurable_canned_responses(scope).filter(pk=pk).first()
    if row is None:
        raise Http404("No such canned response.")
    return row


def _macro_or_404(scope: Scope, pk: Any) -> Macro:
    row = Macro.objects.filter(provider_id=scope.provider_id, pk=pk).first()
    if row is None:
        raise Http404("No such macro.")
    return row


def _form_page(request: HttpRequest, form: Any, title: str, back: str, back_label: str) -> HttpResponse:
    return render(
        request,
        "core/form.html",
        {
            "page_title": title,
            "title": title,
            "form": form,
            "submit_label": "Save",
            "cancel_url": back,
            "breadcrumbs": [(back_label, back)],
        },
    )


# ---- Canned responses --------------------------------------------------------------------------


@login_required
@require_GET
def canned_response_list(request: HttpRequest) -> HttpResponse:
    scope = _configure(request)
    rows = list(ticket_service.configurable_canned_responses(scope).order_by("title", "pk")[:500])
    return render(
        request,
        "servicedesk/config/canned_list.html",
        {"page_title": "Canned responses", "title": "Canned responses", "rows": rows},
    )


def _save_canned(request: HttpRequest, scope: Scope, canned: CannedResponse | None) -> HttpResponse:
    form = CannedResponseForm(request.POST if request.method == "POST" else None, scope=scope, canned=canned)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = ticket_service.save_canned_response(
                scope,
                canned,
                title=data["title"],
                body=data["body"],
                client_id=data["client"].pk if data.get("client") else None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the canned response “{row.title}”.")
            return redirect("canned_response_list")
    title = f"Edit “{canned.title}”" if canned else "New canned response"
    return _form_page(request, form, title, reverse("canned_response_list"), "Canned responses")


@login_required
@require_http_methods(["GET", "POST"])
def canned_response_create(request: HttpRequest) -> HttpResponse:
    return _save_canned(request, _configure(request), None)


@login_required
@require_http_methods(["GET", "POST"])
def canned_response_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _configure(request)
    return _save_canned(request, scope, _canned_or_404(scope, pk))


@login_required
@require_http_methods(["GET", "POST"])
def canned_response_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _configure(request)
    canned = _canned_or_404(scope, pk)
    if request.method == "POST":
        ticket_service.delete_canned_response(scope, canned)
        messages.success(request, f"Canned response “{canned.title}” deleted.")
        return redirect("canned_response_list")
    back = reverse("canned_response_list")
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {canned.title}",
            "object": canned,
            "kind": "canned response",
            "breadcrumbs": [("Canned responses", back)],
            "cancel_url": back,
        },
    )


# ---- Macros ------------------------------------------------------------------------------------


def describe_actions(scope: Scope, actions: Any) -> list[tuple[str, str]]:
    """A macro's actions in words for the list."""
    if not isinstance(actions, dict):
        return []
    from steward.servicedesk.forms import provider_queues, provider_teams

    names: dict[str, dict[Any, str]] = {
        "queue_id": dict(provider_queues(scope).values_list("pk", "name")) if "queue_id" in actions else {},
        "team_id": dict(provider_teams(scope).values_list("pk", "name")) if "team_id" in actions else {},
        "assignee_id": (
            dict(ticket_service.assignable_users(scope).values_list("pk", "full_name"))
            if "assignee_id" in actions
            else {}
        ),
    }
    rows = []
    for key, label in ACTION_LABELS.items():
        if key not in actions:
            continue
        value = actions[key]
        if key in CHOICE_LABELS:
            text = CHOICE_LABELS[key].get(value, str(value))
        elif key in names:
            text = "nobody" if value in (None, "") else names[key].get(value, f"#{value}")
        elif key == "add_tags" and isinstance(value, list):
            text = ", ".join(str(tag) for tag in value)
        else:
            text = str(value)
        rows.append((label, text[:200]))
    return rows


@login_required
@require_GET
def macro_list(request: HttpRequest) -> HttpResponse:
    scope = _configure(request)
    rows = [
        (macro, describe_actions(scope, macro.actions))
        for macro in Macro.objects.filter(provider_id=scope.provider_id).order_by("name")[:500]
    ]
    return render(
        request,
        "servicedesk/config/macro_list.html",
        {"page_title": "Macros", "title": "Macros", "rows": rows},
    )


def _save_macro(request: HttpRequest, scope: Scope, macro: Macro | None) -> HttpResponse:
    form = MacroForm(request.POST if request.method == "POST" else None, scope=scope, macro=macro)
    if request.method == "POST" and form.is_valid():
        try:
            row = ticket_service.save_macro(
                scope, macro, name=form.cleaned_data["name"], actions=form.actions()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the macro “{row.name}”.")
            return redirect("macro_list")
    title = f"Edit “{macro.name}”" if macro else "New macro"
    return _form_page(request, form, title, reverse("macro_list"), "Macros")


@login_required
@require_http_methods(["GET", "POST"])
def macro_create(request: HttpRequest) -> HttpResponse:
    return _save_macro(request, _configure(request), None)


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _configure(request)
    return _save_macro(request, scope, _macro_or_404(scope, pk))


@login_required
@require_http_methods(["GET", "POST"])
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _configure(request)
    macro = _macro_or_404(scope, pk)
    if request.method == "POST":
        ticket_service.delete_macro(scope, macro)
        messages.success(request, f"Macro “{macro.name}” deleted.")
        return redirect("macro_list")
    back = reverse("macro_list")
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {macro.name}",
            "object": macro,
            "kind": "macro",
            "breadcrumbs": [("Macros", back)],
            "cancel_url": back,
        },
    )
