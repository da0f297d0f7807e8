"""The engine against a brute-force reference that steps through time minute by minute.

The reference applies the clock rules literally (docs/sla.md): each minute the calendar is
open and the status runs, every open clock gains 60 s; a clock is due the moment its time
used reaches its target (at a target change: at once if already reached); still open past
that moment is a breach. Events fall on whole minutes so both agree to the second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.servicedesk.sla import ALWAYS_OPEN, BusinessCalendar, SlaPolicy, compute
from steward.servicedesk.sla.events import TicketEvent

from .helpers import OFFICE, policy, utc

SLA = policy(always_open_priorities=["p1"])
METRICS = ("first_response", "next_update", "resolution")


@dataclass
class Clock:
    active: bool = False
    started: bool = False
    cancelled: bool = False
    used: int = 0
    target: int | None = None
    due: int | None = None
    breached: bool = False  # this cycle
    breaches: int = 0
    first_breach: int | None = None
    met_at: int | None = None
    priority: str | None = None

    def start(self, at: int, target: int | None, prio: str | None) -> None:
        self.active = self.started = True
        self.used, self.breached, self.met_at = 0, False, None
        self.target = self.due = None
        self.set_target(at, target, prio)

    def set_target(self, at: int, target: int | None, prio: str | None) -> None:
        self.priority = prio
        if target != self.target:
            self.target = target
            self.due = at if target is not None and self.used >= target else None


@dataclass
class Reference:
    sla: SlaPolicy
    calendar: BusinessCalendar
    status: str = ""
    priority: str = ""
    resolved: bool = False
    merged: bool = False
    clocks: dict[str, Clock] = field(default_factory=lambda: {m: Clock() for m in METRICS})

    def target(self, metric: str) -> int | None:
        return self.sla.target_seconds(metric, self.priority, "incident")

    def running(self) -> bool:
        return not self.resolved and not self.merged and self.status not in self.sla.pause_statuses

    def apply(self, at: int, event: TicketEvent) -> None:
        fr, nu, res = (self.clocks[m] for m in METRICS)
        if event.kind == "created":
            self.priority = event.priority or ""
            fr.start(at, self.target("first_response"), self.priority)
            res.start(at, self.target("resolution"), self.priority)
            self.set_status(at, event.status or "new")
        elif event.kind == "status" and event.status:
            self.set_status(at, event.status)
        elif event.kind == "priority" and event.priority:
            self.priority = event.priority
            for metric, clock in self.clocks.items():
                if clock.active:
                    clock.set_target(at, self.target(metric), self.priority)
        elif event.kind == "agent_reply" and not self.resolved:
            for clock in (fr, nu):
                if clock.active:
                    clock.active, clock.met_at = False, at
            nu.start(at, self.target("next_update"), self.priority)
        elif event.kind == "merged":
            self.merge()

    def set_status(self, at: int, status: str) -> None:
        self.status = status
        if status == "merged":
            self.merge()
            return
        was = self.resolved
        self.resolved = status in ("resolved", "closed")
        if self.resolved and not was:
            for clock in self.clocks.values():
                if clock.active:
                    clock.active, clock.met_at = False, at
        elif was and not self.resolved:
            res = self.clocks["resolution"]
            res.active, res.met_at = True, None
            res.set_target(at, self.target("resolution"), self.priority)
            if self.clocks["first_response"].met_at is not None:
                self.clocks["next_update"].start(at, self.target("next_update"), self.priority)

    def merge(self) -> None:
        self.merged = True
        for clock in self.clocks.values():
            if clock.active:
                clock.active, clock.cancelled = False, True

    def step(self, at: int) -> None:
        """The minute [at, at + 60) passes."""
        for clock in self.clocks.values():
            if clock.active and clock.due is not None and clock.due <= at and not clock.breached:
                clock.breached, clock.breaches = True, clock.breaches + 1
                clock.first_breach = clock.first_breach if clock.first_breach is not None else clock.due
        calendar = ALWAYS_OPEN if self.priority in self.sla.always_open_priorities else self.calendar
        if self.running() and calendar.is_open(dt.datetime.fromtimestamp(at, dt.UTC)):
            for clock in self.clocks.values():
                if clock.active:
                    clock.used += 60
                    if clock.due is None and clock.target is not None and clock.used >= clock.target:
                        clock.due = at + 60


def simulate(events: list[TicketEvent], now: int) -> dict[str, tuple]:
    reference = Reference(SLA, OFFICE)
    ordered = sorted(events, key=lambda e: e.ts)
    start = ordered[0].ts
    index = 0
    for at in range(start, now + 1, 60):
        while index < len(ordered) and ordered[index].ts == at:
            if not reference.merged:
                reference.apply(at, ordered[index])
            index += 1
        if at < now:
            reference.step(at)
    results = {}
    for metric, clock in reference.clocks.items():
        if not clock.started or clock.target is None:
            state = "not_applicable"
        elif clock.cancelled:
            state = "cancelled"
        elif clock.met_at is not None:
            state = "met_late" if clock.breached else "met"
        elif clock.breached:
            state = "breached"
        else:
            state = "paused" if not reference.running() else "running"
        results[metric] = (state, clock.used, clock.breaches, clock.first_breach, clock.met_at)
    return results


MINUTE_TIMES = st.integers(0, 5 * 24 * 60).map(lambda m: m * 60)
STATUSES = ["open", "in_progress", "waiting_on_customer", "resolved", "closed"]


@st.composite
def logs(draw):
    start = int(utc(2026, 3, 25).timestamp()) + draw(st.integers(0, 3 * 24 * 60)) * 60  # spans DST
    events = [
        TicketEvent(
            dt.datetime.fromtimestamp(start, dt.UTC),
            "created",
            "new",
            draw(st.sampled_from(["p1", "p2", "p3", "p4"])),
            "incident",
        )
    ]
    for _ in range(draw(st.integers(0, 8))):
        at = dt.datetime.fromtimestamp(start + draw(MINUTE_TIMES), dt.UTC)
        kind = draw(st.sampled_from(["status", "status", "agent_reply", "priority", "merged"]))
        events.append(
            TicketEvent(
                at,
                kind,
                status=draw(st.sampled_from(STATUSES)) if kind == "status" else None,
                priority=draw(st.sampled_from(["p1", "p2", "p3", "p4"])) if kind == "priority" else None,
            )
        )
    # One event per minute, so order within a minute never matters.
    seen: set[int] = set()
    return [e for e in events if not (e.ts in seen or seen.add(e.ts))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs(), MINUTE_TIMES)
def test_engine_matches_minute_by_minute_reference(events, later):
    now = events[0].ts + later
    expected = simulate(events, now)
    outcome = compute(events, SLA, OFFICE, dt.datetime.fromtimestamp(now, dt.UTC))
    for result in outcome.targets:
        assert (
            result.state,
            result.business_seconds_used,
            result.breaches,
            result.breached_ts,
            result.met_ts,
        ) == expected[result.metric], result.metric
