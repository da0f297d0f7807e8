"""Plumbing shared by the service-desk pages: ticket lookup, audiences, SLA display.

Every lookup goes through the ticket services with the acting scope: a ticket outside the
scope, or one an end user may not see, answers 404 exactly like one that does not exist;
staff-only actions on a visible ticket answer 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from steward.core.scoping import Scope
from steward.core.views.tenancy import scope_for
from steward.servicedesk.models import OPEN_STATUSES, Ticket
from steward.servicedesk.services import tickets as ticket_service

__all__ = [
    "Sla",
    "SlaTarget",
    "detail_url",
    "is_htmx",
    "row_sla",
    "scope_for",
    "sla_cell",
    "sla_targets",
    "staff_ticket",
]

METRIC_LABELS = {
    "first_response": "First response",
    "next_update": "Next update",
    "resolution": "Resolution",
}
STATE_LABELS = {
    "running": ("Running", "badge-info"),
    "paused": ("Paused", ""),
    "met": ("Met", "badge-ok"),
    "breached": ("Breached", "badge-bad"),
    "met_late": ("Met late", "badge-warn"),
    "cancelled": ("Cancelled", ""),
    "not_applicable": ("Not applicable", ""),
}
SOON = dt.timedelta(hours=1)


def detail_url(ticket: Ticket | int) -> str:
    return reverse("ticket_detail", args=[ticket if isinstance(ticket, int) else ticket.pk])


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def staff_ticket(request: HttpRequest, pk: Any) -> tuple[Scope, Ticket]:
    """The scope and a visible ticket (404 otherwise); 403 unless the user is support staff."""
    scope = scope_for(request)
    ticket = ticket_service.get_ticket(scope, pk)
    ticket_service.require_staff(scope)
    return scope, ticket


@dataclass(frozen=True)
class Sla:
    """The SLA cell of a list row or the header badge, from the ticket's cached columns."""

    label: str
    css: str
    title: str = ""
    at: dt.datetime | None = None


def sla_cell(
    status: str,
    due: dt.datetime | None,
    warn: dt.datetime | None,
    breached: bool,
    paused: bool,
    now: dt.datetime,
) -> Sla | None:
    if breached:
        return Sla("Breached", "badge-bad", "At least one SLA target was missed.")
    if status not in OPEN_STATUSES:
        return None
    if paused:
        return Sla("Paused", "", "The SLA clock is stopped while the ticket waits.")
    if due is None:
        return None
    if due <= now:
        return Sla("Overdue", "badge-bad", "Past its due time.", due)
    if due - now <= SOON or (warn is not None and warn <= now):
        return Sla("Due soon", "badge-warn", "", due)
    return Sla("Due", "badge-info", "", due)


def row_sla(ticket: Ticket, now: dt.datetime) -> Sla | None:
    """The SLA badge of a ticket from its cached columns."""
    return sla_cell(
        ticket.status, ticket.sla_due_at, ticket.sla_warn_at, ticket.sla_breached, ticket.sla_paused, now
    )


@dataclass(frozen=True)
class SlaTarget:
    metric: str
    label: str
    state: str
    state_label: str
    css: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    used_minutes: int | None
    target_minutes: int | None
    overdue: bool
    breaches: int


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _minutes(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sla_targets(ticket: Ticket, now: dt.datetime) -> list[SlaTarget]:
    """Each SLA target cached on the ticket (computed by the SLA engine, shown as stored)."""
    state = ticket.sla_state if isinstance(ticket.sla_state, dict) else {}
    raw = state.get("targets")
    rows: list[SlaTarget] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        metric = str(item.get("metric", ""))[:40]
        status = str(item.get("state", ""))[:40]
        if status == "not_applicable":
            continue
        due = _when(item.get("due_at"))
        label, css = STATE_LABELS.get(status, (status.replace("_", " ").capitalize(), ""))
        overdue = status == "running" and due is not None and due <= now
        if overdue:
            label, css = "Overdue", "badge-bad"
        rows.append(
            SlaTarget(
                metric=metric,
                label=METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize()),
                state=status,
                state_label=label,
                css=css,
                due_at=due,
                met_at=_when(item.get("met_at")),
                used_minutes=_minutes(item.get("business_minutes_used")),
                target_minutes=_minutes(item.get("target_minutes")),
                overdue=overdue,
                breaches=_minutes(item.get("breaches")) or 0,
            )
        )
    return rows


def sla_policy_name(ticket: Ticket) -> str:
    state = ticket.sla_state if isinstance(ticket.sla_state, dict) else {}
    name = state.get("policy")
    return str(name)[:100] if name else ""
