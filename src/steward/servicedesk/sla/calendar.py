"""Business calendars: when an SLA clock may run.

**Business time is real elapsed seconds while the calendar is open.** Opening hours are
local wall-clock periods in the calendar's IANA zone. On each local date a period becomes
one interval of real time, from the first instant the local clock shows its start to the
first instant it shows its end ("24:00" is the next midnight). Across daylight-saving
changes this gives:

* spring forward (London, 2026-03-29, 01:00 GMT → 02:00 BST): a period spanning the
  skipped hour is an hour shorter (00:00-03:00 lasts 2 h, 00:00-24:00 lasts 23 h); a period
  starting or ending inside the skipped hour starts or ends at the transition;
* fall back (London, 2026-10-25, 02:00 BST → 01:00 GMT): a period spanning the repeated
  hour is an hour longer (00:00-03:00 lasts 4 h, 00:00-24:00 lasts 25 h); a period
  starting or ending inside the repeated hour uses its first occurrence.

Ordinary office hours (08:00-17:30) keep their length; only their UTC instants move.

A holiday closes the whole local date; a recurring holiday closes that month/day every year
(29 February only in leap years). ``always_open`` (24/7) ignores hours and holidays.

Internally times are integers: seconds since the Unix epoch (sub-second parts are dropped,
so SLA times have one-second resolution). Open intervals are memoised per UTC day (from the
three local dates that can overlap it) and summed into prefix sums per 64-day chunk, so a
span of weeks costs a few dictionary lookups and one bisect: no per-minute loop, no walk
over the days in between.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from steward.servicedesk.sla.errors import SlaConfigError

DAY = 86_400
MINUTES_PER_DAY = 1440
_CHUNK_SHIFT = 6
_CHUNK = 1 << _CHUNK_SHIFT  # days per prefix-sum chunk
_CHUNK_MASK = _CHUNK - 1
# add_business_seconds gives up after this many chunks (~105 years) without enough business
# time; only a calendar whose holidays cover every open day could get there.
_MAX_CHUNKS = 600
_CACHE_LIMIT = 200_000  # memoised days per calendar before the caches start over
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)  # naive on purpose: local wall-clock arithmetic
_ZONE_KEY = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")

Period = tuple[int, int]  # (start, end) minutes from local midnight; end may be 1440
Interval = tuple[int, int]  # (start, end) epoch seconds, end exclusive
NO_HOURS: tuple[tuple[Period, ...], ...] = ((),) * 7


@dataclass(frozen=True, slots=True)
class Holiday:
    """A closed local date; ``recurring`` closes the same month/day every year."""

    date: dt.date
    name: str = ""
    recurring: bool = False


def to_epoch(at: dt.datetime) -> int:
    """Whole seconds since the epoch (floored) of an aware datetime."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone: SLA times must be timezone-aware")
    return math.floor(at.timestamp())


def from_epoch(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def load_zone(key: str) -> ZoneInfo:
    """The IANA zone ``key``, or SlaConfigError."""
    if not isinstance(key, str) or not _ZONE_KEY.match(key):
        raise SlaConfigError(f"timezone: {key!r} is not an IANA time zone name such as 'Europe/London'")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SlaConfigError(
            f"timezone: unknown time zone {key!r} (use an IANA name such as 'Europe/London')"
        ) from None


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours in an IANA zone, with holidays, or 24/7.

    ``weekly[0]`` is Monday … ``weekly[6]`` Sunday: each a sorted tuple of non-overlapping
    ``(start, end)`` periods in minutes from local midnight, ``0 <= start < end <= 1440``.
    Memoised lookups live on the instance (never compared, hashed or shown).
    """

    timezone: str = "UTC"
    weekly: tuple[tuple[Period, ...], ...] = NO_HOURS
    holidays: tuple[Holiday, ...] = ()
    always_open: bool = False
    name: str = ""
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _single: frozenset[int] = field(init=False, repr=False, compare=False)
    _recurring: frozenset[tuple[int, int]] = field(init=False, repr=False, compare=False)
    _local: dict[int, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)
    _days: dict[int, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)
    _chunks: dict[int, list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        init = object.__setattr__
        init(self, "_zone", load_zone(self.timezone))
        weekly = tuple(tuple((int(s), int(e)) for s, e in day) for day in self.weekly)
        if len(weekly) != 7:
            raise SlaConfigError(f"weekly: expected 7 days (Monday first), got {len(weekly)}")
        for index, periods in enumerate(weekly):
            previous_end = -1
            for start, end in periods:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise SlaConfigError(
                        f"weekly[{index}]: period {start}-{end} must satisfy 0 <= start < end <= 1440"
                    )
                if start < previous_end:
                    raise SlaConfigError(f"weekly[{index}]: periods overlap or are not sorted")
                previous_end = end
        if not self.always_open and not any(weekly):
            raise SlaConfigError("hours: the calendar has no opening hours (or set always_open: true)")
        init(self, "weekly", weekly)
        init(self, "holidays", tuple(self.holidays))
        init(self, "_single", frozenset(_day_number(h.date) for h in self.holidays if not h.recurring))
        init(self, "_recurring", frozenset((h.date.month, h.date.day) for h in self.holidays if h.recurring))
        init(self, "_local", {})
        init(self, "_days", {})
        init(self, "_chunks", {})

    # --- public API on datetimes ------------------------------------------------------

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Business seconds in [start, end); 0 when end <= start."""
        return self.business_seconds_between_ts(to_epoch(start), to_epoch(end))

    def add_business_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The earliest instant (UTC) at which ``seconds`` business seconds have passed since start."""
        return from_epoch(self.add_business_seconds_ts(to_epoch(start), seconds))

    def is_open(self, at: dt.datetime) -> bool:
        ts = to_epoch(at)
        return self.always_open or any(lo <= ts < hi for lo, hi in self._day(ts // DAY))

    def next_open(self, at: dt.datetime) -> dt.datetime:
        """``at`` itself when open, else the next opening (UTC)."""
        # One business second after ``at`` ends the first open second at or after it.
        return from_epoch(self.add_business_seconds_ts(to_epoch(at), 1) - 1)

    def is_holiday(self, day: dt.date) -> bool:
        return _day_number(day) in self._single or (day.month, day.day) in self._recurring

    # --- the same on epoch seconds (what the engine calls) -----------------------------

    def business_seconds_between_ts(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        if self.always_open:
            return b - a
        da = a // DAY
        db = b // DAY
        days = self._days
        first = days.get(da)
        if first is None:
            first = self._day(da)
        if da == db:
            return _overlap(first, a, b)
        last = days.get(db)
        if last is None:
            last = self._day(db)
        total = _overlap(first, a, b) + _overlap(last, a, b)
        if db - da > 1:
            total += self._full_days(da + 1, db)
        return total

    def add_business_seconds_ts(self, a: int, seconds: int) -> int:
        if seconds <= 0:
            return a
        if self.always_open:
            return a + seconds
        left = seconds
        day = a // DAY
        intervals = self._days.get(day)
        if intervals is None:
            intervals = self._day(day)
        for lo, hi in intervals:
            if hi <= a:
                continue
            if lo < a:
                lo = a
            if left <= hi - lo:
                return lo + left
            left -= hi - lo
        # Whole days after the first: find the day that completes ``left`` in the prefix sums.
        day += 1
        chunk = day >> _CHUNK_SHIFT
        first = day & _CHUNK_MASK
        prefix = self._chunks.get(chunk)
        if prefix is None:
            prefix = self._chunk(chunk)
        base = prefix[first]
        walked = 0
        while prefix[_CHUNK] - base < left:
            left -= prefix[_CHUNK] - base
            chunk += 1
            first = base = 0
            prefix = self._chunk(chunk)
            walked += 1
            if walked > _MAX_CHUNKS:
                raise SlaConfigError(
                    f"calendar {self.name or self.timezone!r}: not enough business hours in 100 years"
                )
        index = bisect_left(prefix, base + left, first + 1)
        left -= prefix[index - 1] - base
        day = (chunk << _CHUNK_SHIFT) + index - 1
        intervals = self._days.get(day)
        if intervals is None:
            intervals = self._day(day)
        for lo, hi in intervals:
            if left <= hi - lo:
                return lo + left
            left -= hi - lo
        raise AssertionError("prefix sums and day intervals disagree")  # pragma: no cover

    # --- memoised day tables ----------------------------------------------------------

    def _day(self, day: int) -> tuple[Interval, ...]:
        """Open intervals inside UTC day ``day`` (days since the epoch), sorted, merged."""
        intervals = self._days.get(day)
        if intervals is None:
            low, high = day * DAY, (day + 1) * DAY
            clipped: list[Interval] = []
            for local_day in (day - 1, day, day + 1):
                for lo, hi in self._local_day(local_day):
                    lo, hi = max(lo, low), min(hi, high)
                    if lo < hi:
                        if clipped and lo <= clipped[-1][1]:
                            clipped[-1] = (clipped[-1][0], max(hi, clipped[-1][1]))
                        else:
                            clipped.append((lo, hi))
            intervals = tuple(clipped)
            if len(self._days) >= _CACHE_LIMIT:
                self._days.clear()
                self._chunks.clear()
            self._days[day] = intervals
        return intervals

    def _local_day(self, local_day: int) -> tuple[Interval, ...]:
        """Open intervals (epoch seconds) of a local date, given as days since 1970-01-01."""
        intervals = self._local.get(local_day)
        if intervals is None:
            date = dt.date.fromordinal(local_day + _EPOCH_ORDINAL)
            if local_day in self._single or (date.month, date.day) in self._recurring:
                intervals = ()
            else:
                pairs = (
                    (self._wall_to_epoch(local_day, start * 60), self._wall_to_epoch(local_day, end * 60))
                    for start, end in self.weekly[date.weekday()]
                )
                intervals = tuple((lo, hi) for lo, hi in pairs if lo < hi)
            if len(self._local) >= _CACHE_LIMIT:
                self._local.clear()
            self._local[local_day] = intervals
        return intervals

    def _wall_to_epoch(self, local_day: int, second: int) -> int:
        """The first instant the local clock shows ``second`` past midnight of ``local_day``."""
        wall = (_EPOCH_NAIVE + dt.timedelta(days=local_day, seconds=second)).replace(tzinfo=self._zone)
        earlier = int(wall.timestamp())  # fold=0: first occurrence of a repeated time
        later = int(wall.replace(fold=1).timestamp())
        if earlier <= later:
            return earlier
        # ``wall`` was skipped by a spring-forward change at an instant in (later, earlier]:
        # that transition is the first instant the clock shows ``wall`` or more.
        after = self._offset(earlier)
        while earlier - later > 1:
            middle = (earlier + later) // 2
            if self._offset(middle) == after:
                earlier = middle
            else:
                later = middle
        return earlier

    def _offset(self, ts: int) -> dt.timedelta | None:
        return dt.datetime.fromtimestamp(ts, self._zone).utcoffset()

    def _chunk(self, chunk: int) -> list[int]:
        """Prefix sums of business seconds over the 64 UTC days of ``chunk`` (65 entries)."""
        prefix = self._chunks.get(chunk)
        if prefix is None:
            prefix = [0]
            total = 0
            for day in range(chunk << _CHUNK_SHIFT, (chunk + 1) << _CHUNK_SHIFT):
                for lo, hi in self._day(day):
                    total += hi - lo
                prefix.append(total)
            self._chunks[chunk] = prefix
        return prefix

    def _full_days(self, first: int, stop: int) -> int:
        """Business seconds in the whole UTC days first … stop-1."""
        chunk, last_chunk = first >> _CHUNK_SHIFT, stop >> _CHUNK_SHIFT
        prefix = self._chunks.get(chunk)
        if prefix is None:
            prefix = self._chunk(chunk)
        if chunk == last_chunk:
            return prefix[stop & _CHUNK_MASK] - prefix[first & _CHUNK_MASK]
        total = prefix[_CHUNK] - prefix[first & _CHUNK_MASK]
        for middle in range(chunk + 1, last_chunk):
            total += self._chunk(middle)[_CHUNK]
        return total + self._chunk(last_chunk)[stop & _CHUNK_MASK]


def _overlap(intervals: tuple[Interval, ...], a: int, b: int) -> int:
    total = 0
    for lo, hi in intervals:
        if lo < a:
            lo = a
        if hi > b:
            hi = b
        if hi > lo:
            total += hi - lo
    return total


def _day_number(day: dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


ALWAYS_OPEN = BusinessCalendar(timezone="UTC", always_open=True, name="24/7")
"""The calendar of priorities an SLA runs 24/7 (``always_open_priorities``)."""
