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
* **Warnings.** ``warn_at`` is when the time used reaches the policy's warn threshold
  (``warn_at: 80%`` of the target, or ``warn_before: 30m`` before it), by the same rule as
  ``due_at``. It is given for open targets only (past, or future while running; None while
  paused before it); a completed or cancelled target has none. ``next_deadline`` is the
  earliest ``warn_at``/``due_at`` of a running target at or after ``now``: when the
  scheduler should recompute to raise a warning or a breach.
* **Met targets** report the ``due_at`` they had when completed: when the time used would
  have reached the target had the clock kept running.
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
from bisect import bisect_left
from collections.abc import Iterable
from operator import attrgetter
from typing import Any, NamedTuple

from steward.servicedesk.sla.calendar import ALWAYS_OPEN, BusinessCalendar, from_epoch, to_epoch
from steward.servicedesk.sla.events import TicketEvent
from steward.servicedesk.sla.policy import Goal, SlaPolicy

STATES = ("running", "paused", "met", "breached", "met_late", "cancelled", "not_applicable")

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


_by_time = attrgetter("ts")


class _Timeline:
    """The ticket's business time as it accrued: stretch ``i`` began at ``starts[i]`` with
    ``befores[i]`` business seconds already run, and accrued on ``calendars[i]``.

    Every target is a mark on this line (its cycle's offset + the target); the instant a
    mark was reached is found by bisection, only when a result needs it.
    """

    __slots__ = ("befores", "calendars", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.befores: list[int] = []  # strictly increasing: empty stretches are not kept
        self.calendars: list[BusinessCalendar] = []

    def instant(self, mark: int) -> int:
        """When the business time run reached ``mark`` (0 < mark <= business time run)."""
        index = bisect_left(self.befores, mark) - 1
        return self.calendars[index].add_business_seconds_ts(self.starts[index], mark - self.befores[index])


class _Clock:
    """One metric's clock, in business seconds the ticket has run (``busy``).

    A cycle starts with ``offset`` = busy at its start, so its time used is busy - offset;
    resolution keeps one offset for the whole life of the ticket, which is what makes a
    reopen continue from the time already used. ``since``/``since_busy``: when the current
    target took effect (cycle start or last target change).
    """

    __slots__ = (
        "active",
        "breached",
        "breaches",
        "cancelled",
        "done_at",
        "done_busy",
        "done_calendar",
        "first_breach",
        "index",
        "metric",
        "offset",
        "priority",
        "since",
        "since_busy",
        "started",
        "target",
        "warn_threshold",
    )

    def __init__(self, metric: str, index: int) -> None:
        self.metric = metric
        self.index = index  # position in the policy's goals
        self.priority: str | None = None
        self.target: int | None = None
        self.warn_threshold: int | None = None
        self.offset = self.since = self.since_busy = self.done_busy = self.breaches = 0
        self.breached = False  # this cycle
        self.first_breach: tuple[int, int, int] | None = None  # (since, since_busy, mark)
        self.done_at: int | None = None
        self.done_calendar: BusinessCalendar | None = None
        self.active = self.started = self.cancelled = False

    def start(self, at: int, busy: int, priority: str | None, goal: Goal) -> None:
        """A new cycle starts at ``at`` with nothing used."""
        self.offset = self.since_busy = busy
        self.since = at
        self.target, self.warn_threshold = goal
        self.priority = priority
        self.breached = False
        self.done_at = None
        self.active = self.started = True

    def retarget(self, at: int, busy: int, priority: str | None, goal: Goal, line: _Timeline) -> None:
        """The priority or type changed at ``at``: a different target takes over from then."""
        self.priority = priority
        if goal[0] != self.target:
            self.settle(at, busy, line)  # a breach under the old target stays
            self.target, self.warn_threshold = goal
            self.since, self.since_busy = at, busy

    def resume(self, at: int, busy: int, priority: str | None, goal: Goal) -> None:
        """Running again after a reopen; no time passed for it while it was stopped."""
        self.priority = priority
        self.active = True
        self.done_at = None
        if goal[0] != self.target:
            self.target, self.warn_threshold = goal
            self.since, self.since_busy = at, busy

    def settle(self, until: int, busy: int, line: _Timeline) -> None:
        """Record the breach if the current target fell due before ``until`` (busy then)."""
        if self.breached or self.target is None:
            return
        mark = self.offset + self.target
        if self.since_busy >= mark:  # already used up when the target took effect
            late = self.since < until
        elif busy > mark:  # reached strictly before ``until``
            late = True
        elif busy == mark:  # reached with the last business second: the instant decides
            late = line.instant(mark) < until
        else:
            late = False
        if late:
            self.breached = True
            self.breaches += 1
            if self.first_breach is None:
                self.first_breach = (self.since, self.since_busy, mark)

    def stop(self, at: int, busy: int, calendar: BusinessCalendar, line: _Timeline) -> None:
        self.settle(at, busy, line)
        self.done_at, self.done_busy, self.done_calendar = at, busy, calendar
        self.active = False

    def cancel(self, at: int, busy: int, line: _Timeline) -> None:
        self.settle(at, busy, line)
        self.done_busy = busy
        self.active = False
        self.cancelled = True

    def result(
        self, now: int, busy: int, paused: bool, calendar: BusinessCalendar, line: _Timeline
    ) -> TargetResult:
        target, since, since_busy = self.target, self.since, self.since_busy
        if self.active:
            self.settle(now, busy, line)
        else:
            busy = self.done_busy
        due = warn = reached = None
        mark = self.offset + (target or 0)
        if not self.started or target is None:
            state = "not_applicable"
        else:
            if since_busy >= mark:  # used up when the target took effect
                due = since
            elif busy >= mark:
                due = reached = line.instant(mark)
            if self.cancelled:
                state = "cancelled"
            elif self.done_at is not None:
                state = "met_late" if self.breached else "met"
                if due is None and self.done_calendar is not None:  # when it would have been due
                    due = self.done_calendar.add_business_seconds_ts(self.done_at, mark - busy)
            else:
                state = "breached" if self.breached else "paused" if paused else "running"
                if due is None and not paused:
                    due = calendar.add_business_seconds_ts(now, mark - busy)
                if self.warn_threshold is not None:
                    warning = self.offset + self.warn_threshold
                    if since_busy >= warning:
                        warn = since
                    elif busy >= warning:
                        warn = line.instant(warning)
                    elif not paused:
                        warn = calendar.add_business_seconds_ts(now, warning - busy)
        breached_at = None
        if self.first_breach is not None:
            first_since, first_since_busy, first_mark = self.first_breach
            if first_since_busy >= first_mark:
                breached_at = first_since
            elif reached is not None and first_mark == mark:
                breached_at = reached  # the same point on the line as this cycle's due
            else:
                breached_at = line.instant(first_mark)
        return TargetResult(
            self.metric,
            self.priority,
            None if target is None else target // 60,
            state,
            self.breaches > 0,
            self.breaches,
            busy - self.offset,
            due,
            self.done_at,
            breached_at,
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
        self.last = 0  # the time replayed so far
        self.busy = 0  # business seconds the ticket has run since creation
        self.line = _Timeline()
        self.first_response = _Clock("first_response", 0)
        self.next_update = _Clock("next_update", 1)
        self.resolution = _Clock("resolution", 2)
        self.clocks = (self.first_response, self.next_update, self.resolution)

    def run_until(self, at: int) -> None:
        """Time passes until ``at`` with nothing happening."""
        if self.running:
            seconds = self.calendar.business_seconds_between_ts(self.last, at)
            if seconds:
                line = self.line
                line.starts.append(self.last)
                line.befores.append(self.busy)
                line.calendars.append(self.calendar)
                self.busy += seconds
        self.last = at

    def create(self, at: int, status: str | None, priority: str | None, ticket_type: str | None) -> None:
        self.last = at
        self.priority = priority
        self.ticket_type = ticket_type or "incident"
        self._targets_changed()
        self._start(self.first_response)
        self._start(self.resolution)
        self.set_status(status or "new")

    def apply(self, kind: str, status: str | None, priority: str | None, ticket_type: str | None) -> None:
        if kind == "status":
            if status:
                self.set_status(status)
        elif kind == "agent_reply":
            if not self.resolved:
                self.agent_reply()
        elif kind == "priority" or kind == "type":
            if kind == "priority" and priority:
                self.priority = priority
            elif kind == "type" and ticket_type:
                self.ticket_type = ticket_type
            else:
                return  # nothing changed
            self._targets_changed()
            for clock in self.clocks:
                if clock.active:
                    clock.retarget(self.last, self.busy, self.priority, self.goals[clock.index], self.line)
        elif kind == "merged":
            self.merge()
        # customer_reply is informational; a second "created" is ignored.

    def _targets_changed(self) -> None:
        self.goals = self.policy.goals(self.priority, self.ticket_type)
        always_open = self.priority in self.policy.always_open_priorities
        self.calendar = ALWAYS_OPEN if always_open else self.base_calendar

    def _start(self, clock: _Clock) -> None:
        clock.start(self.last, self.busy, self.priority, self.goals[clock.index])

    def set_status(self, status: str) -> None:
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
                    clock.stop(self.last, self.busy, self.calendar, self.line)
        elif was_resolved and not self.resolved:
            resolution = self.resolution
            resolution.resume(self.last, self.busy, self.priority, self.goals[resolution.index])
            if self.first_response.done_at is not None:
                self._start(self.next_update)

    def agent_reply(self) -> None:
        if self.first_response.active:
            self.first_response.stop(self.last, self.busy, self.calendar, self.line)
        if self.next_update.active:
            self.next_update.stop(self.last, self.busy, self.calendar, self.line)
        self._start(self.next_update)

    def merge(self) -> None:
        self.merged = True
        self.running = self.paused = False
        for clock in self.clocks:
            if clock.active:
                clock.cancel(self.last, self.busy, self.line)


def compute(
    events: Iterable[TicketEvent], policy: SlaPolicy, calendar: BusinessCalendar, now: dt.datetime
) -> SlaOutcome:
    """The SLA state of one ticket as of ``now`` (aware). Pure: same input, same outcome."""
    rows = [(e.ts, e.kind, e.status, e.priority, e.ticket_type) for e in sorted(events, key=_by_time)]
    return compute_rows(rows, policy, calendar, to_epoch(now))


EventRow = tuple[int, str, str | None, str | None, str | None]


def compute_rows(
    rows: list[EventRow], policy: SlaPolicy, calendar: BusinessCalendar, now_ts: int
) -> SlaOutcome:
    """:func:`compute` over plain ``(ts, kind, status, priority, ticket_type)`` rows sorted by
    time (equal times in log order), as the service desk reads them in bulk: no per-event
    objects to build. Kinds must be engine kinds (``EVENT_KINDS``)."""
    replay = _Replay(policy, calendar)
    created_at: int | None = None
    for index, first in enumerate(rows):
        if first[1] == "created":
            if first[0] <= now_ts:
                created_at = first[0]
                replay.create(created_at, first[2], first[3], first[4])
                run_until, apply = replay.run_until, replay.apply
                # Events timed before creation (clock skew) count as happening at creation.
                for at, kind, status, priority, ticket_type in (
                    rows[:index] + rows[index + 1 :] if index else rows[1:]
                ):
                    if replay.merged:
                        break
                    if at > replay.last:
                        if at > now_ts:
                            break
                        if replay.running:
                            run_until(at)
                        else:  # paused or resolved: no business time to count
                            replay.last = at
                    apply(kind, status, priority, ticket_type)
                run_until(now_ts)
            break
    busy, paused, calendar, line = replay.busy, replay.paused, replay.calendar, replay.line
    results = (
        replay.first_response.result(now_ts, busy, paused, calendar, line),
        replay.next_update.result(now_ts, busy, paused, calendar, line),
        replay.resolution.result(now_ts, busy, paused, calendar, line),
    )
    next_deadline = None
    for result in results:
        if result.state == "running":
            for instant in (result.warn_ts, result.due_ts):
                if instant is not None and instant >= now_ts:
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
