"""Service-desk background jobs: notifications, mailbox polling, SLA warnings and escalations.

Notification jobs are enqueued after the transaction that caused them commits, so a rolled
back change never mails anyone. Every job is safe to run twice: alerts are recorded once per
target and due time, and mailbox polling marks a message seen only after it is recorded.
"""

from __future__ import annotations

import logging

from huey import crontab

from steward.jobs import job, periodic_job
from steward.servicedesk.services import mail_in, notifications, sla

log = logging.getLogger(__name__)


@job(name="servicedesk_notify_created")
def notify_ticket_created(ticket_id: int) -> None:
    notifications.ticket_created(ticket_id)


@job(name="servicedesk_notify_reply")
def notify_reply(reply_id: int) -> None:
    notifications.reply_posted(reply_id)


@job(name="servicedesk_notify_resolved")
def notify_ticket_resolved(ticket_id: int) -> None:
    notifications.ticket_resolved(ticket_id)


@job(name="servicedesk_notify_sla")
def notify_sla_alert(ticket_id: int, metric: str, kind: str) -> None:
    notifications.sla_alert(ticket_id, metric, kind)


@periodic_job(crontab(minute="*"), name="servicedesk_sla_sweep")
def sla_sweep() -> int:
    """Every minute: targets that became due or breached with time; announce each once."""
    announced = sla.sweep()
    for item in announced:
        notifications.sla_alert(item.ticket_id, item.metric, item.kind)
    return len(announced)


@periodic_job(crontab(minute="*"), name="servicedesk_poll_mailboxes")
def poll_mailboxes() -> int:
    """Every minute: fetch new mail of each enabled IMAP mailbox (one failing doesn't stop the rest)."""
    from steward.servicedesk.models import Mailbox

    received = 0
    for mailbox in Mailbox.objects.filter(enabled=True).exclude(imap_host=""):
        try:
            received += mail_in.poll_mailbox(mailbox)
        except Exception as exc:  # recorded on the mailbox for the admin page and `steward check`
            log.warning("mailbox %s: %s", mailbox.address, exc)
    return received


@periodic_job(crontab(minute="*/2"), name="servicedesk_retry_mail")
def retry_mail() -> int:
    """Every 2 minutes: resend mail that failed, with growing pauses."""
    return notifications.retry_failed()
