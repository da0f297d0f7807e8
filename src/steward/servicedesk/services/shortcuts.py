"""Canned responses, macros and saved views: the technician's shortcuts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from steward.core.scoping import Scope
from steward.servicedesk.models import (
    CannedResponse,
    Level,
    Macro,
    Priority,
    Queue,
    SavedView,
    Team,
    Ticket,
    TicketStatus,
)
from steward.servicedesk.services.tickets import _int, require_staff

PLACEHOLDERS = {
    "{ticket}": lambda ticket, user: f"T-{ticket.pk}",
    "{subject}": lambda ticket, user: ticket.subject,
    "{requester}": lambda ticket, user: ticket.requester_name or ticket.requester_email or "there",
    "{client}": lambda ticket, user: ticket.client.name,
    "{me}": lambda ticket, user: user.full_name if user else "The support team",
}

MACRO_KEYS = {
    "status",
    "priority",
    "impact",
    "urgency",
    "queue_id",
    "team_id",
    "assignee_id",
    "add_tags",
    "reply",
    "note",
}


def canned_responses(scope: Scope, ticket: Ticket | None = None) -> QuerySet[CannedResponse]:
    require_staff(scope)
    rows = CannedResponse.objects.filter(provider_id=scope.provider_id)
    if ticket is not None:
        return rows.filter(Q(client__isnull=True) | Q(client_id=ticket.client_id))
    if scope.client_ids is not None:
        return rows.filter(Q(client__isnull=True) | Q(client_id__in=scope.client_ids))
    return rows


def render_canned(scope: Scope, canned: CannedResponse, ticket: Ticket) -> str:
    return render_text(scope, canned.body, ticket)


def validate_macro_actions(scope: Scope, actions: Any) -> dict[str, Any]:
    if not isinstance(actions, dict) or not actions:
        raise ValidationError({"actions": "A macro needs at least one action."})
    unknown = set(actions) - MACRO_KEYS
    if unknown:
        raise ValidationError({"actions": f"Unknown actions: {', '.join(sorted(unknown))}."})
    checks = {
        "status": TicketStatus.values,
        "priority": Priority.values,
        "impact": Level.values,
        "urgency": Level.values,
    }
    for key, allowed in checks.items():
        if key in actions and actions[key] not in allowed:
            raise ValidationError({"actions": f"{key}: {actions[key]!r} is not one of {', '.join(allowed)}."})
    if actions.get("status") == TicketStatus.MERGED:
        raise ValidationError({"actions": "A macro cannot merge tickets."})
    for key, model in (("queue_id", Queue), ("team_id", Team)):
        wanted = actions.get(key)
        if (
            wanted not in (None, "")
            and not model.objects.filter(pk=_int(wanted, key), provider_id=scope.provider_id).exists()
        ):
            raise ValidationError({"actions": f"{key}: no such {model._meta.verbose_name}."})
    for key in ("reply", "note"):
        if key in actions and (not isinstance(actions[key], str) or len(actions[key]) > 20_000):
            raise ValidationError({"actions": f"{key}: text of at most 20,000 characters."})
    if "add_tags" in actions and not (
        isinstance(actions["add_tags"], list) and all(isinstance(tag, str) for tag in actions["add_tags"])
    ):
        raise ValidationError({"actions": "add_tags: a list of tag names."})
    return dict(actions)


@transaction.atomic
def apply_macro(scope: Scope, ticket: Ticket, macro: Macro) -> Ticket:
    """Apply a macro's actions in a fixed order: fields, tags, note, reply, then status."""
    from steward.servicedesk.services import conversation, tickets

    require_staff(scope)
    actions = validate_macro_actions(scope, macro.actions)
    fields: dict[str, Any] = {
        k: actions[k]
        for k in ("priority", "impact", "urgency", "queue_id", "team_id", "assignee_id")
        if k in actions
    }
    if fields:
        tickets.update_ticket(scope, ticket, fields)
    if actions.get("add_tags"):
        current = list(ticket.tags.values_list("name", flat=True))
        tickets.set_tags(scope, ticket, [*current, *actions["add_tags"]])
    if actions.get("note"):
        conversation.add_reply(scope, ticket, render_text(scope, actions["note"], ticket), internal=True)
    status = actions.get("status")
    if actions.get("reply"):
        conversation.add_reply(scope, ticket, render_text(scope, actions["reply"], ticket), status=status)
    elif status:
        tickets.change_status(scope, ticket, status)
    return ticket


def render_text(scope: Scope, text: str, ticket: Ticket) -> str:
    for token, value in PLACEHOLDERS.items():
        if token in text:
            text = text.replace(token, value(ticket, scope.user))
    return text


def macros(scope: Scope) -> QuerySet[Macro]:
    require_staff(scope)
    return Macro.objects.filter(provider_id=scope.provider_id)


def saved_views(scope: Scope) -> QuerySet[SavedView]:
    if scope.user is None:
        return SavedView.objects.none()
    rows = SavedView.objects.filter(provider_id=scope.provider_id)
    return (
        rows.filter(Q(owner=scope.user) | Q(shared=True))
        if scope.can("tickets.note")
        else rows.filter(owner=scope.user)
    )


def save_view(scope: Scope, name: str, query: dict[str, str], *, shared: bool = False) -> SavedView:
    if scope.user is None:
        raise ValidationError({"name": "Only a person can save a view."})
    title = str(name).strip()[:100]
    if not title:
        raise ValidationError({"name": "Name the view."})
    clean = {str(k)[:40]: str(v)[:200] for k, v in list(query.items())[:20] if k not in ("page", "partial")}
    view, _ = SavedView.objects.update_or_create(
        provider_id=scope.provider_id,
        owner=scope.user,
        name=title,
        defaults={"query": clean, "shared": shared and scope.can("tickets.note")},
    )
    return view
