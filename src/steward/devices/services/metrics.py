"""Metric history: roll raw heartbeats up into 5-minute and hourly buckets, expire old rows,
and read a series for a chart.

Rollups are ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` statements (the same SQL
on SQLite ≥ 3.24 and PostgreSQL), so re-running one recomputes its buckets instead of
adding to them. Only closed buckets are rolled up; each run starts at the newest bucket
already stored (re-doing it), so a worker that was down catches up on its next run, as far
back as the source table still reaches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from steward.devices.models import Device, MetricRollup, MetricSample
from steward.devices.models.metrics import RAW_RETENTION_SECONDS, ROLLUP_RETENTION_SECONDS

FIVE_MINUTES = 300
HOUR = 3600
DELETE_BATCH = 5000


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else int(now)


def _tables() -> tuple[str, str]:
    qn = connection.ops.quote_name
    return qn(MetricSample._meta.db_table), qn(MetricRollup._meta.db_table)


def _latest_bucket(resolution: int) -> int | None:
    _, rollups = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(bucket) FROM {rollups} WHERE resolution = %s", [resolution])  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


UPSERT_TAIL = """
ON CONFLICT (device_id, resolution, bucket) DO UPDATE SET
    samples = excluded.samples,
    cpu_avg = excluded.cpu_avg,
    cpu_max = excluded.cpu_max,
    memory_avg = excluded.memory_avg,
    memory_max = excluded.memory_max,
    disk_max = excluded.disk_max
"""


def rollup_five_minutes(now: int | None = None, since: int | None = None) -> int:
    """Roll raw samples of closed 5-minute buckets into 300 s rollups; returns buckets written."""
    now = _now(now)
    end = now - now % FIVE_MINUTES  # buckets before this one are closed
    if since is None:
        latest = _latest_bucket(FIVE_MINUTES)
        since = latest if latest is not None else end - RAW_RETENTION_SECONDS
    start = since - since % FIVE_MINUTES
    if start >= end:
        return 0
    samples, rollups = _tables()
    sql = f"""
        INSERT INTO {rollups}
            (device_id, resolution, bucket, samples, cpu_avg, cpu_max, memory_avg, memory_max, disk_max)
        SELECT device_id, {FIVE_MINUTES}, ts - (ts %% {FIVE_MINUTES}), COUNT(*),
               AVG(cpu_percent), MAX(cpu_percent), AVG(memory_percent), MAX(memory_percent),
               MAX(disk_percent)
        FROM {samples}
        WHERE ts >= %s AND ts < %s
        GROUP BY device_id, ts - (ts %% {FIVE_MINUTES})
        {UPSERT_TAIL}
    """  # noqa: S608 - table names and constants only; values are parameters
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        return max(cursor.rowcount, 0)


def rollup_hourly(now: int | None = None, since: int | None = None) -> int:
    """Roll 5-minute rollups of closed hours into 3600 s rollups (sample-weighted averages)."""
    now = _now(now)
    end = now - now % HOUR
    if since is None:
        latest = _latest_bucket(HOUR)
        since = latest if latest is not None else end - ROLLUP_RETENTION_SECONDS[FIVE_MINUTES]
    start = since - since % HOUR
    if start >= end:
        return 0
    _, rollups = _tables()
    sql = f"""
        INSERT INTO {rollups}
            (device_id, resolution, bucket, samples, cpu_avg, cpu_max, memory_avg, memory_max, disk_max)
        SELECT device_id, {HOUR}, bucket - (bucket %% {HOUR}), SUM(samples),
               SUM(cpu_avg * samples) / SUM(samples), MAX(cpu_max),
               SUM(memory_avg * samples) / SUM(samples), MAX(memory_max), MAX(disk_max)
        FROM {rollups}
        WHERE resolution = {FIVE_MINUTES} AND bucket >= %s AND bucket < %s AND samples > 0
        GROUP BY device_id, bucket - (bucket %% {HOUR})
        {UPSERT_TAIL}
    """  # noqa: S608 - table names and constants only; values are parameters
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        return max(cursor.rowcount, 0)


def _delete_batches(table: str, where: str, params: list[int], batch: int) -> int:
    """Delete matching rows ``batch`` at a time, each batch its own short transaction."""
    total = 0
    sql = f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} LIMIT {int(batch)})"  # noqa: S608
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            deleted = max(cursor.rowcount, 0)
        total += deleted
        if deleted < batch:
            return total


@dataclass
class RetentionReport:
    raw: int = 0
    five_minutes: int = 0
    hourly: int = 0


def apply_retention(now: int | None = None, batch: int = DELETE_BATCH) -> RetentionReport:
    """Delete raw samples older than 24 h, 5-minute rollups older than 30 days, hourly > 1 year.

    Raw samples are kept until they are rolled up even when older than 24 h (a worker that
    was down must not lose a day of history).
    """
    now = _now(now)
    samples, rollups = _tables()
    raw_cutoff = now - RAW_RETENTION_SECONDS
    latest = _latest_bucket(FIVE_MINUTES)
    rolled_until = latest + FIVE_MINUTES if latest is not None else 0
    report = RetentionReport()
    report.raw = _delete_batches(samples, "ts < %s", [min(raw_cutoff, rolled_until)], batch)
    report.five_minutes = _delete_batches(
        rollups,
        f"resolution = {FIVE_MINUTES} AND bucket < %s",
        [now - ROLLUP_RETENTION_SECONDS[FIVE_MINUTES]],
        batch,
    )
    report.hourly = _delete_batches(
        rollups, f"resolution = {HOUR} AND bucket < %s", [now - ROLLUP_RETENTION_SECONDS[HOUR]], batch
    )
    return report


# --- reading a series for a chart ----------------------------------------------------------


@dataclass(frozen=True)
class Point:
    t: int  # Unix seconds (bucket start for rollups)
    cpu: float
    memory: float
    disk: float | None
    cpu_max: float
    memory_max: float


@dataclass
class Series:
    resolution: int  # 0: raw heartbeats, else the bucket width in seconds
    start: int
    end: int
    points: list[Point] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resolution": self.resolution,
            "start": self.start,
            "end": self.end,
            "points": [p.__dict__ for p in self.points],
        }


def resolution_for(hours: float) -> int:
    """Raw for up to a day, 5-minute buckets up to 30 days, hourly beyond."""
    if hours <= 24:
        return 0
    if hours <= 30 * 24:
        return FIVE_MINUTES
    return HOUR


def metric_series(device: Device, hours: float, now: int | None = None) -> Series:
    """The device's CPU/memory/disk history over the last ``hours``, oldest first.

    The caller has already checked that its scope may see ``device``.
    """
    now = _now(now)
    start = now - int(hours * 3600)
    resolution = resolution_for(hours)
    series = Series(resolution=resolution, start=start, end=now)
    if resolution == 0:
        rows = (
            MetricSample.unscoped.filter(device=device, ts__gte=start, ts__lte=now)
            .order_by("ts", "pk")
            .values_list("ts", "cpu_percent", "memory_percent", "disk_percent")
        )
        series.points = [Point(ts, cpu, mem, disk, cpu, mem) for ts, cpu, mem, disk in rows]
    else:
        rollups = (
            MetricRollup.unscoped.filter(device=device, resolution=resolution, bucket__gte=start - resolution)
            .filter(bucket__lte=now)
            .order_by("bucket")
            .values_list("bucket", "cpu_avg", "memory_avg", "disk_max", "cpu_max", "memory_max")
        )
        series.points = [Point(*row) for row in rollups]
    return series
