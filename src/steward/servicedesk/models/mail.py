"""Mailboxes the desk reads, every message received (raw kept) and every message sent."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from steward.core.audit_model import AuditedModel
from steward.core.models import Client, Provider
from steward.servicedesk.models.config import Queue
from steward.servicedesk.models.tickets import Reply, Ticket


class Mailbox(AuditedModel):
    """A support address: polled over IMAP and/or fed by the SMTP listener.

    A client mailbox puts unknown senders' mail on that client; a shared one (no client)
    maps senders to clients by contact address or e-mail domain.
    """

    audit_redact = frozenset({"imap_password_encrypted"})

    class Security(models.TextChoices):
        SSL = "ssl", "TLS (IMAPS)"
        STARTTLS = "starttls", "STARTTLS"
        NONE = "none", "None (local testing only)"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="mailboxes")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    address = models.EmailField(unique=True)
    queue = models.ForeignKey(Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=8, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(max_length=255, blank=True)
    imap_password_encrypted = models.TextField(blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    enabled = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, self.client_id


class InboundMail(models.Model):
    """One received message. The raw bytes are always kept in the blob store."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not processed yet"
        NEW_TICKET = "new_ticket", "Opened a ticket"
        FOLLOW_UP = "follow_up", "Added to a ticket"
        AUTO_REPLY = "auto_reply", "Ignored: auto-reply"
        BOUNCE = "bounce", "Ignored: bounce"
        LOOP = "loop", "Ignored: mail loop"
        DUPLICATE = "duplicate", "Ignored: already received"
        REVIEW = "review", "Waiting for review"
        DISCARDED = "discarded", "Discarded by staff"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    raw_sha256 = models.CharField(max_length=64)
    raw_size = models.PositiveBigIntegerField()
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reply = models.ForeignKey(Reply, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["provider", "outcome"], name="inbound_mail_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"


class OutboundMail(models.Model):
    """A message the desk sent (or will retry); its Message-ID threads the customer's answer."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    reply = models.ForeignKey(Reply, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message_id = models.CharField(max_length=255, unique=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    raw_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.subject}"
