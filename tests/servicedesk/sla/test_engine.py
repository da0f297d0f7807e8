"""The SLA clock, scenario by scenario. Every expected time is worked out by hand.

Calendar OFFICE: Monday-Friday 09:00-17:00 Europe/London (8 business hours a day), Good
Friday 2026-04-03 and Christmas (recurring) closed. In January London is on GMT, so local
time is UTC. Mon 19 Jan 2026 is a Monday. Policy STANDARD (business time):

    metric          p1    p2    p3    p4
    first_response  30m   1h    4h    8h
    next_update     1h    4h    8h    16h
    resolution      4h    8h    16h   40h          warnings at 80% of the target
"""

from __future__ import annotations

import random

from steward.servicedesk.sla import SlaOutcome, TargetResult, TicketEvent, compute, parse_policy
from steward.servicedesk.sla.events import agent_reply, created, customer_reply, merged, priority, status
from steward.servicedesk.sla.events import ticket_type as type_change

from .helpers import OFFICE, STANDARD, TARGETS, policy, utc

MON, TUE, WED, THU, FRI = 19, 20, 21, 22, 23  # days of January 2026


def jan(day: int, hour: int, minute: int = 0):
    return utc(2026, 1, day, hour, minute)


def run(events, now, sla=STANDARD, calendar=OFFICE) -> SlaOutcome:
    return compute(events, sla, calendar, now)


def target(outcome: SlaOutcome, metric: str) -> TargetResult:
    return outcome.target(metric)


def test_opened_out_of_hours_starts_at_next_opening():
    # Created Friday 16 Jan 18:00, after closing; nothing accrues until Monday 09:00.
    outcome = run([created(jan(16, 18), "p3")], now=jan(MON, 11))
    first = target(outcome, "first_response")
    # Mon 09:00-11:00 = 120 min used of 240.
    assert (first.state, first.business_minutes_used, first.target_minutes) == ("running", 120, 240)
    assert first.due_at == jan(MON, 13)  # 09:00 + 4 h
    assert first.warn_at == jan(MON, 12, 12)  # 80% of 240 = 192 min = 3 h 12 after 09:00
    resolution = target(outcome, "resolution")
    assert resolution.business_minutes_used == 120
    assert resolution.due_at == jan(TUE, 17)  # 16 h: Mon 09-17 (8 h) + Tue 09-17 (8 h)
    assert resolution.warn_at == jan(TUE, 13, 48)  # 80% = 12 h 48: Mon 8 h + Tue 4 h 48
    assert target(outcome, "next_update").state == "not_applicable"  # no first response yet
    assert outcome.next_deadline == jan(MON, 12, 12)  # the earliest warning or due time
    assert not outcome.paused and not outcome.breached


def test_opened_and_answered_over_the_weekend():
    # Created Sat 17 Jan 10:00, agent replies Sun 18 Jan 12:00: answered before any business
    # time passed; 0 minutes used.
    outcome = run([created(jan(17, 10), "p2"), agent_reply(jan(18, 12))], now=jan(MON, 9, 30))
    first = target(outcome, "first_response")
    assert (first.state, first.business_minutes_used, first.met_at) == ("met", 0, jan(18, 12))
    assert first.due_at == jan(MON, 10)  # it would have been due 1 h after Monday's opening
    # next_update: cycle from Sun 12:00; Mon 09:00-09:30 = 30 min of 240.
    update = target(outcome, "next_update")
    assert (update.state, update.business_minutes_used, update.due_at) == ("running", 30, jan(MON, 13))


def test_pause_and_resume():
    events = [
        created(jan(MON, 9), "p3"),
        agent_reply(jan(MON, 9, 30)),
        status(jan(MON, 10), "waiting_on_customer"),
        customer_reply(jan(TUE, 13, 55)),
        status(jan(TUE, 14), "open"),
        status(jan(WED, 10), "resolved"),
    ]
    # While waiting (Tue 12:00): paused, nothing accrues, no due time is known.
    waiting = run(events, now=jan(TUE, 12))
    assert waiting.paused
    resolution = target(waiting, "resolution")
    assert (resolution.state, resolution.business_minutes_used, resolution.due_at) == ("paused", 60, None)
    assert resolution.warn_at is None
    assert waiting.next_deadline is None  # nothing changes by itself while paused

    done = run(events, now=jan(FRI, 12))
    resolution = target(done, "resolution")
    # Mon 09:00-10:00 (60) + Tue 14:00-17:00 (180) + Wed 09:00-10:00 (60) = 300 min.
    assert (resolution.state, resolution.business_minutes_used) == ("met", 300)
    assert resolution.met_at == jan(WED, 10)
    # Due as it stood at the resolve: 960 - 300 = 660 min = 11 h after Wed 10:00:
    # Wed 10:00-17:00 (7 h) + Thu 09:00-13:00 (4 h).
    assert resolution.due_at == jan(THU, 13)
    assert resolution.warn_at is None  # warnings are for open targets
    update = target(done, "next_update")
    # Cycle from 09:30: 09:30-10:00 (30) + Tue 14-17 (180) + Wed 09-10 (60) = 270 of 480;
    # resolving completes it. Due: 210 min after Wed 10:00 = 13:30.
    assert (update.state, update.business_minutes_used, update.met_at) == ("met", 270, jan(WED, 10))
    assert update.due_at == jan(WED, 13, 30)
    assert not done.paused and done.resolved


def test_pause_stops_first_response_too():
    events = [created(jan(MON, 9), "p2"), status(jan(MON, 9, 20), "waiting_on_third_party")]
    outcome = run(events, now=jan(WED, 12))
    first = target(outcome, "first_response")
    # 20 min used before the pause; two days later still 20 of 60 and not breached.
    assert (first.state, first.business_minutes_used, first.breached) == ("paused", 20, False)
    resumed = run([*events, status(jan(WED, 12), "in_progress")], now=jan(WED, 12, 30))
    # 20 + 30 = 50 min; due when 60 is reached: 10 min after 12:30.
    first = target(resumed, "first_response")
    assert (first.state, first.business_minutes_used, first.due_at) == ("running", 50, jan(WED, 12, 40))


def test_breach_while_open_then_met_late():
    events = [created(jan(MON, 9), "p1")]
    outcome = run(events, now=jan(MON, 10))
    first = target(outcome, "first_response")
    # p1: 30 min; due 09:30; at 10:00 still unanswered: breached at 09:30.
    assert (first.state, first.breached, first.breached_at, first.due_at) == (
        "breached",
        True,
        jan(MON, 9, 30),
        jan(MON, 9, 30),
    )
    assert first.business_minutes_used == 60
    later = run([*events, agent_reply(jan(MON, 10, 15))], now=jan(MON, 11))
    first = target(later, "first_response")
    assert (first.state, first.breached, first.met_at) == ("met_late", True, jan(MON, 10, 15))
    assert later.breached


def test_met_exactly_at_due_is_on_time():
    # p2 first response 60 min: reply at exactly 10:00 is on time, at 10:00:01 late.
    on_time = run([created(jan(MON, 9), "p2"), agent_reply(jan(MON, 10))], now=jan(MON, 12))
    assert target(on_time, "first_response").state == "met"
    late = run([created(jan(MON, 9), "p2"), agent_reply(utc(2026, 1, MON, 10, 0, 1))], now=jan(MON, 12))
    assert target(late, "first_response").state == "met_late"


def test_due_at_close_and_answered_next_morning_is_late():
    # p2 first response, created Mon 16:00: 16:00-17:00 uses the whole hour, due Mon 17:00.
    # A reply on Tue 08:30 (before opening) used no more business time, but is after due.
    outcome = run([created(jan(MON, 16), "p2"), agent_reply(jan(TUE, 8, 30))], now=jan(TUE, 12))
    first = target(outcome, "first_response")
    assert (first.state, first.business_minutes_used) == ("met_late", 60)
    assert (first.due_at, first.breached_at) == (jan(MON, 17), jan(MON, 17))


def test_next_update_cycles():
    events = [
        created(jan(MON, 9), "p2"),
        agent_reply(jan(MON, 9, 45)),  # first response (45 of 60 min); cycle 1 starts
        agent_reply(jan(MON, 12)),  # cycle 1: 2 h 15 of 4 h, met; cycle 2 starts
        agent_reply(jan(TUE, 9, 30)),  # cycle 2: due Mon 16:00 (12:00 + 4 h), replied late
    ]
    outcome = run(events, now=jan(TUE, 11, 30))
    first = target(outcome, "first_response")
    assert (first.state, first.business_minutes_used) == ("met", 45)
    update = target(outcome, "next_update")
    # Cycle 3 from Tue 09:30: 120 of 240 min used at 11:30; due 13:30; warn at 192 min = 12:42.
    assert (update.state, update.business_minutes_used) == ("running", 120)
    assert (update.due_at, update.warn_at) == (jan(TUE, 13, 30), jan(TUE, 12, 42))
    # The late cycle 2 is remembered: breached at Mon 16:00, once.
    assert (update.breached, update.breaches, update.breached_at) == (True, 1, jan(MON, 16))


def test_customer_reply_does_not_move_the_clocks():
    events = [created(jan(MON, 9), "p3"), agent_reply(jan(MON, 9, 10))]
    plain = run(events, now=jan(MON, 15))
    chatty = run([*events, customer_reply(jan(MON, 11)), customer_reply(jan(MON, 14))], now=jan(MON, 15))
    assert plain.targets == chatty.targets


def test_reopen_continues_from_time_used():
    events = [
        created(jan(MON, 9), "p3"),
        agent_reply(jan(MON, 9, 10)),
        status(jan(MON, 11), "resolved"),  # resolution: 120 of 960 min used
        status(jan(WED, 9), "open"),  # reopened; Mon 11:00-Wed 09:00 does not count
    ]
    outcome = run(events, now=jan(WED, 15))
    resolution = target(outcome, "resolution")
    # 120 + Wed 09:00-15:00 (360) = 480 min; 480 left = 8 h after Wed 15:00:
    # Wed 15-17 (2 h) + Thu 09:00-15:00 (6 h). Without the resolve it would have been due
    # Tue 17:00; it moved by the business time spent resolved (Mon 11-17 + Tue = 14 h).
    assert (resolution.state, resolution.business_minutes_used) == ("running", 480)
    assert resolution.due_at == jan(THU, 15)
    assert resolution.met_at is None  # open again
    # A reopen starts a next_update cycle at once: Wed 09:00 + 8 h = Wed 17:00.
    update = target(outcome, "next_update")
    assert (update.state, update.business_minutes_used, update.due_at) == ("running", 360, jan(WED, 17))
    first = target(outcome, "first_response")
    assert (first.state, first.met_at) == ("met", jan(MON, 9, 10))  # stays met

    resolved_again = run([*events, status(jan(THU, 10), "resolved")], now=jan(FRI, 9))
    resolution = target(resolved_again, "resolution")
    # 480 + Wed 15-17 (120) + Thu 09-10 (60) = 660 min; the latest resolve counts.
    assert (resolution.state, resolution.business_minutes_used) == ("met", 660)
    assert resolution.met_at == jan(THU, 10)


def test_closing_after_resolving_changes_nothing():
    events = [created(jan(MON, 9), "p3"), agent_reply(jan(MON, 9, 5)), status(jan(MON, 12), "resolved")]
    resolved = run(events, now=jan(FRI, 9))
    closed = run([*events, status(jan(THU, 9), "closed")], now=jan(FRI, 9))
    assert resolved.targets == closed.targets
    assert target(closed, "resolution").met_at == jan(MON, 12)


def test_resolving_counts_as_the_first_response():
    outcome = run([created(jan(MON, 9), "p3"), status(jan(MON, 9, 40), "resolved")], now=jan(MON, 12))
    first = target(outcome, "first_response")
    assert (first.state, first.met_at, first.business_minutes_used) == ("met", jan(MON, 9, 40), 40)
    assert target(outcome, "next_update").state == "not_applicable"


def test_priority_raised_past_the_used_time_breaches_at_the_change():
    events = [
        created(jan(MON, 9), "p3"),
        agent_reply(jan(MON, 9, 10)),
        priority(jan(MON, 14), "p1"),  # 5 h used; p1 resolution is 4 h
    ]
    outcome = run(events, now=jan(MON, 15))
    resolution = target(outcome, "resolution")
    assert (resolution.state, resolution.priority, resolution.target_minutes) == ("breached", "p1", 240)
    assert (resolution.due_at, resolution.breached_at) == (jan(MON, 14), jan(MON, 14))
    assert resolution.business_minutes_used == 360  # 09:00-15:00
    # next_update: 4 h 50 used since 09:10, p1 allows 1 h: breached at the change too.
    update = target(outcome, "next_update")
    assert (update.state, update.breached_at) == ("breached", jan(MON, 14))
    # The first response was met under p3 and keeps the target it was met against.
    first = target(outcome, "first_response")
    assert (first.state, first.priority, first.target_minutes) == ("met", "p3", 240)


def test_priority_raised_with_time_left_keeps_the_time_used():
    events = [created(jan(MON, 9), "p3"), agent_reply(jan(MON, 9, 5)), priority(jan(MON, 11), "p2")]
    outcome = run(events, now=jan(MON, 12))
    resolution = target(outcome, "resolution")
    # 120 min used at 11:00 < 480 (p2): due when 480 is reached = Mon 09:00 + 8 h = 17:00.
    assert (resolution.state, resolution.target_minutes, resolution.due_at) == ("running", 480, jan(MON, 17))
    assert resolution.business_minutes_used == 180


def test_priority_raise_breaches_an_unanswered_first_response():
    # p3 first response (4 h) becomes p2 (1 h) at 11:00 with 2 h used: due and breached at 11:00.
    outcome = run([created(jan(MON, 9), "p3"), priority(jan(MON, 11), "p2")], now=jan(MON, 11, 30))
    first = target(outcome, "first_response")
    assert (first.state, first.due_at, first.breached_at) == ("breached", jan(MON, 11), jan(MON, 11))


def test_priority_raise_and_answer_at_the_same_instant_is_on_time():
    events = [created(jan(MON, 9), "p3"), priority(jan(MON, 11), "p2"), agent_reply(jan(MON, 11))]
    first = target(run(events, now=jan(MON, 12)), "first_response")
    assert (first.state, first.due_at) == ("met", jan(MON, 11))


def test_priority_lowered_moves_the_due_time_later():
    events = [
        created(jan(MON, 9), "p2"),  # first response 1 h: due 10:00, breached (no reply)
        priority(jan(MON, 15), "p4"),  # 6 h used; p4 resolution is 40 h
        agent_reply(jan(MON, 16)),
    ]
    outcome = run(events, now=jan(TUE, 9))
    resolution = target(outcome, "resolution")
    # 40 h from Mon 09:00 = five 8-hour days: Fri 23 Jan 17:00.
    assert (resolution.state, resolution.target_minutes, resolution.due_at) == ("running", 2400, jan(FRI, 17))
    first = target(outcome, "first_response")
    # Lowering never undoes a breach: breached at 10:00 under p2; the reply at 16:00 is
    # within p4's 8 h (due Mon 17:00) but the target stays met_late.
    assert (first.state, first.breached_at, first.target_minutes) == ("met_late", jan(MON, 10), 480)
    assert first.due_at == jan(MON, 17)


def test_priority_lowered_after_a_resolution_breach():
    events = [
        created(jan(MON, 9), "p1"),
        agent_reply(jan(MON, 9, 15)),
        priority(jan(MON, 14), "p3"),  # p1's 4 h ran out at 13:00
        status(jan(TUE, 10), "resolved"),
    ]
    resolution = target(run(events, now=jan(TUE, 12)), "resolution")
    # 16 h from Mon 09:00 = Tue 17:00; resolved Tue 10:00, within it, but breached at 13:00.
    assert (resolution.state, resolution.breached_at, resolution.due_at) == (
        "met_late",
        jan(MON, 13),
        jan(TUE, 17),
    )


def test_type_change_uses_the_override():
    sla = policy(overrides=[{"ticket_type": "service_request", "resolution": {"p3": "40h"}}])
    events = [
        created(jan(MON, 9), "p3"),
        agent_reply(jan(MON, 9, 1)),
        type_change(jan(MON, 10), "service_request"),
    ]
    resolution = target(run(events, now=jan(MON, 12), sla=sla), "resolution")
    # 40 h from Mon 09:00 = Fri 17:00.
    assert (resolution.target_minutes, resolution.due_at) == (2400, jan(FRI, 17))


def test_sla_swapped_while_paused_keeps_the_paused_time_out():
    """GLPI regression: swapping the SLA while a ticket waited lost the waiting time."""
    sla_a = policy()  # resolution p3: 16 h
    sla_b = parse_policy({"name": "Fast lane", "targets": {**TARGETS, "resolution": {"p3": "8h"}}})
    events = [
        created(jan(MON, 9), "p3"),
        agent_reply(jan(MON, 9, 5)),
        status(jan(MON, 11), "waiting_on_customer"),  # 120 min used
        status(jan(THU, 9), "in_progress"),  # waited Mon 11:00 -> Thu 09:00 (22 business hours)
    ]
    before_swap = run(events[:3], now=jan(WED, 12), sla=sla_a)
    assert target(before_swap, "resolution").state == "paused"
    assert target(before_swap, "resolution").business_minutes_used == 120
    # The desk swaps the policy on Wednesday, while the ticket waits, and recomputes with B.
    under_b = run(events, now=jan(THU, 12), sla=sla_b)
    resolution = target(under_b, "resolution")
    # 120 + Thu 09:00-12:00 (180) = 300 of 480 min: the 22 h of waiting are excluded.
    assert (resolution.state, resolution.business_minutes_used, resolution.breached) == (
        "running",
        300,
        False,
    )
    assert resolution.due_at == jan(THU, 15)  # 180 min left after 12:00
    # Had the waiting counted, 25 h would exceed B's 8 h: exactly the bug this prevents.


def test_merge_cancels_open_targets():
    events = [created(jan(MON, 9), "p3"), agent_reply(jan(MON, 9, 20)), merged(jan(MON, 11))]
    outcome = run([*events, status(jan(MON, 12), "resolved")], now=jan(FRI, 9))
    assert outcome.merged and not outcome.breached
    first, update, resolution = outcome.targets
    assert first.state == "met"
    assert (update.state, update.business_minutes_used) == ("cancelled", 100)  # 09:20-11:00
    assert (resolution.state, resolution.business_minutes_used, resolution.breached) == (
        "cancelled",
        120,
        False,
    )
    assert resolution.met_at is None  # the resolve after the merge is ignored
    assert outcome.next_deadline is None
    # "merged" as a status works the same way.
    as_status = run([*events[:2], status(jan(MON, 11), "merged")], now=jan(FRI, 9))
    assert [t.state for t in as_status.targets] == ["met", "cancelled", "cancelled"]


def test_merge_after_a_breach_keeps_the_breach():
    outcome = run([created(jan(MON, 9), "p1"), merged(jan(MON, 10))], now=jan(MON, 12))
    first = target(outcome, "first_response")
    # p1 first response was due 09:30; merged at 10:00 unanswered.
    assert (first.state, first.breached, first.breached_at) == ("cancelled", True, jan(MON, 9, 30))


def test_priority_running_24_7():
    sla = policy(always_open_priorities=["p1"])
    # Created Sat 17 Jan 10:00 as p1: the clock runs on the weekend. Resolution 4 h: 14:00.
    outcome = run([created(jan(17, 10), "p1"), agent_reply(jan(17, 10, 20))], now=jan(17, 12), sla=sla)
    assert target(outcome, "resolution").due_at == jan(17, 14)
    assert target(outcome, "resolution").business_minutes_used == 120
    # Raised to p1 on Friday 16 Jan 18:00 after 60 business minutes (16:00-17:00):
    # from 18:00 the clock runs 24/7; 180 min left: due 21:00 the same evening.
    events = [created(jan(16, 16), "p2"), agent_reply(jan(16, 16, 5)), priority(jan(16, 18), "p1")]
    resolution = target(run(events, now=jan(16, 19), sla=sla), "resolution")
    assert (resolution.business_minutes_used, resolution.due_at) == (120, jan(16, 21))


def test_dst_weekends():
    events = [created(utc(2026, 3, 27, 16), "p3"), agent_reply(utc(2026, 3, 27, 16, 5))]
    resolution = target(run(events, now=utc(2026, 3, 30, 8)), "resolution")
    # Fri 27 Mar 16:00-17:00 GMT (1 h); Mon 30 Mar BST 09:00-17:00 = 08:00-16:00 UTC (8 h);
    # Tue 31 Mar 09:00 BST (08:00 UTC) + 7 h = 15:00 UTC.
    assert resolution.due_at == utc(2026, 3, 31, 15)
    events = [created(utc(2026, 10, 23, 15), "p3"), agent_reply(utc(2026, 10, 23, 15, 5))]
    resolution = target(run(events, now=utc(2026, 10, 26, 9)), "resolution")
    # Fri 23 Oct 16:00-17:00 BST = 15:00-16:00 UTC (1 h); Mon 26 Oct GMT 09:00-17:00 (8 h);
    # Tue 27 Oct 09:00 + 7 h = 16:00 UTC.
    assert resolution.due_at == utc(2026, 10, 27, 16)


def test_holidays_in_the_due_time():
    events = [created(utc(2026, 4, 2, 15), "p2"), agent_reply(utc(2026, 4, 2, 15, 1))]
    resolution = target(run(events, now=utc(2026, 4, 2, 16)), "resolution")
    # Thu 2 Apr 16:00-17:00 BST (15:00-16:00 UTC): 1 h; Good Friday closed; the weekend;
    # Mon 6 Apr 09:00 BST (08:00 UTC) + 7 h = 15:00 UTC.
    assert resolution.due_at == utc(2026, 4, 6, 15)


def test_order_of_input_and_clock_skew():
    events = [
        created(jan(MON, 9), "p3"),
        agent_reply(jan(MON, 9, 30)),
        status(jan(MON, 10), "waiting_on_customer"),
        status(jan(TUE, 14), "open"),
        status(jan(WED, 10), "resolved"),
    ]
    expected = run(events, now=jan(FRI, 9))
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    assert run(shuffled, now=jan(FRI, 9)) == expected
    # An event stamped before creation (clock skew) counts as happening at creation.
    skewed = run([created(jan(MON, 9), "p3"), agent_reply(jan(MON, 8, 59))], now=jan(MON, 10))
    first = target(skewed, "first_response")
    assert (first.state, first.met_at, first.business_minutes_used) == ("met", jan(MON, 9), 0)


def test_now_ignores_later_events_and_matters_only_for_open_targets():
    events = [created(jan(MON, 9), "p3"), agent_reply(jan(MON, 9, 30)), status(jan(MON, 12), "resolved")]
    as_of_ten = run(events, now=jan(MON, 10))
    assert target(as_of_ten, "resolution").state == "running"
    assert target(as_of_ten, "resolution").business_minutes_used == 60
    assert run(events, now=jan(FRI, 9)).targets == run(events, now=utc(2026, 6, 1)).targets


def test_degenerate_logs():
    nothing = run([], now=jan(MON, 9))
    assert [t.state for t in nothing.targets] == ["not_applicable"] * 3 and nothing.created_at is None
    no_creation = run([agent_reply(jan(MON, 9))], now=jan(MON, 10))
    assert [t.state for t in no_creation.targets] == ["not_applicable"] * 3
    future = run([created(jan(TUE, 9), "p3")], now=jan(MON, 9))
    assert future.created_at is None
    no_target = run(
        [created(jan(MON, 9), "p3")],
        now=jan(MON, 10),
        sla=parse_policy({"name": "Resolution only", "targets": {"resolution": {"p3": "16h"}}}),
    )
    assert [t.state for t in no_target.targets] == ["not_applicable", "not_applicable", "running"]


def test_events_without_a_value_change_nothing():
    events = [created(jan(MON, 9), "p3"), agent_reply(jan(MON, 9, 5))]
    plain = run(events, now=jan(MON, 12))
    blank = [TicketEvent(jan(MON, 10), "priority"), TicketEvent(jan(MON, 10), "status", status="")]
    assert (
        run([*events, *blank, TicketEvent(jan(MON, 11), "type")], now=jan(MON, 12)).targets == plain.targets
    )


def test_outcome_to_dict():
    outcome = run([created(jan(MON, 9), "p3")], now=jan(MON, 11))
    data = outcome.to_dict("Europe/London")
    assert data["now"] == "2026-01-19T11:00:00Z" and data["created_at"] == "2026-01-19T09:00:00Z"
    first = data["targets"][0]
    assert first == {
        "metric": "first_response",
        "priority": "p3",
        "target_minutes": 240,
        "due_at": "2026-01-19T13:00:00Z",
        "business_minutes_used": 120,
        "state": "running",
        "breached": False,
        "met_at": None,
        "breached_at": None,
        "warn_at": "2026-01-19T12:12:00Z",
        "breaches": 0,
        "due_at_local": "2026-01-19T13:00:00+00:00",
    }
