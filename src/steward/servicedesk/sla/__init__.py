"""The SLA engine: business calendars, SLA policies and the clock (pure Python, no Django).

``compute(events, policy, calendar, now)`` is the entry point (``compute_rows`` the same over
plain tuples, for bulk recomputes); ``parse_calendar``/``parse_policy`` validate the stored
dict shapes. See docs/sla.md.
"""

from steward.servicedesk.sla.calendar import ALWAYS_OPEN, BusinessCalendar, Holiday
from steward.servicedesk.sla.engine import STATES, EventRow, SlaOutcome, TargetResult, compute, compute_rows
from steward.servicedesk.sla.errors import SlaConfigError
from steward.servicedesk.sla.events import EVENT_KINDS, TicketEvent
from steward.servicedesk.sla.loader import (
    calendar_to_dict,
    load_calendar_yaml,
    load_events_jsonl,
    load_policy_yaml,
    parse_calendar,
    parse_event,
    parse_policy,
    policy_to_dict,
)
from steward.servicedesk.sla.policy import (
    METRICS,
    PRIORITIES,
    TICKET_TYPES,
    SlaPolicy,
    choose_calendar,
)

__all__ = [
    "ALWAYS_OPEN",
    "EVENT_KINDS",
    "METRICS",
    "PRIORITIES",
    "STATES",
    "TICKET_TYPES",
    "BusinessCalendar",
    "EventRow",
    "Holiday",
    "SlaConfigError",
    "SlaOutcome",
    "SlaPolicy",
    "TargetResult",
    "TicketEvent",
    "calendar_to_dict",
    "choose_calendar",
    "compute",
    "compute_rows",
    "load_calendar_yaml",
    "load_events_jsonl",
    "load_policy_yaml",
    "parse_calendar",
    "parse_event",
    "parse_policy",
    "policy_to_dict",
]
