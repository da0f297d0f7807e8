"""The SLA clock: a pure function of a ticket's event log, its SLA policy and a calendar.

``compute(events, policy, calendar, now)`` replays the whole log every time, so due times,
business minutes used and breaches can be recomputed exactly after an SLA or calendar
change. Nothing is stored between calls. The rules:

* **Running.** Business time accrues only inside the calendar's hours (24/7 for the
  policy's ``always_open_priorities``, from the moment the ticket has such a priority) and
  only while the status is neither a pause status nor resolved/closed nor merged. A ticket
  opened outside business hours starts accruing at the next opening. Pause statuses pause
  every metric, first response included.
* **Due.** A target's ``due_at`` is the first instant, at or after its target last changed,
  at which the business time used reaches the target. A target not completed by then is
  breached at ``due_at``; completing exactly at ``due_at`` is on time. While a target is
  paused and not yet due, its due time is unknown (None).
* **first_response** runs from creation and is met by the first ``agent_reply`` or by
  resolving the ticket, whichever comes first.
* **next_update** starts when the first response is given; every later ``agent_reply``
  completes the current cycle and starts a new one (due = last public update + target, in
  business time). Resolving completes the cycle; a reopen starts a new cycle at the reopen.
  ``state``/``due_at``/``business_minutes_used``/``met_at`` describe the current (last)
  cycle; ``breached``/``breached_at``/``breaches`` cover every cycle.
* **resolution** runs from creation and stops when the ticket is resolved (met or
  met_late). A reopen continues from the business time already used, so the due time
  moves by exactly the time the ticket spent resolved; ``met_at`` is the latest resolve.
* **Priority or type change.** Open targets take the new target; time already used is
  kept. When the time used already reaches the new target, the target is due at the change
  (and breached from then on unless completed at that very instant). Targets already met
  keep the target they were met against.
* **A breach is never undone** by a later change: lowering the priority after a breach
  moves the due time but the target stays breached (met_late once completed).
* **SLA swap.** The policy applies to the ticket's whole life: recomputing with another
  policy recomputes from creation, so paused time is never lost (GLPI lost it).
* **Merge.** ``merged`` (or the merged status) cancels the targets still open: they are
  ``cancelled``, not breached, unless their due time had already passed before the merge
  (a breach that happened stays one). Completed targets keep their result; later events
  are ignored. The surviving ticket keeps its own clock.
* **Order.** Events are sorted stably by time; events timed before ``created`` count as
  happening at creation; events after ``now`` are ignored (the result is as of ``now``).
  ``now`` matters only for open targets (running, paused, breached).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from steward.servicedesk.sla.calendar import ALWAYS_OPEN, BusinessCalendar, from_epoch, to_epoch
from steward.servicedesk.sla.events import TicketEvent
from steward.servicedesk.sla.policy import SlaPolicy

STATES = ("running", "paused", "met", "breached", "met_late", "cancelled", "not_applicable")
OPEN_STATES = frozenset({"running", "paused", "breached"})


class TargetResult(NamedTuple):
    """The state of one metric. A NamedTuple: cheap to build 300,000 times a second."""

    metric: str
    priority: str | None  # the priority the target is measured against
    target_minutes: int | None
    due_at: dt.datetime | None
    business_minutes_used: int  # whole minutes (floored); seconds below
    state: str
    breached: bool
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    warn_at: dt.datetime | None
    business_seconds_used: int = 0
    breaches: int = 0  # breached cycles (next_update can have several)

    def to_dict(self, timezone: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "metric": self.metric,
            "priority": self.priority,
            "target_minutes": self.target_minutes,
            "due_at": iso(self.due_at),
            "business_minutes_used": self.business_minutes_used,
            "state": self.state,
            "breached": self.breached,
            "met_at": iso(self.met_at),
            "breached_at": iso(self.breached_at),
            "warn_at": iso(self.warn_at),
            "breaches": self.breaches,
        }
        if timezone is not None:
            data["due_at_local"] = iso_local(self.due_at, timezone)
        return data


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    targets: tuple[TargetResult, ...]  # first_response, next_update, resolution
    paused: bool  # the ticket's clock is stopped by a pause status right now
    next_deadline: dt.datetime | None  # earliest future warn_at/due_at of a running target
    now: dt.datetime
    created_at: dt.datetime | None
    status: str | None
    priority: str | None
    ticket_type: str | None
    resolved: bool
    merged: bool

    def target(self, metric: str) -> TargetResult:
        return next(result for result in self.targets if result.metric == metric)

    @property
    def breached(self) -> bool:
        return any(result.breached for result in self.targets)

    def to_dict(self, timezone: str | None = None) -> dict[str, Any]:
        """JSON-ready; with ``timezone``, due times also in that zone's local time."""
        return {
            "now": iso(self.now),
            "created_at": iso(self.created_at),
            "status": self.status,
            "priority": self.priority,
            "ticket_type": self.ticket_type,
            "paused": self.paused,
            "resolved": self.resolved,
            "merged": self.merged,
            "next_deadline": iso(self.next_deadline),
            "targets": [result.to_dict(timezone) for result in self.targets],
        }


def iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(at: dt.datetime | None, timezone: str) -> str | None:
    from zoneinfo import ZoneInfo

    return None if at is None else at.astimezone(ZoneInfo(timezone)).isoformat()


class _Clock:
    """One metric's clock. Times are epoch seconds; ``target``/``warn_at_used`` in seconds."""

    __slots__ = (
        "active",
        "breached_at",
        "breaches",
        "cancelled",
        "done_at",
        "done_cal",
        "due",
        "first_breached_at",
        "metric",
        "priority",
        "started",
        "target",
        "used",
        "warn",
        "warn_at_used",
    )

    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.priority: str | None = None
        self.target: int | None = None
        self.warn_at_used: int | None = None
        self.used = 0
        self.due: int | None = None
        self.warn: int | None = None
        self.breached_at: int | None = None  # this cycle
        self.first_breached_at: int | None = None  # any cycle
        self.breaches = 0
        self.done_at: int | None = None
        self.done_cal: BusinessCalendar | None = None
        self.active = False
        self.started = False
        self.cancelled = False

    def start(self, at: int, priority: str | None, target: int | None, warn_at_used: int | None) -> None:
        self.used = 0
        self.due = self.warn = self.breached_at = self.done_at = None
        self.active = self.started = True
        self.priority = priority
        self._set_target(at, target, warn_at_used)

    def retarget(self, at: int, priority: str | None, target: int | None, warn_at_used: int | None) -> None:
        """The priority or type changed at ``at``: a different target restarts due and warn."""
        self.priority = priority
        if target != self.target:
            self._set_target(at, target, warn_at_used)

    def _set_target(self, at: int, target: int | None, warn_at_used: int | None) -> None:
        self.target = target
        self.warn_at_used = warn_at_used
        if target is None:
            self.due = self.warn = None
            return
        self.due = at if self.used >= target else None
        self.warn = at if warn_at_used is not None and self.used >= warn_at_used else None

    def accrue(self, start: int, seconds: int, calendar: BusinessCalendar) -> None:
        before = self.used
        self.used = used = before + seconds
        if self.target is None:
            return
        # Invariants: due is None only while used < target; warn likewise for warn_at_used.
        if self.warn is None and self.warn_at_used is not None and used >= self.warn_at_used:
            self.warn = calendar.add_business_seconds_ts(start, self.warn_at_used - before)
        if self.due is None and used >= self.target:
            self.due = calendar.add_business_seconds_ts(start, self.target - before)

    def check_breach(self, at: int) -> None:
        """Time has reached ``at`` with this clock still open."""
        if self.breached_at is None and self.due is not None and self.due < at:
            self.breached_at = self.due
            self.breaches += 1
            if self.first_breached_at is None:
                self.first_breached_at = self.due

    def complete(self, at: int, calendar: BusinessCalendar) -> None:
        self.done_at = at
        self.done_cal = calendar
        self.active = False

    def result(self, now: int, paused: bool, calendar: BusinessCalendar) -> TargetResult:
        target, used = self.target, self.used
        due, warn = self.due, self.warn
        if not self.started or target is None:
            state = "not_applicable"
        elif self.cancelled:
            state = "cancelled"
        elif self.done_at is not None:
            state = "met" if self.breached_at is None else "met_late"
            if due is None and self.done_cal is not None:  # when it would have been due
                due = self.done_cal.add_business_seconds_ts(self.done_at, target - used)
        elif self.breached_at is not None:
            state = "breached"
        elif paused:
            state = "paused"
        else:
            state = "running"
            if due is None:
                due = calendar.add_business_seconds_ts(now, target - used)
            if warn is None and self.warn_at_used is not None:
                warn = calendar.add_business_seconds_ts(now, self.warn_at_used - used)
        return TargetResult(
            self.metric,
            self.priority,
            None if target is None else target // 60,
            None if due is None else from_epoch(due),
            used // 60,
            state,
            self.breaches > 0,
            None if self.done_at is None else from_epoch(self.done_at),
            None if self.first_breached_at is None else from_epoch(self.first_breached_at),
            None if warn is None else from_epoch(warn),
            used,
            self.breaches,
        )


_by_time = attrgetter("at")


class _Replay:
    """Walks the sorted log once, accruing business time between consecutive events."""

    def __init__(self, policy: SlaPolicy, calendar: BusinessCalendar) -> None:
        self.policy = policy
        self.base_calendar = calendar
        self.calendar = calendar
        self.status: str | None = None
        self.priority: str | None = None
        self.ticket_type: str | None = None
        self.running = False
        self.paused = False
        self.resolved = False
        self.merged = False
        self.first_response = _Clock("first_response")
        self.next_update = _Clock("next_update")
        self.resolution = _Clock("resolution")
        self.clocks = (self.first_response, self.next_update, self.resolution)

    def advance(self, start: int, end: int) -> None:
        """Time passes from ``start`` to ``end`` with no event in between."""
        if self.running:
            seconds = self.calendar.business_seconds_between_ts(start, end)
            if seconds:
                for clock in self.clocks:
                    if clock.active:
                        clock.accrue(start, seconds, self.calendar)
        for clock in self.clocks:
            if clock.active:
                clock.check_breach(end)

    def _target(self, metric: str) -> tuple[int | None, int | None]:
        target = self.policy.target_seconds(metric, self.priority, self.ticket_type)
        return target, None if target is None else self.policy.warn_threshold(target)

    def _start(self, clock: _Clock, at: int) -> None:
        clock.start(at, self.priority, *self._target(clock.metric))

    def create(self, at: int, event: TicketEvent) -> None:
        self.priority = event.priority
        self.ticket_type = event.ticket_type or "incident"
        self._calendar_for_priority()
        self._start(self.first_response, at)
        self._start(self.resolution, at)
        self.set_status(at, event.status or "new")

    def apply(self, at: int, event: TicketEvent) -> None:
        kind = event.kind
        if kind == "status":
            if event.status:
                self.set_status(at, event.status)
        elif kind == "agent_reply":
            self.agent_reply(at)
        elif kind == "priority" or kind == "type":
            if kind == "priority":
                self.priority = event.priority
                self._calendar_for_priority()
            elif event.ticket_type:
                self.ticket_type = event.ticket_type
            for clock in self.clocks:
                if clock.active:
                    clock.retarget(at, self.priority, *self._target(clock.metric))
        elif kind == "merged":
            self.merge()
        # customer_reply: informational; a second "created" is ignored.

    def _calendar_for_priority(self) -> None:
        always_open = self.priority in self.policy.always_open_priorities
        self.calendar = ALWAYS_OPEN if always_open else self.base_calendar

    def set_status(self, at: int, status: str) -> None:
        policy = self.policy
        if status == policy.merged_status:
            self.status = status
            self.merge()
            return
        was_resolved = self.resolved
        self.status = status
        self.resolved = status in policy.resolved_statuses
        self.paused = not self.resolved and status in policy.pause_statuses
        self.running = not self.resolved and not self.paused
        if self.resolved and not was_resolved:
            for clock in self.clocks:
                if clock.active:
                    clock.complete(at, self.calendar)
        elif was_resolved and not self.resolved:
            resolution = self.resolution
            resolution.active = True
            resolution.done_at = None
            resolution.retarget(at, self.priority, *self._target("resolution"))
            if self.first_response.done_at is not None:
                self._start(self.next_update, at)

    def agent_reply(self, at: int) -> None:
        if self.resolved:
            return
        if self.first_response.active:
            self.first_response.complete(at, self.calendar)
        if self.next_update.active:
            self.next_update.complete(at, self.calendar)
        self._start(self.next_update, at)

    def merge(self) -> None:
        self.merged = True
        self.running = self.paused = False
        for clock in self.clocks:
            if clock.active:
                clock.active = False
                clock.cancelled = True


def compute(
    events: Iterable[TicketEvent], policy: SlaPolicy, calendar: BusinessCalendar, now: dt.datetime
) -> SlaOutcome:
    """The SLA state of one ticket as of ``now`` (aware). Pure: same input, same outcome."""
    now_ts = to_epoch(now)
    ordered = sorted(events, key=_by_time)
    replay = _Replay(policy, calendar)
    creation = next((index for index, event in enumerate(ordered) if event.kind == "created"), None)
    created_at: int | None = None
    if creation is not None and to_epoch(ordered[creation].at) <= now_ts:
        created_at = last = to_epoch(ordered[creation].at)
        replay.create(created_at, ordered[creation])
        # Events timed before creation (clock skew) count as happening at creation.
        for event in ordered[:creation] + ordered[creation + 1 :]:
            if replay.merged:
                break
            at = to_epoch(event.at)
            if at > now_ts:
                break
            if at > last:
                replay.advance(last, at)
                last = at
            replay.apply(last, event)
        replay.advance(last, now_ts)
    results = tuple(clock.result(now_ts, replay.paused, replay.calendar) for clock in replay.clocks)
    deadlines = [
        at
        for result in results
        if result.state == "running"
        for at in (result.warn_at, result.due_at)
        if at is not None and to_epoch(at) > now_ts
    ]
    return SlaOutcome(
        targets=results,
        paused=replay.paused,
        next_deadline=min(deadlines, default=None),
        now=from_epoch(now_ts),
        created_at=None if created_at is None else from_epoch(created_at),
        status=replay.status,
        priority=replay.priority,
        ticket_type=replay.ticket_type,
        resolved=replay.resolved,
        merged=replay.merged,
    )
