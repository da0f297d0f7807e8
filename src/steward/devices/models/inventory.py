"""Inventory as queryable rows, plus the change history and the raw last inventory.

Rows are replaced per device when a new inventory arrives (the ingest service diffs old
against new and writes :class:`DeviceChange` entries for what changed).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from steward.core.scoping import TenantOwned
from steward.devices.models.fleet import Device


class DeviceOwned(TenantOwned):
    client_path: ClassVar[str] = "device__client_id"
    provider_path: ClassVar[str] = "device__client__provider_id"

    class Meta(TenantOwned.Meta):
        abstract = True


class DeviceFacts(DeviceOwned):
    """One row per device: the normalised facts policies evaluate. ``None`` means unknown."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="facts")
    chassis = models.CharField(max_length=12, blank=True)
    cpu_model = models.CharField(max_length=255, blank=True)
    cpu_cores = models.PositiveIntegerField(null=True)
    ram_bytes = models.BigIntegerField(null=True)
    bios_vendor = models.CharField(max_length=255, blank=True)
    bios_version = models.CharField(max_length=255, blank=True)
    bios_release_date = models.DateField(null=True)
    os_kernel = models.CharField(max_length=255, blank=True)
    os_install_date = models.DateField(null=True)
    firewall_state = models.CharField(max_length=10, default="unknown")
    firewall_product = models.CharField(max_length=255, blank=True)
    protection_product = models.CharField(max_length=255, blank=True)
    protection_enabled = models.BooleanField(null=True)
    protection_up_to_date = models.BooleanField(null=True)
    protection_definitions_at = models.DateTimeField(null=True)
    encryption_state = models.CharField(
        max_length=15, default="unknown", help_text="System volume: encrypted / not_encrypted / unknown."
    )
    updates_pending = models.PositiveIntegerField(null=True)
    updates_pending_security = models.PositiveIntegerField(null=True)
    updates_oldest_pending_since = models.DateTimeField(null=True)
    updates_last_success_at = models.DateTimeField(null=True)
    backup_last_success_at = models.DateTimeField(null=True)
    backup_last_failure_at = models.DateTimeField(null=True)
    local_admin_count = models.PositiveIntegerField(null=True)
    software_count = models.PositiveIntegerField(null=True)
    collectors = models.JSONField(default=dict, help_text="Per-collector state and reason.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"facts of {self.device_id}"


class InstalledSoftware(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="software")
    name = models.CharField(max_length=255)
    version = models.CharField(max_length=255, blank=True)
    publisher = models.CharField(max_length=255, blank=True)
    install_date = models.DateField(null=True)

    class Meta(DeviceOwned.Meta):
        ordering = ["name"]
        indexes = [models.Index(fields=["device", "name"]), models.Index(fields=["name", "version"])]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class PendingUpdate(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="pending_updates")
    update_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    severity = models.CharField(max_length=10, default="unknown")
    is_security = models.BooleanField(default=False)
    pending_since = models.DateTimeField(null=True)

    class Meta(DeviceOwned.Meta):
        ordering = ["-is_security", "update_id"]
        indexes = [models.Index(fields=["device", "severity"]), models.Index(fields=["update_id"])]

    def __str__(self) -> str:
        return self.title or self.update_id


class PhysicalDisk(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="disks")
    name = models.CharField(max_length=255)
    model = models.CharField(max_length=255, blank=True)
    serial = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    media = models.CharField(max_length=10, default="unknown")
    smart_status = models.CharField(max_length=10, default="unknown")
    smart_detail = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class NetworkInterface(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="interfaces")
    name = models.CharField(max_length=128)
    mac = models.CharField(max_length=32, blank=True)
    addresses = models.JSONField(default=list)
    is_up = models.BooleanField(null=True)

    def __str__(self) -> str:
        return self.name


class ProtectionProduct(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="protection")
    product = models.CharField(max_length=255)
    enabled = models.BooleanField(null=True)
    up_to_date = models.BooleanField(null=True)
    definitions_updated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.product


class VolumeEncryption(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="encryption")
    volume = models.CharField(max_length=255)
    method = models.CharField(max_length=128, blank=True)
    state = models.CharField(max_length=15, default="unknown")

    def __str__(self) -> str:
        return f"{self.volume}: {self.state}"


class BackupJob(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="backups")
    tool = models.CharField(max_length=128)
    job = models.CharField(max_length=255, blank=True)
    last_success_at = models.DateTimeField(null=True)
    last_failure_at = models.DateTimeField(null=True)
    detail = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.tool} {self.job}".strip()


class LocalAdmin(DeviceOwned):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="local_admins")
    name = models.CharField(max_length=128)

    def __str__(self) -> str:
        return self.name


class InventorySnapshot(DeviceOwned):
    """The raw inventory as received (last few per device), and the idempotency record."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="inventory_snapshots")
    message_id = models.UUIDField()
    inventory_hash = models.CharField(max_length=64)
    collected_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    document = models.JSONField()

    class Meta(DeviceOwned.Meta):
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "message_id"], name="inventory_message_once"),
        ]

    def __str__(self) -> str:
        return f"inventory {self.message_id}"


class DeviceChange(DeviceOwned):
    """One line of a device's change history: "Chrome 120 → 121", "BitLocker turned off"."""

    class Category(models.TextChoices):
        HARDWARE = "hardware", "Hardware"
        FIRMWARE = "firmware", "Firmware"
        OS = "os", "Operating system"
        SOFTWARE = "software", "Software"
        UPDATES = "updates", "Updates"
        SECURITY = "security", "Security"
        BACKUP = "backup", "Backup"
        NETWORK = "network", "Network"
        AGENT = "agent", "Agent"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    category = models.CharField(max_length=10, choices=Category.choices)
    summary = models.CharField(max_length=255)
    details = models.JSONField(default=dict, blank=True)

    class Meta(DeviceOwned.Meta):
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["device", "-at"]), models.Index(fields=["category", "-at"])]

    def __str__(self) -> str:
        return self.summary
