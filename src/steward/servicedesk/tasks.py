"""Service-desk background jobs: notifications, mailbox polling, SLA warnings and escalations."""

from __future__ import annotations

from steward.jobs import job


@job(name="servicedesk_notify_created")
def notify_ticket_created(ticket_id: int) -> None:
    return None


@job(name="servicedesk_notify_reply")
def notify_reply(reply_id: int) -> None:
    return None


@job(name="servicedesk_notify_resolved")
def notify_ticket_resolved(ticket_id: int) -> None:
    return None
