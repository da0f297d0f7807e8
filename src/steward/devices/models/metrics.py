"""Metric history: raw heartbeats for a day, 5-minute rollups for 30 days, hourly for a year.

Time is an integer Unix epoch (seconds) so bucketing is plain integer arithmetic in SQL on
both SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from steward.devices.models.inventory import DeviceOwned

RAW_RETENTION_SECONDS = 24 * 3600
ROLLUP_RETENTION_SECONDS = {300: 30 * 24 * 3600, 3600: 365 * 24 * 3600}


class MetricSample(DeviceOwned):
    """One accepted heartbeat. ``message_id`` makes a replayed heartbeat a no-op."""

    client_path: ClassVar[str] = "device__client_id"

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    message_id = models.UUIDField()
    ts = models.BigIntegerField(help_text="Unix seconds, server receive time.")
    cpu_percent = models.FloatField()
    memory_percent = models.FloatField()
    disk_percent = models.FloatField(null=True)

    class Meta(DeviceOwned.Meta):
        constraints = [models.UniqueConstraint(fields=["device", "message_id"], name="heartbeat_once")]
        indexes = [models.Index(fields=["device", "ts"]), models.Index(fields=["ts"])]

    def __str__(self) -> str:
        return f"sample {self.message_id}"


class MetricRollup(DeviceOwned):
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    resolution = models.PositiveIntegerField(help_text="Bucket width in seconds: 300 or 3600.")
    bucket = models.BigIntegerField(help_text="Unix seconds at the start of the bucket.")
    samples = models.PositiveIntegerField()
    cpu_avg = models.FloatField()
    cpu_max = models.FloatField()
    memory_avg = models.FloatField()
    memory_max = models.FloatField()
    disk_max = models.FloatField(null=True)

    class Meta(DeviceOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["device", "resolution", "bucket"], name="rollup_bucket_once"),
        ]
        indexes = [models.Index(fields=["resolution", "bucket"])]

    def __str__(self) -> str:
        return f"{self.resolution}s rollup at {self.bucket}"
