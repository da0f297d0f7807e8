"""Provider-level service-desk configuration: queues, teams, tags, work types, calendars, SLAs."""

from __future__ import annotations

from django.db import models

from steward.core.audit_model import AuditedModel
from steward.core.models import Client, Provider, Site, User


class Team(AuditedModel):
    """A group of technicians tickets can be assigned to ("Level 2", "Projects")."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(User, blank=True, related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, None


class Queue(AuditedModel):
    """Where tickets wait for work ("Service desk", "Proactive", "Projects")."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=100)
    default_team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_default = models.BooleanField(
        default=False, help_text="New tickets land here unless routed elsewhere."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="queue_unique_name")]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, None


class TicketTag(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="ticket_tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="ticket_tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class WorkType(AuditedModel):
    """What time was spent on ("Remote support", "On-site", "Project"); the contracts module rates it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="work_types")
    name = models.CharField(max_length=100)
    billable_by_default = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="work_type_unique_name")]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, None


class BusinessCalendar(AuditedModel):
    """Business hours and holidays in one IANA zone; ``definition`` follows docs/sla.md."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="business_calendars")
    name = models.CharField(max_length=100)
    definition = models.JSONField(default=dict)
    is_default = models.BooleanField(
        default=False, help_text="Used when neither the SLA, site nor client names one."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="calendar_unique_name")]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, None


class SlaPolicy(AuditedModel):
    """Targets per metric and priority, pause statuses; ``definition`` follows docs/sla.md."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="sla_policies")
    name = models.CharField(max_length=100)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text="Empty: the site's, else the client's, else the default calendar.",
    )
    definition = models.JSONField(default=dict)
    is_default = models.BooleanField(default=False, help_text="Applies when nothing more specific does.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="sla_unique_name")]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, None


class ServiceProfile(AuditedModel):
    """Service-desk settings of a client, or of one site overriding its client.

    Which SLA applies to a ticket, most specific first: the ticket's own (set by a contract or
    by hand), the site's profile, the client's profile, the provider's default SLA. The
    calendar is the profile's calendar when set (site before client), else the SLA's own.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="service_profiles")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender_name = models.CharField(
        max_length=100, blank=True, help_text='Name on outgoing mail, e.g. "Acme IT Support".'
    )
    default_queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "site"], name="service_profile_unique_site"),
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(site__isnull=True), name="service_profile_unique_client"
            ),
        ]

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.client.provider_id, self.client_id


class CannedResponse(AuditedModel):
    """A reusable reply text; ``{{ ticket.* }}``-style placeholders are filled when inserted."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="canned_responses")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=150)
    body = models.TextField()
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, self.client_id


class Macro(AuditedModel):
    """A named set of actions applied to a ticket in one go (status, priority, queue, reply…)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="macros")
    name = models.CharField(max_length=150)
    actions = models.JSONField(default=dict)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="macro_unique_name")]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, None


class SavedView(models.Model):
    """A named ticket-list filter, private to its owner or shared with the provider's staff."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_ticket_views")
    name = models.CharField(max_length=100)
    query = models.JSONField(default=dict)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
