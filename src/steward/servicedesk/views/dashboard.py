"""The service-desk card on the staff dashboard: open, unassigned, breached, due within 1 h."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from steward.core.scoping import Scope
from steward.servicedesk.models import OPEN_STATUSES
from steward.servicedesk.services import tickets as ticket_service


def servicedesk_widget(scope: Scope) -> dict[str, Any] | None:
    """``{"template", "data"}`` for the dashboard's ``widgets`` list; None for non-staff."""
    if not (scope.can("tickets.view") and ticket_service.is_staff(scope)):
        return None
    now = timezone.now()
    counts = (
        ticket_service.visible_tickets(scope)
        .filter(status__in=list(OPEN_STATUSES))
        .aggregate(
            open=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            mine=Count("pk", filter=Q(assignee=scope.user))
            if scope.user is not None
            else Count("pk", filter=Q(pk=0)),
            breached=Count("pk", filter=Q(sla_breached=True)),
            due_soon=Count(
                "pk",
                filter=Q(
                    sla_breached=False,
                    sla_paused=False,
                    sla_due_at__isnull=False,
                    sla_due_at__lte=now + dt.timedelta(hours=1),
                ),
            ),
        )
    )
    return {"template": "servicedesk/_dashboard_widget.html", "data": counts}
