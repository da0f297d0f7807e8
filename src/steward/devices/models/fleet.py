"""The device registry: enrollment tokens, devices, their credentials, tags and groups."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone

from steward.core.audit_model import AuditedModel
from steward.core.models import Client, Provider, Site, User
from steward.core.scoping import TenantOwned

DEFAULT_CHECKIN_SECONDS = 60
WATCH_CHECKIN_SECONDS = 5


class EnrollmentToken(TenantOwned, AuditedModel):
    """Lets an agent join a client (optionally a site). Stored hashed; shown once."""

    audit_redact = frozenset({"token_hash"})
    audit_exclude = frozenset({"created_at", "uses", "last_used_at"})

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="enrollment_tokens")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used up"
        return "active"

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.client.provider_id, self.client_id


class Tag(models.Model):
    """A label the provider puts on devices ("VIP", "kiosk"); shared across clients."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="device_tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class Device(TenantOwned, AuditedModel):
    """An enrolled endpoint. Hot, agent-written columns are excluded from the audit trail."""

    class OsFamily(models.TextChoices):
        WINDOWS = "windows", "Windows"
        LINUX = "linux", "Linux"
        MACOS = "macos", "macOS"
        UNKNOWN = "unknown", "Unknown"

    class Kind(models.TextChoices):
        WORKSTATION = "workstation", "Workstation"
        LAPTOP = "laptop", "Laptop"
        SERVER = "server", "Server"
        VIRTUAL = "virtual", "Virtual machine"
        UNKNOWN = "unknown", "Unknown"

    audit_exclude = frozenset(
        {
            "created_at",
            "updated_at",
            "last_seen_at",
            "last_heartbeat",
            "inventory_hash",
            "inventory_at",
            "want_inventory",
            "agent_version",
            "hostname",
            "os_name",
            "os_version",
            "os_build",
            "architecture",
            "manufacturer",
            "model",
            "serial_number",
            "machine_id",
            "hardware_uuid",
            "watch_until",
            "cpu_percent",
            "memory_percent",
            "disk_percent",
            "uptime_seconds",
            "pending_reboot",
        }
    )

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="devices")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="devices")
    hostname = models.CharField(max_length=128)
    display_name = models.CharField(max_length=128, blank=True, help_text="Overrides the hostname in lists.")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNKNOWN)
    os_family = models.CharField(max_length=10, choices=OsFamily.choices, default=OsFamily.UNKNOWN)
    os_name = models.CharField(max_length=255, blank=True)
    os_version = models.CharField(max_length=255, blank=True)
    os_build = models.CharField(max_length=255, blank=True)
    architecture = models.CharField(max_length=128, blank=True)
    manufacturer = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=255, blank=True)
    serial_number = models.CharField(max_length=255, blank=True)
    machine_id = models.CharField(max_length=255, blank=True)
    hardware_uuid = models.CharField(max_length=255, blank=True)
    agent_version = models.CharField(max_length=128, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_with = models.ForeignKey(
        EnrollmentToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="devices"
    )
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Latest heartbeat, denormalised for lists (history lives in metric tables).
    last_seen_at = models.DateTimeField(null=True, blank=True)
    cpu_percent = models.FloatField(null=True, blank=True)
    memory_percent = models.FloatField(null=True, blank=True)
    disk_percent = models.FloatField(null=True, blank=True, help_text="Fullest volume.")
    uptime_seconds = models.BigIntegerField(null=True, blank=True)
    pending_reboot = models.BooleanField(null=True, blank=True)
    last_heartbeat = models.JSONField(default=dict, blank=True, help_text="Volumes, users… as last reported.")
    checkin_interval = models.PositiveIntegerField(default=DEFAULT_CHECKIN_SECONDS)
    watch_until = models.DateTimeField(
        null=True, blank=True, help_text="Fast check-ins while someone watches."
    )
    inventory_hash = models.CharField(max_length=64, blank=True)
    inventory_at = models.DateTimeField(null=True, blank=True)
    want_inventory = models.BooleanField(default=True)
    quarantined_at = models.DateTimeField(null=True, blank=True)
    quarantine_reason = models.CharField(max_length=255, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        ordering = ["hostname"]
        indexes = [
            models.Index(fields=["client", "hostname"]),
            models.Index(fields=["client", "site"]),
            models.Index(fields=["hostname"]),
            models.Index(fields=["last_seen_at"]),
            models.Index(fields=["os_family", "kind"]),
            models.Index(fields=["hardware_uuid"]),
            models.Index(fields=["machine_id"]),
            models.Index(fields=["serial_number"]),
        ]

    def __str__(self) -> str:
        return self.display_name or self.hostname

    @property
    def name(self) -> str:
        return self.display_name or self.hostname

    def effective_interval(self, now: dt.datetime | None = None) -> int:
        now = now or timezone.now()
        if self.watch_until and self.watch_until > now:
            return WATCH_CHECKIN_SECONDS
        return self.checkin_interval

    @property
    def status(self) -> str:
        """online / overdue / offline / never / quarantined, from the last check-in time."""
        if self.quarantined_at:
            return "quarantined"
        if self.last_seen_at is None:
            return "never"
        silence = (timezone.now() - self.last_seen_at).total_seconds()
        if silence <= 3 * self.checkin_interval:
            return "online"
        if silence <= OVERDUE_SECONDS:
            return "overdue"
        return "offline"

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.client.provider_id, self.client_id


# A device silent for more than three check-in intervals is "overdue"; after this long it
# is "offline" (a laptop closed overnight reads offline, not overdue, in the morning).
OVERDUE_SECONDS = 60 * 60


class DeviceCredential(models.Model):
    """An enrolled agent's secret (stored hashed). Revoked on quarantine or reinstall."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"credential {self.prefix}… of {self.device_id}"


class DeviceGroup(TenantOwned, AuditedModel):
    """A static list of devices, or a dynamic saved filter ("Windows laptops at site X").

    A group without a client is the provider's (visible to staff covering all clients).
    """

    class Kind(models.TextChoices):
        STATIC = "static", "Static"
        DYNAMIC = "dynamic", "Dynamic (saved filter)"

    client_path: ClassVar[str] = "client_id"
    provider_path: ClassVar[str] = "provider_id"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="device_groups")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="device_groups"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATIC)
    filter = models.JSONField(
        default=dict, blank=True, help_text="Fleet-list filter parameters (dynamic groups)."
    )
    devices = models.ManyToManyField(Device, blank=True, related_name="static_groups")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, self.client_id
