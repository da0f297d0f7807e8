"""The ticket event log the SLA engine reads: status, priority and type changes and replies."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import NoReturn

EVENT_KINDS = ("created", "status", "priority", "type", "agent_reply", "customer_reply", "merged")

# What each kind carries: required fields, optional fields (the rest must be None).
EVENT_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "created": (frozenset({"priority"}), frozenset({"status", "ticket_type"})),
    "status": (frozenset({"status"}), frozenset()),
    "priority": (frozenset({"priority"}), frozenset()),
    "type": (frozenset({"ticket_type"}), frozenset()),
    "agent_reply": (frozenset(), frozenset()),
    "customer_reply": (frozenset(), frozenset()),
    "merged": (frozenset(), frozenset()),
}


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One change in a ticket's life, at an aware instant.

    * ``created``: the ticket opens with ``status`` (default "new"), ``priority`` and
      ``ticket_type`` (default "incident");
    * ``status`` / ``priority`` / ``type``: the new value;
    * ``agent_reply``: a public reply by staff (first response, next update);
    * ``customer_reply``: a reply by the requester (informational: the desk changes the
      status itself when a reply resumes a paused ticket);
    * ``merged``: this ticket was merged into another one.
    """

    at: dt.datetime
    kind: str
    status: str | None = None
    priority: str | None = None
    ticket_type: str | None = None
    ts: int = field(init=False, repr=False, compare=False)  # ``at`` in epoch seconds, floored

    def __post_init__(self) -> None:
        # Kept lean: the service desk builds hundreds of thousands of these per recompute.
        if self.at.tzinfo is None or self.kind not in EVENT_FIELDS:
            self._invalid()
        _set(self, "ts", math.floor(self.at.timestamp()))

    @classmethod
    def from_epoch(
        cls,
        ts: int,
        kind: str,
        status: str | None = None,
        priority: str | None = None,
        ticket_type: str | None = None,
    ) -> TicketEvent:
        """An event at ``ts`` epoch seconds (UTC), as the service desk reads them in bulk."""
        if kind not in EVENT_FIELDS:
            raise ValueError(f"event kind {kind!r} is not one of {', '.join(EVENT_KINDS)}")
        event = object.__new__(cls)
        _set(event, "at", dt.datetime.fromtimestamp(ts, dt.UTC))
        _set(event, "kind", kind)
        _set(event, "status", status)
        _set(event, "priority", priority)
        _set(event, "ticket_type", ticket_type)
        _set(event, "ts", ts)
        return event

    def _invalid(self) -> NoReturn:
        if self.at.tzinfo is None:
            raise ValueError(f"event at {self.at.isoformat()}: the time has no time zone")
        raise ValueError(f"event kind {self.kind!r} is not one of {', '.join(EVENT_KINDS)}")


_set = object.__setattr__


def created(
    at: dt.datetime, priority: str, status: str = "new", ticket_type: str = "incident"
) -> TicketEvent:
    return TicketEvent(at, "created", status=status, priority=priority, ticket_type=ticket_type)


def status(at: dt.datetime, value: str) -> TicketEvent:
    return TicketEvent(at, "status", status=value)


def priority(at: dt.datetime, value: str) -> TicketEvent:
    return TicketEvent(at, "priority", priority=value)


def ticket_type(at: dt.datetime, value: str) -> TicketEvent:
    return TicketEvent(at, "type", ticket_type=value)


def agent_reply(at: dt.datetime) -> TicketEvent:
    return TicketEvent(at, "agent_reply")


def customer_reply(at: dt.datetime) -> TicketEvent:
    return TicketEvent(at, "customer_reply")


def merged(at: dt.datetime) -> TicketEvent:
    return TicketEvent(at, "merged")
