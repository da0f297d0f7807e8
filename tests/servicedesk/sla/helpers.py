"""Shared builders for the SLA engine tests (pure Python: no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.servicedesk.sla import BusinessCalendar, SlaPolicy, parse_calendar, parse_policy


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def calendar(hours: dict[str, Any], timezone: str = "Europe/London", **extra: Any) -> BusinessCalendar:
    return parse_calendar({"name": "test", "timezone": timezone, "hours": hours, **extra})


# Monday to Friday 09:00-17:00 in London: 8 business hours a day. 2026-01-19 is a Monday;
# in January London is on GMT, so local time equals UTC.
OFFICE = calendar(
    {"mon-fri": ["09:00-17:00"]},
    holidays=[
        {"date": "2026-04-03", "name": "Good Friday"},
        {"date": "2025-12-25", "name": "Christmas Day", "recurring": True},
    ],
)

TARGETS = {
    "first_response": {"p1": "30m", "p2": "1h", "p3": "4h", "p4": "8h"},
    "next_update": {"p1": "1h", "p2": "4h", "p3": "8h", "p4": "16h"},
    "resolution": {"p1": "4h", "p2": "8h", "p3": "16h", "p4": "40h"},
}


def policy(**extra: Any) -> SlaPolicy:
    return parse_policy({"name": "Standard", "targets": TARGETS, "warn_at": "80%", **extra})


STANDARD = policy()
