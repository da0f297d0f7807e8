"""Business calendars: hours, 24:00, holidays, daylight saving, long spans."""

from __future__ import annotations

import datetime as dt

import pytest

from steward.servicedesk.sla import BusinessCalendar, SlaConfigError
from steward.servicedesk.sla.calendar import ALWAYS_OPEN

from .helpers import OFFICE, calendar, utc

HOUR = 3600


def between(cal: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> float:
    return cal.business_seconds_between(start, end) / HOUR


def test_split_day_and_weekend():
    cal = calendar({"mon": ["08:00-12:30", "13:30-17:30"], "tue-fri": ["08:00-17:30"]})
    # Mon 19 Jan 2026 (GMT): 08:00-12:30 is 4.5 h, lunch closed, 13:30-17:30 is 4 h.
    assert between(cal, utc(2026, 1, 19, 7), utc(2026, 1, 19, 20)) == 8.5
    # Fri 23 Jan 17:00 -> Mon 26 Jan 09:00: Fri 17:00-17:30 0.5 h + Mon 08:00-09:00 1 h.
    assert between(cal, utc(2026, 1, 23, 17), utc(2026, 1, 26, 9)) == 1.5
    # 12:00 + 1 business hour: 12:00-12:30 (0.5 h), closed for lunch, 13:30-14:00 (0.5 h).
    assert cal.add_business_seconds(utc(2026, 1, 19, 12), HOUR) == utc(2026, 1, 19, 14)
    assert cal.is_open(utc(2026, 1, 19, 12, 29)) and not cal.is_open(utc(2026, 1, 19, 12, 30))
    assert cal.next_open(utc(2026, 1, 19, 12, 45)) == utc(2026, 1, 19, 13, 30)
    # Saturday 24 Jan -> next opening Monday 26 Jan 08:00.
    assert cal.next_open(utc(2026, 1, 24, 10)) == utc(2026, 1, 26, 8)
    assert cal.next_open(utc(2026, 1, 26, 8, 30)) == utc(2026, 1, 26, 8, 30)  # open: itself


def test_adding_lands_on_the_earliest_instant():
    # 8 h from Mon 09:00 ends exactly at Mon 17:00 (close), not Tue 09:00.
    assert OFFICE.add_business_seconds(utc(2026, 1, 19, 9), 8 * HOUR) == utc(2026, 1, 19, 17)
    # One more second must wait for Tue 09:00:00 and then run 1 s.
    assert OFFICE.add_business_seconds(utc(2026, 1, 19, 9), 8 * HOUR + 1) == utc(2026, 1, 20, 9, 0, 1)
    # Zero from a closed instant is the instant itself.
    assert OFFICE.add_business_seconds(utc(2026, 1, 17, 12), 0) == utc(2026, 1, 17, 12)


def test_period_ending_at_midnight():
    cal = calendar({"thu": ["09:00-17:00"], "fri": ["16:00-24:00"]})
    # Fri 16 Jan 2026 16:00-24:00 is 8 h, ending at Sat 17 Jan 00:00.
    assert between(cal, utc(2026, 1, 16, 15), utc(2026, 1, 17, 12)) == 8
    assert cal.add_business_seconds(utc(2026, 1, 16, 16), 8 * HOUR) == utc(2026, 1, 17)
    assert cal.is_open(utc(2026, 1, 16, 23, 59, 59)) and not cal.is_open(utc(2026, 1, 17))
    # 8 h + 1 s: Friday's 8 h, then next Thursday 22 Jan 09:00 + 1 s.
    assert cal.add_business_seconds(utc(2026, 1, 16, 16), 8 * HOUR + 1) == utc(2026, 1, 22, 9, 0, 1)


def test_period_running_into_the_next_day_continues_seamlessly():
    cal = calendar({"fri": ["22:00-24:00"], "sat": ["00:00-06:00"]})
    # Fri 23:00 + 2 h: 23:00-24:00 (1 h) then Sat 00:00-01:00.
    assert cal.add_business_seconds(utc(2026, 1, 16, 23), 2 * HOUR) == utc(2026, 1, 17, 1)
    # Fri 22:00 -> Sat 06:00 is one 8-hour stretch.
    assert between(cal, utc(2026, 1, 16, 20), utc(2026, 1, 17, 8)) == 8


def test_office_hours_keep_their_length_across_spring_forward():
    # Fri 27 Mar 2026 is GMT (UTC+0); Mon 30 Mar is BST (UTC+1): 09:00 BST = 08:00 UTC.
    # Fri 16:00-17:00 (1 h) + Mon 09:00-11:00 BST = 08:00-10:00 UTC (2 h) = 3 h.
    assert between(OFFICE, utc(2026, 3, 27, 16), utc(2026, 3, 30, 10)) == 3
    assert OFFICE.add_business_seconds(utc(2026, 3, 27, 16), 3 * HOUR) == utc(2026, 3, 30, 10)
    assert OFFICE.next_open(utc(2026, 3, 28, 12)) == utc(2026, 3, 30, 8)


def test_office_hours_keep_their_length_across_fall_back():
    # Fri 23 Oct 2026 is BST: 09:00-17:00 BST = 08:00-16:00 UTC. Mon 26 Oct is GMT.
    # Fri 15:00-16:00 UTC (1 h) + Mon 09:00-10:00 UTC (1 h) = 2 h.
    assert between(OFFICE, utc(2026, 10, 23, 15), utc(2026, 10, 26, 10)) == 2
    assert OFFICE.add_business_seconds(utc(2026, 10, 23, 15), 2 * HOUR) == utc(2026, 10, 26, 10)


def test_whole_day_is_23_hours_on_spring_forward_and_25_on_fall_back():
    sundays = calendar({"sun": ["00:00-24:00"]})
    # Sun 29 Mar 2026 London: 00:00 GMT (00:00 UTC) to 24:00 BST (23:00 UTC) = 23 h.
    assert between(sundays, utc(2026, 3, 28), utc(2026, 3, 31)) == 23
    assert sundays.add_business_seconds(utc(2026, 3, 28), 23 * HOUR) == utc(2026, 3, 29, 23)
    # Sun 25 Oct 2026: 00:00 BST (24 Oct 23:00 UTC) to 24:00 GMT (25 Oct 24:00 UTC) = 25 h.
    assert between(sundays, utc(2026, 10, 24), utc(2026, 10, 27)) == 25
    assert sundays.next_open(utc(2026, 10, 24, 12)) == utc(2026, 10, 24, 23)


def test_period_across_the_changed_hour_is_real_elapsed_time():
    night = calendar({"sun": ["01:00-03:00"]})
    # 29 Mar: clocks jump 01:00 GMT -> 02:00 BST. 01:00 GMT = 01:00 UTC to 03:00 BST =
    # 02:00 UTC: 1 real hour.
    assert between(night, utc(2026, 3, 28), utc(2026, 3, 30)) == 1
    assert night.add_business_seconds(utc(2026, 3, 28, 12), 1800) == utc(2026, 3, 29, 1, 30)
    # 25 Oct: clocks fall back 02:00 BST -> 01:00 GMT. From the first 01:00 (BST, 00:00 UTC)
    # to 03:00 GMT (03:00 UTC): 3 real hours.
    assert between(night, utc(2026, 10, 24), utc(2026, 10, 26)) == 3
    assert night.add_business_seconds(utc(2026, 10, 24, 12), 1800) == utc(2026, 10, 25, 0, 30)
    # An ordinary Sunday: 2 h.
    assert between(night, utc(2026, 5, 2), utc(2026, 5, 4)) == 2


def test_period_starting_inside_the_skipped_hour_starts_at_the_change():
    cal = calendar({"sun": ["01:30-02:30"]})
    # 29 Mar: 01:30 does not exist; the clock first shows >= 01:30 at the jump (01:00 UTC,
    # shown as 02:00 BST); 02:30 BST = 01:30 UTC. Half an hour.
    assert between(cal, utc(2026, 3, 28), utc(2026, 3, 30)) == 0.5
    assert cal.next_open(utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    # 25 Oct: 01:30 first occurs at 01:30 BST (00:30 UTC); 02:30 GMT = 02:30 UTC. 2 h.
    assert between(cal, utc(2026, 10, 24), utc(2026, 10, 26)) == 2


def test_new_york_dst():
    cal = calendar({"sun": ["00:00-24:00"]}, timezone="America/New_York")
    # Sun 8 Mar 2026: 00:00 EST (05:00 UTC) to 24:00 EDT (9 Mar 04:00 UTC) = 23 h.
    assert between(cal, utc(2026, 3, 7), utc(2026, 3, 10)) == 23
    assert cal.next_open(utc(2026, 3, 7, 12)) == utc(2026, 3, 8, 5)
    # Sun 1 Nov 2026: 00:00 EDT (04:00 UTC) to 24:00 EST (2 Nov 05:00 UTC) = 25 h.
    assert between(cal, utc(2026, 10, 31), utc(2026, 11, 3)) == 25
    skipped = calendar({"sun": ["02:00-03:00"], "mon": ["09:00-10:00"]}, timezone="America/New_York")
    # 02:00-03:00 never happens on 8 Mar (02:00 EST jumps to 03:00 EDT): no business time.
    assert between(skipped, utc(2026, 3, 7), utc(2026, 3, 9)) == 0
    # Next opening: Mon 9 Mar 09:00 EDT = 13:00 UTC.
    assert skipped.next_open(utc(2026, 3, 7)) == utc(2026, 3, 9, 13)


def test_single_and_recurring_holidays():
    # OFFICE: Good Friday 2026-04-03 (single), Christmas (recurring since 2025).
    # Thu 2 Apr 2026 16:00 BST (15:00 UTC) -> Mon 6 Apr 10:00 BST (09:00 UTC):
    # Thu 16:00-17:00 (1 h) + Fri closed + Mon 09:00-10:00 (1 h) = 2 h.
    assert between(OFFICE, utc(2026, 4, 2, 15), utc(2026, 4, 6, 9)) == 2
    # Thu 24 Dec 2026 16:00 -> Mon 28 Dec 10:00 (GMT): 1 h + Fri 25 closed + 1 h = 2 h.
    assert between(OFFICE, utc(2026, 12, 24, 16), utc(2026, 12, 28, 10)) == 2
    assert OFFICE.add_business_seconds(utc(2026, 12, 24, 16), 2 * HOUR) == utc(2026, 12, 28, 10)
    assert OFFICE.is_holiday(dt.date(2031, 12, 25))
    assert not OFFICE.is_holiday(dt.date(2027, 4, 3))  # the single date does not repeat
    # Good Friday 2027 (26 Mar) is an ordinary working day here: 8 h.
    assert between(OFFICE, utc(2027, 3, 26), utc(2027, 3, 27)) == 8


def test_recurring_29_february_only_in_leap_years():
    cal = calendar({"mon-sun": ["09:00-17:00"]}, holidays=[{"date": "2024-02-29", "recurring": True}])
    assert cal.is_holiday(dt.date(2028, 2, 29))
    assert between(cal, utc(2028, 2, 29), utc(2028, 3, 1)) == 0
    assert between(cal, utc(2027, 2, 28), utc(2027, 3, 2)) == 16  # 28 Feb + 1 Mar


def test_a_whole_year_in_one_call():
    # 2026 starts on a Thursday: 52 weeks + 1 day = 261 weekdays; minus Good Friday and
    # Christmas (a Friday) = 259 days x 8 h = 2072 h. DST does not change 09:00-17:00.
    assert between(OFFICE, utc(2026, 1, 1), utc(2027, 1, 1)) == 2072
    # The 2072nd hour ends on Thu 31 Dec 2026 at 17:00 GMT.
    assert OFFICE.add_business_seconds(utc(2026, 1, 1), 2072 * HOUR) == utc(2026, 12, 31, 17)


def test_always_open_ignores_hours_and_zone():
    assert ALWAYS_OPEN.business_seconds_between(utc(2026, 3, 28), utc(2026, 3, 30)) == 48 * HOUR
    assert ALWAYS_OPEN.add_business_seconds(utc(2026, 12, 25), 90) == utc(2026, 12, 25, 0, 1, 30)
    assert ALWAYS_OPEN.is_open(utc(2026, 12, 25, 3))


def test_reversed_or_empty_span_is_zero():
    assert OFFICE.business_seconds_between(utc(2026, 1, 20, 12), utc(2026, 1, 19, 12)) == 0
    assert OFFICE.business_seconds_between(utc(2026, 1, 20, 12), utc(2026, 1, 20, 12)) == 0


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        OFFICE.business_seconds_between(dt.datetime(2026, 1, 1), utc(2026, 1, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"timezone": "../../etc/passwd"}, "not an IANA time zone name"),
        ({"timezone": "UTC"}, "no opening hours"),
        ({"weekly": (((600, 540),),) + ((),) * 6}, "0 <= start < end <= 1440"),
        ({"weekly": (((0, 600), (540, 700)),) + ((),) * 6}, "overlap"),
        ({"weekly": (((0, 60),),) * 6}, "expected 7 days"),
    ],
)
def test_invalid_calendars(kwargs, message):
    with pytest.raises(SlaConfigError, match=message):
        BusinessCalendar(**kwargs)
