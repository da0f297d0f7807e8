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
from operator import attrgetter
from typing import Any, NamedTuple

from steward.servicedesk.sla.calendar import ALWAYS_OPEN, BusinessCalendar, from_epoch, to_epoch
from steward.servicedesk.sla.events import TicketEvent
from steward.servicedesk.sla.policy import Goal, SlaPolicy

STATES = ("running", "paused", "met", "breached", "met_late", "cancelled", "not_applicable")
OPEN_STATES = frozenset({"running", "paused", "breached"})

# Results are NamedTuples holding epoch seconds (``*_ts``); the datetimes (``due_at`` …)
# are properties converted on access. Building a frozen dataclass and four datetimes per
# target would cost more than the whole replay of a typical ticket.


def _utc(ts: int | None) -> dt.datetime | None:
    return None if ts is None else from_epoch(ts)


class TargetResult(NamedTuple):
    """The state of one metric (see the module docstring for the rules)."""

    metric: str
    priority: str | None  # the priority the target is measured against
    target_minutes: int | None
    state: str  # one of STATES
    breached: bool  # breached at some point (any cycle for next_update)
    breaches: int  # breached cycles (next_update can have several)
    business_seconds_used: int  # this cycle (next_update) or in total
    due_ts: int | None
    met_ts: int | None
    breached_ts: int | None  # the first breach
    warn_ts: int | None

    @property
    def business_minutes_used(self) -> int:
        return self.business_seconds_used // 60

    @property
    def due_at(self) -> dt.datetime | None:
        return _utc(self.due_ts)

    @property
    def met_at(self) -> dt.datetime | None:
        return _utc(self.met_ts)

    @property
    def breached_at(self) -> dt.datetime | None:
        return _utc(self.breached_ts)

    @property
    def warn_at(self) -> dt.datetime | None:
        return _utc(self.warn_ts)

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


class SlaOutcome(NamedTuple):
    targets: tuple[TargetResult, ...]  # first_response, next_update, resolution
    paused: bool  # a pause status stops the clock right now
    resolved: bool
    merged: bool
    status: str | None
    priority: str | None
    ticket_type: str | None
    now_ts: int
    created_ts: int | None
    next_deadline_ts: int | None  # earliest future warn/due instant of a running target

    @property
    def now(self) -> dt.datetime:
        return from_epoch(self.now_ts)

    @property
    def created_at(self) -> dt.datetime | None:
        return _utc(self.created_ts)

    @property
    def next_deadline(self) -> dt.datetime | None:
        """When the scheduler should recompute next (a warning or a breach), or None."""
        return _utc(self.next_deadline_ts)

    @property
    def breached(self) -> bool:
        return any(result.breached for result in self.targets)

    def target(self, metric: str) -> TargetResult:
        return next(result for result in self.targets if result.metric == metric)

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


# An instant not worked out yet: (calendar, start, business seconds after start). Warn and
# breach instants of cycles that end up superseded are never needed, so they stay pending.
_Pending = tuple[BusinessCalendar, int, int]
_NEVER = 1 << 62  # a mark the ticket's business time never reaches


def _instant(value: int | _Pending | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    calendar, start, seconds = value
    return calendar.add_business_seconds_ts(start, seconds)


class _Clock:
    """One metric's clock.

    The ticket counts ``busy``: business seconds it has run (open, not paused) since its
    creation. A clock only remembers ``busy`` at its start (``offset``), so its time used is
    ``busy - offset`` while it runs; resolution keeps one offset for the ticket's life, which
    is what makes a reopen continue from the time already used.
    """

    __slots__ = (
        "active",
        "breached_at",
        "breaches",
        "cancelled",
        "done_at",
        "done_calendar",
        "due",
        "first_breached_at",
        "index",
        "metric",
        "offset",
        "priority",
        "started",
        "target",
        "used",
        "warn",
        "warn_threshold",
    )

    def __init__(self, metric: str, index: int) -> None:
        self.metric = metric
        self.index = index  # position in the policy's goals
        self.priority: str | None = None
        self.target: int | None = None
        self.warn_threshold: int | None = None
        self.offset = 0
        self.used = 0  # frozen when the clock stops; busy - offset while active
        self.due: int | _Pending | None = None  # None exactly while the target is not reached
        self.warn: int | _Pending | None = None  # likewise for the warn threshold
        self.breached_at: int | _Pending | None = None  # this cycle
        self.first_breached_at: int | _Pending | None = None  # any cycle
        self.breaches = 0
        self.done_at: int | None = None
        self.done_calendar: BusinessCalendar | None = None
        self.active = self.started = self.cancelled = False

    def start(self, at: int, busy: int, priority: str | None, goal: Goal) -> None:
        """A new cycle starts at ``at`` with nothing used."""
        self.offset = busy
        self.breached_at = self.done_at = None
        self.active = self.started = True
        self.priority = priority
        self._set_target(at, busy, goal)

    def retarget(self, at: int, busy: int, priority: str | None, goal: Goal) -> None:
        """The priority or type changed at ``at``; a different target restarts due and warn."""
        self.priority = priority
        if goal[0] != self.target:
            self._set_target(at, busy, goal)

    def _set_target(self, at: int, busy: int, goal: Goal) -> None:
        self.target, self.warn_threshold = target, threshold = goal
        used = busy - self.offset
        self.due = at if target is not None and used >= target else None
        self.warn = at if threshold is not None and used >= threshold else None

    def cross(self, start: int, before: int, busy: int, calendar: BusinessCalendar) -> None:
        """Business time went from ``before`` to ``busy`` in a stretch starting at ``start``."""
        threshold, target = self.warn_threshold, self.target
        if self.warn is None and threshold is not None and self.offset + threshold <= busy:
            self.warn = (calendar, start, self.offset + threshold - before)
        if self.due is None and target is not None and self.offset + target <= busy:
            mark = self.offset + target
            if mark < busy:  # reached strictly inside the stretch: late if still open at its end
                self.due = (calendar, start, mark - before)
            else:  # reached with the stretch's last business second: the instant decides
                self.due = calendar.add_business_seconds_ts(start, mark - before)

    def breach(self, at: int | _Pending) -> None:
        self.breached_at = at
        self.breaches += 1
        if self.first_breached_at is None:
            self.first_breached_at = at

    def stop(self, at: int, busy: int, calendar: BusinessCalendar) -> None:
        self.used = busy - self.offset
        self.done_at = at
        self.done_calendar = calendar
        self.active = False

    def result(self, now: int, busy: int, paused: bool, calendar: BusinessCalendar) -> TargetResult:
        target = self.target
        used = busy - self.offset if self.active else self.used
        due, warn = _instant(self.due), None
        breached = self.first_breached_at
        breached = due if breached is self.due else _instant(breached)
        if not self.started or target is None:
            state = "not_applicable"
        elif self.cancelled:
            state = "cancelled"
        elif self.done_at is not None:
            state = "met" if self.breached_at is None else "met_late"
            if due is None and self.done_calendar is not None:  # when it would have been due
                due = self.done_calendar.add_business_seconds_ts(self.done_at, target - used)
        else:
            warn = _instant(self.warn)
            if self.breached_at is not None:
                state = "breached"
            elif paused:
                state = "paused"
            else:
                state = "running"
                if due is None:
                    due = calendar.add_business_seconds_ts(now, target - used)
                if warn is None and self.warn_threshold is not None:
                    warn = calendar.add_business_seconds_ts(now, self.warn_threshold - used)
        return TargetResult(
            self.metric,
            self.priority,
            None if target is None else target // 60,
            state,
            self.breaches > 0,
            self.breaches,
            used,
            due,
            self.done_at,
            breached,
            warn,
        )


class _Replay:
    """The ticket's state while its sorted log is replayed once."""

    def __init__(self, policy: SlaPolicy, calendar: BusinessCalendar) -> None:
        self.policy = policy
        self.base_calendar = self.calendar = calendar
        self.status: str | None = None
        self.priority: str | None = None
        self.ticket_type: str | None = None
        self.goals = policy.goals(None, None)
        self.running = self.paused = self.resolved = self.merged = False
        self.busy = 0  # business seconds run since creation
        self.next_mark = _NEVER  # busy value at which some clock warns or falls due
        self.watching = False  # some open clock is due and not yet breached
        self.first_response = _Clock("first_response", 0)
        self.next_update = _Clock("next_update", 1)
        self.resolution = _Clock("resolution", 2)
        self.clocks = (self.first_response, self.next_update, self.resolution)

    def advance(self, start: int, end: int) -> None:
        """Time passes from ``start`` to ``end`` with no event in between."""
        if self.running:
            seconds = self.calendar.business_seconds_between_ts(start, end)
            if seconds:
                before = self.busy
                self.busy = busy = before + seconds
                if busy >= self.next_mark:
                    for clock in self.clocks:
                        if clock.active:
                            clock.cross(start, before, busy, self.calendar)
                    self._clocks_changed()
        if self.watching:
            for clock in self.clocks:
                due = clock.due
                # Still open after its due instant: breached there (on time up to due itself).
                # A pending due always lies before ``end`` (see _Clock.cross).
                if (
                    clock.active
                    and due is not None
                    and clock.breached_at is None
                    and (not isinstance(due, int) or due < end)
                ):
                    clock.breach(due)
            self._clocks_changed()

    def _clocks_changed(self) -> None:
        """Work out the next mark and whether a due clock awaits its breach."""
        mark, watching = _NEVER, False
        for clock in self.clocks:
            if clock.active:
                if clock.warn is None and clock.warn_threshold is not None:
                    mark = min(mark, clock.offset + clock.warn_threshold)
                if clock.due is None:
                    if clock.target is not None:
                        mark = min(mark, clock.offset + clock.target)
                elif clock.breached_at is None:
                    watching = True
        self.next_mark, self.watching = mark, watching

    def create(self, at: int, event: TicketEvent) -> None:
        self.priority = event.priority
        self.ticket_type = event.ticket_type or "incident"
        self._targets_changed()
        self._start(self.first_response, at)
        self._start(self.resolution, at)
        self.set_status(at, event.status or "new")
        self._clocks_changed()

    def apply(self, at: int, event: TicketEvent) -> None:
        kind = event.kind
        if kind == "status":
            if event.status:
                self.set_status(at, event.status)
        elif kind == "agent_reply":
            if not self.resolved:
                self.agent_reply(at)
        elif kind == "priority" or kind == "type":
            if kind == "priority":
                self.priority = event.priority
            elif event.ticket_type:
                self.ticket_type = event.ticket_type
            self._targets_changed()
            for clock in self.clocks:
                if clock.active:
                    clock.retarget(at, self.busy, self.priority, self.goals[clock.index])
            self._clocks_changed()
        elif kind == "merged":
            self.merge()
        # customer_reply is informational; a second "created" is ignored.

    def _targets_changed(self) -> None:
        self.goals = self.policy.goals(self.priority, self.ticket_type)
        always_open = self.priority in self.policy.always_open_priorities
        self.calendar = ALWAYS_OPEN if always_open else self.base_calendar

    def _start(self, clock: _Clock, at: int) -> None:
        clock.start(at, self.busy, self.priority, self.goals[clock.index])

    def set_status(self, at: int, status: str) -> None:
        policy = self.policy
        self.status = status
        if status == policy.merged_status:
            self.merge()
            return
        was_resolved = self.resolved
        self.resolved = status in policy.resolved_statuses
        self.paused = not self.resolved and status in policy.pause_statuses
        self.running = not self.resolved and not self.paused
        if self.resolved and not was_resolved:
            for clock in self.clocks:
                if clock.active:
                    clock.stop(at, self.busy, self.calendar)
            self._clocks_changed()
        elif was_resolved and not self.resolved:
            resolution = self.resolution
            resolution.active = True
            resolution.done_at = None
            resolution.retarget(at, self.busy, self.priority, self.goals[resolution.index])
            if self.first_response.done_at is not None:
                self._start(self.next_update, at)
            self._clocks_changed()

    def agent_reply(self, at: int) -> None:
        if self.first_response.active:
            self.first_response.stop(at, self.busy, self.calendar)
        if self.next_update.active:
            self.next_update.stop(at, self.busy, self.calendar)
        self._start(self.next_update, at)
        self._clocks_changed()

    def merge(self) -> None:
        self.merged = True
        self.running = self.paused = False
        for clock in self.clocks:
            if clock.active:
                clock.used = self.busy - clock.offset
                clock.active = False
                clock.cancelled = True


_by_time = attrgetter("ts")


def compute(
    events: Iterable[TicketEvent], policy: SlaPolicy, calendar: BusinessCalendar, now: dt.datetime
) -> SlaOutcome:
    """The SLA state of one ticket as of ``now`` (aware). Pure: same input, same outcome."""
    now_ts = to_epoch(now)
    ordered = sorted(events, key=_by_time)
    replay = _Replay(policy, calendar)
    created_at: int | None = None
    for index, first in enumerate(ordered):
        if first.kind == "created":
            if first.ts <= now_ts:
                created_at = last = first.ts
                replay.create(last, first)
                # Events timed before creation (clock skew) count as happening at creation.
                for event in ordered[:index] + ordered[index + 1 :] if index else ordered[1:]:
                    if replay.merged:
                        break
                    at = event.ts
                    if at > last:
                        if at > now_ts:
                            break
                        replay.advance(last, at)
                        last = at
                    replay.apply(last, event)
                replay.advance(last, now_ts)
            break
    results = tuple(
        clock.result(now_ts, replay.busy, replay.paused, replay.calendar) for clock in replay.clocks
    )
    next_deadline = None
    for result in results:
        if result.state == "running":
            for instant in (result.warn_ts, result.due_ts):
                if instant is not None and instant > now_ts:
                    next_deadline = instant if next_deadline is None else min(next_deadline, instant)
    return SlaOutcome(
        results,
        replay.paused,
        replay.resolved,
        replay.merged,
        replay.status,
        replay.priority,
        replay.ticket_type,
        now_ts,
        created_at,
        next_deadline,
    )
