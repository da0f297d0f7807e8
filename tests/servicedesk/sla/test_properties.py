"""Properties checked on generated calendars and event logs (hypothesis)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.servicedesk.sla import STATES, BusinessCalendar, Holiday, compute
from steward.servicedesk.sla.events import TicketEvent

from .helpers import OFFICE, policy, utc

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = utc(2025, 12, 1)
SPAN = 200 * 86400  # instants between Dec 2025 and June 2026: both DST changes everywhere


@st.composite
def weeks(draw, grid: int = 15, avoid_night: bool = False):
    """Seven days of sorted, non-overlapping periods on a ``grid``-minute grid."""
    week = []
    for _ in range(7):
        lowest = 4 * 60 if avoid_night else 0  # DST changes happen before 04:00 local
        points = sorted(set(draw(st.lists(st.integers(lowest // grid, 1440 // grid), max_size=6))))
        points = points[: len(points) // 2 * 2]
        week.append(tuple((points[i] * grid, points[i + 1] * grid) for i in range(0, len(points), 2)))
    if not any(week):
        week[0] = ((9 * 60, 17 * 60),)
    return tuple(week)


@st.composite
def calendars(draw, avoid_night: bool = False):
    holidays = draw(
        st.lists(
            st.builds(
                Holiday,
                st.dates(dt.date(2025, 11, 1), dt.date(2026, 7, 1)),
                st.just(""),
                st.booleans(),
            ),
            max_size=8,
        )
    )
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        weekly=draw(weeks(avoid_night=avoid_night)),
        holidays=tuple(holidays),
    )


instants = st.integers(0, SPAN).map(lambda s: T0 + dt.timedelta(seconds=s))


@SETTINGS
@given(calendars(), instants, st.integers(0, 400 * 3600))
def test_adding_then_measuring_gives_back_the_seconds(cal, start, seconds):
    end = cal.add_business_seconds(start, seconds)
    assert end >= start
    assert cal.business_seconds_between(start, end) == seconds
    # ``end`` is the earliest such instant: a second earlier, one second is missing.
    if seconds:
        assert cal.business_seconds_between(start, end - dt.timedelta(seconds=1)) == seconds - 1


@SETTINGS
@given(calendars(), instants, instants, instants)
def test_measuring_is_additive(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    assert cal.business_seconds_between(a, b) + cal.business_seconds_between(b, c) == (
        cal.business_seconds_between(a, c)
    )
    assert cal.business_seconds_between(a, c) <= (c - a).total_seconds()
    # Measuring then adding lands at or before the end, with nothing open in between.
    back = cal.add_business_seconds(a, cal.business_seconds_between(a, c))
    assert back <= c and cal.business_seconds_between(back, c) == 0


def reference_minutes(cal: BusinessCalendar, start: dt.datetime, minutes: int) -> int:
    """Minute by minute: open when the local wall clock shows a time inside a period of a
    non-holiday date. Independent of the engine's tables (and slow)."""
    zone = ZoneInfo(cal.timezone)
    singles = {h.date for h in cal.holidays if not h.recurring}
    yearly = {(h.date.month, h.date.day) for h in cal.holidays if h.recurring}
    count = 0
    for step in range(minutes):
        local = (start + dt.timedelta(minutes=step)).astimezone(zone)
        day = local.date()
        if day in singles or (day.month, day.day) in yearly:
            continue
        minute = local.hour * 60 + local.minute
        if any(lo <= minute < hi for lo, hi in cal.weekly[local.weekday()]):
            count += 1
    return count


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(avoid_night=True), st.integers(0, SPAN // 60).map(lambda m: T0 + dt.timedelta(minutes=m)))
def test_matches_a_minute_by_minute_reference(cal, start):
    # Periods start at 04:00 or later, away from DST changes, where both definitions agree.
    minutes = 9 * 24 * 60
    end = start + dt.timedelta(minutes=minutes)
    assert cal.business_seconds_between(start, end) == 60 * reference_minutes(cal, start, minutes)


KINDS = ["status", "priority", "type", "agent_reply", "customer_reply", "merged", "created"]
STATUSES = [
    "new",
    "open",
    "in_progress",
    "waiting_on_customer",
    "waiting_on_third_party",
    "resolved",
    "closed",
]


@st.composite
def event_logs(draw):
    start = draw(instants)
    events = [
        TicketEvent(
            start,
            "created",
            status=draw(st.sampled_from(STATUSES)),
            priority=draw(st.sampled_from(["p1", "p2", "p3", "p4"])),
            ticket_type=draw(st.sampled_from(["incident", "service_request"])),
        )
    ]
    for _ in range(draw(st.integers(0, 12))):
        at = start + dt.timedelta(seconds=draw(st.integers(-3600, 30 * 86400)))
        kind = draw(st.sampled_from(KINDS))
        events.append(
            TicketEvent(
                at,
                kind,
                status=draw(st.sampled_from(STATUSES)) if kind == "status" else None,
                priority=draw(st.sampled_from(["p1", "p2", "p3", "p4"]))
                if kind in ("priority", "created")
                else None,
                ticket_type="service_request" if kind == "type" else None,
            )
        )
    return draw(st.permutations(events))


SLA = policy(
    always_open_priorities=["p1"],
    overrides=[
        {"ticket_type": "service_request", "first_response": {"p3": None}, "resolution": {"p3": "40h"}}
    ],
)


@SETTINGS
@given(event_logs(), st.integers(0, 40 * 86400))
def test_compute_never_raises_and_stays_consistent(events, later):
    created_at = min(event.at for event in events)
    now = created_at + dt.timedelta(seconds=later)
    outcome = compute(events, SLA, OFFICE, now)
    assert len(outcome.targets) == 3
    for result in outcome.targets:
        assert result.state in STATES
        assert 0 <= result.business_seconds_used <= (now - created_at).total_seconds()
        assert result.breached == (result.breaches > 0) == (result.breached_at is not None)
        if result.state == "met_late":
            assert result.breached
        if result.state == "met" and result.metric != "next_update":  # only it has several cycles
            assert not result.breached
        if result.state in ("met", "met_late"):
            assert result.met_at is not None and result.met_at <= now
        if result.state == "breached":
            assert result.breached_at is not None and result.breached_at < now
        if result.state == "running":
            assert result.due_at is not None and result.due_at >= now
    if outcome.next_deadline is not None:
        assert outcome.next_deadline >= now
    # Pure: the same log gives the same outcome, in any order when no two events share a time.
    assert compute(events, SLA, OFFICE, now) == outcome
    if len({event.ts for event in events}) == len(events):
        assert compute(sorted(events, key=lambda e: -e.ts), SLA, OFFICE, now) == outcome
