"""Apply the SLA engine to tickets (placeholder until the engine lands)."""

from __future__ import annotations

from steward.servicedesk.models import Ticket


def refresh(ticket: Ticket) -> None:
    return None
