"""Tickets, their event log, replies, attachments, links, time entries and CSAT."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from steward.core.audit_model import AuditedModel
from steward.core.models import Client, Contact, Site, User
from steward.core.scoping import TenantOwned
from steward.devices.models import Device
from steward.servicedesk.models.config import Queue, SlaPolicy, Team, TicketTag, WorkType


class TicketType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"
    PROACTIVE = "proactive", "Proactive maintenance"
    PROJECT_TASK = "project_task", "Project task"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party", "Waiting on third party"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    MERGED = "merged", "Merged"


OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.OPEN,
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_ON_CUSTOMER,
        TicketStatus.WAITING_ON_THIRD_PARTY,
    }
)
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.MERGED})


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.TextChoices):
    P1 = "p1", "P1 critical"
    P2 = "p2", "P2 high"
    P3 = "p3", "P3 medium"
    P4 = "p4", "P4 low"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Portal"
    WEB = "web", "Staff"
    API = "api", "API"
    PHONE = "phone", "Phone"
    PROACTIVE = "proactive", "Proactive"


class Ticket(TenantOwned, AuditedModel):
    """One piece of work for a client. Its number is its primary key, shown as ``T-<id>``."""

    audit_exclude = frozenset(
        {
            "created_at",
            "updated_at",
            "search_public",
            "search_internal",
            "sla_state",
            "sla_due_at",
            "sla_warn_at",
            "sla_breached",
            "sla_paused",
            "sla_computed_at",
            "last_customer_activity_at",
            "last_agent_update_at",
        }
    )

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tickets")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    subject = models.CharField(max_length=255)
    ticket_type = models.CharField(max_length=20, choices=TicketType.choices, default=TicketType.INCIDENT)
    status = models.CharField(max_length=24, choices=TicketStatus.choices, default=TicketStatus.NEW)
    impact = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    urgency = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    assignee = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    requester_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    requester_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="requested_tickets"
    )
    requester_email = models.EmailField(blank=True)
    requester_name = models.CharField(max_length=200, blank=True)
    cc_emails = models.JSONField(default=list, blank=True)
    watchers = models.ManyToManyField(User, blank=True, related_name="watched_tickets")
    tags = models.ManyToManyField(TicketTag, blank=True, related_name="tickets")
    devices = models.ManyToManyField(Device, blank=True, related_name="tickets")
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set by a contract or by hand; empty: the client's or provider's default applies.",
    )
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_customer_activity_at = models.DateTimeField(null=True, blank=True)
    last_agent_update_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    # SLA results cached from the engine (the event log stays the source of truth).
    sla_state = models.JSONField(default=dict, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    sla_paused = models.BooleanField(default=False)
    sla_computed_at = models.DateTimeField(null=True, blank=True)
    # Text the full-text indexes cover (SQLite FTS5 via triggers, PostgreSQL GIN on tsvector):
    # subject and public replies, and internal notes separately so portal searches never
    # match on staff-only text.
    search_public = models.TextField(blank=True, default="")
    search_internal = models.TextField(blank=True, default="")

    class Meta(TenantOwned.Meta):
        ordering = ["-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["client", "status", "-id"], name="ticket_client_status"),
            models.Index(fields=["status", "-id"], name="ticket_status"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["queue", "status"], name="ticket_queue_status"),
            models.Index(fields=["priority", "status"], name="ticket_priority_status"),
            models.Index(fields=["sla_due_at"], name="ticket_sla_due"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"T-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.client.provider_id, self.client_id


class TicketEvent(TenantOwned):
    """Append-only log of what happened to a ticket; the SLA engine replays it."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        PRIORITY = "priority", "Priority changed"
        TYPE = "type", "Type changed"
        AGENT_REPLY = "agent_reply", "Public reply by staff"
        CUSTOMER_REPLY = "customer_reply", "Reply by the customer"
        MERGED = "merged", "Merged into another ticket"
        ASSIGNED = "assigned", "Assigned"
        SLA_CHANGED = "sla_changed", "SLA changed"
        NOTE = "note", "Internal note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=24, blank=True)
    priority = models.CharField(max_length=2, blank=True)
    ticket_type = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=255, blank=True)

    class Meta(TenantOwned.Meta):
        ordering = ["at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["ticket", "at"], name="ticket_event_ticket_at"),
        ]


class Reply(TenantOwned, AuditedModel):
    """A public reply or an internal note on a ticket (the first one holds the request)."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"
    audit_exclude = frozenset({"created_at", "body_text", "body_html"})

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public reply"
        INTERNAL = "internal", "Internal note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    from_customer = models.BooleanField(default=False)
    author_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_email = models.EmailField(blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, help_text="Sanitized HTML as received by e-mail.")
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["ticket", "created_at"], name="reply_ticket_created"),
        ]

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.ticket.client.provider_id, self.ticket.client_id


class Attachment(TenantOwned):
    """A file on a ticket; the bytes live in the blob store (content-addressed), not the database."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class TicketRelation(TenantOwned):
    """A link between two tickets of the same client ("relates to", "duplicates", "blocks")."""

    client_path = "source__client_id"
    provider_path = "source__client__provider_id"

    class Kind(models.TextChoices):
        RELATES = "relates", "Relates to"
        DUPLICATES = "duplicates", "Duplicates"
        BLOCKS = "blocks", "Blocks"
        CAUSED_BY = "caused_by", "Caused by"

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RELATES)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_relation_unique"),
        ]


class TimeEntry(TenantOwned, AuditedModel):
    """Time a technician spent on a ticket: from a timer or entered by hand."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="time_entries")
    work_type = models.ForeignKey(WorkType, on_delete=models.PROTECT, related_name="time_entries")
    started_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    billable = models.BooleanField(default=True)
    note = models.CharField(max_length=500, blank=True)
    from_timer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantOwned.Meta):
        ordering = ["-started_at", "-id"]
        verbose_name_plural = "time entries"

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.ticket.client.provider_id, self.ticket.client_id


class RunningTimer(TenantOwned):
    """A technician's running timer (at most one per technician)."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="running_timer")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)


class SlaAlert(TenantOwned):
    """A warning or breach the desk has announced, once per target and due time."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"

    class Kind(models.TextChoices):
        WARNING = "warning", "Breach approaching"
        BREACH = "breach", "Breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    metric = models.CharField(max_length=20)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "kind", "due_at"], name="sla_alert_once"),
        ]


class SatisfactionSurvey(TenantOwned):
    """The CSAT question sent when a ticket is resolved, and its answer."""

    client_path = "ticket__client_id"
    provider_path = "ticket__client__provider_id"

    class Rating(models.TextChoices):
        GOOD = "good", "Good"
        OKAY = "okay", "Okay"
        BAD = "bad", "Bad"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField(blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    rating = models.CharField(max_length=4, choices=Rating.choices, blank=True)
    comment = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        ordering = ["-sent_at"]
