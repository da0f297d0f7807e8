"""Time on tickets: a running timer per technician, manual entries, totals.

Entries carry a work type and a billable flag so the contracts module can rate them later.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from steward.core.scoping import Scope
from steward.servicedesk.models import RunningTimer, Ticket, TimeEntry, WorkType
from steward.servicedesk.services.tickets import _int, require_staff

MAX_ENTRY_MINUTES = 24 * 60


def work_types(scope: Scope) -> QuerySet[WorkType]:
    return WorkType.objects.filter(provider_id=scope.provider_id, is_active=True)


def default_work_type(scope: Scope) -> WorkType:
    work_type = work_types(scope).order_by("name").first()
    if work_type is None:
        work_type = WorkType.objects.create(provider_id=scope.provider_id, name="Remote support")
    return work_type


def _work_type(scope: Scope, work_type_id: Any) -> WorkType:
    if work_type_id in (None, ""):
        return default_work_type(scope)
    work_type = work_types(scope).filter(pk=_int(work_type_id, "work_type")).first()
    if work_type is None:
        raise ValidationError({"work_type": "No such work type."})
    return work_type


def running_timer(scope: Scope) -> RunningTimer | None:
    if scope.user is None:
        return None
    return RunningTimer.objects.for_scope(scope).filter(user=scope.user).select_related("ticket").first()


@transaction.atomic
def start_timer(scope: Scope, ticket: Ticket) -> tuple[RunningTimer, TimeEntry | None]:
    """Start timing ``ticket``; a timer running on another ticket is stopped and booked first."""
    require_staff(scope)
    scope.require("tickets.time")
    if scope.user is None:
        raise ValidationError({"timer": "Only a person can run a timer."})
    stopped = None
    current = RunningTimer.unscoped.filter(user=scope.user).first()
    if current is not None:
        if current.ticket_id == ticket.pk:
            return current, None
        stopped = stop_timer(scope)
    timer = RunningTimer.objects.create(user=scope.user, ticket=ticket, started_at=timezone.now())
    return timer, stopped


@transaction.atomic
def stop_timer(
    scope: Scope, *, work_type_id: Any = None, billable: bool | None = None, note: str = ""
) -> TimeEntry | None:
    """Stop the acting technician's timer and book it (rounded up to the minute)."""
    if scope.user is None:
        return None
    timer = RunningTimer.unscoped.select_related("ticket").filter(user=scope.user).first()
    if timer is None:
        return None
    elapsed = (timezone.now() - timer.started_at).total_seconds()
    minutes = max(1, min(MAX_ENTRY_MINUTES, math.ceil(elapsed / 60)))
    work_type = _work_type(scope, work_type_id)
    entry = TimeEntry.objects.create(
        ticket=timer.ticket,
        user=scope.user,
        work_type=work_type,
        started_at=timer.started_at,
        minutes=minutes,
        billable=work_type.billable_by_default if billable is None else billable,
        note=note[:500],
        from_timer=True,
    )
    timer.delete()
    return entry


def add_entry(
    scope: Scope,
    ticket: Ticket,
    *,
    minutes: Any,
    work_type_id: Any = None,
    billable: bool | None = None,
    started_at: dt.datetime | None = None,
    note: str = "",
) -> TimeEntry:
    require_staff(scope)
    scope.require("tickets.time")
    if scope.user is None:
        raise ValidationError({"minutes": "Only a person can book time."})
    count = _int(minutes, "minutes")
    if not 1 <= count <= MAX_ENTRY_MINUTES:
        raise ValidationError({"minutes": f"Between 1 and {MAX_ENTRY_MINUTES} minutes."})
    when = started_at or timezone.now() - dt.timedelta(minutes=count)
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"started_at": "Time cannot be booked in the future."})
    work_type = _work_type(scope, work_type_id)
    return TimeEntry.objects.create(
        ticket=ticket,
        user=scope.user,
        work_type=work_type,
        started_at=when,
        minutes=count,
        billable=work_type.billable_by_default if billable is None else billable,
        note=str(note)[:500],
    )


def entries_for(scope: Scope, ticket: Ticket) -> QuerySet[TimeEntry]:
    require_staff(scope)
    return TimeEntry.objects.for_scope(scope).filter(ticket=ticket).select_related("user", "work_type")


def totals(scope: Scope, ticket: Ticket) -> dict[str, int]:
    entries = entries_for(scope, ticket)
    total = entries.aggregate(total=Sum("minutes"))["total"] or 0
    billable = entries.filter(billable=True).aggregate(total=Sum("minutes"))["total"] or 0
    return {"total_minutes": total, "billable_minutes": billable}


def delete_entry(scope: Scope, ticket: Ticket, entry_id: Any) -> None:
    require_staff(scope)
    scope.require("tickets.time")
    entry = entries_for(scope, ticket).filter(pk=_int(entry_id, "entry")).first()
    if entry is None:
        raise ValidationError({"entry": "No such time entry."})
    entry.delete()
