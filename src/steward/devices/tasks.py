"""Device background jobs: metric rollups and retention.

The Huey consumer imports this module through Django's ``autodiscover_modules("tasks")``.
Every job is idempotent: re-running one recomputes the same buckets or deletes nothing.
"""

from __future__ import annotations

from huey import crontab

from steward.devices.services import metrics
from steward.jobs import periodic_job


@periodic_job(crontab(minute="*/5"), name="devices_rollup_5min")
def rollup_five_minutes() -> int:
    """Every 5 minutes: raw heartbeats → 5-minute buckets."""
    return metrics.rollup_five_minutes()


@periodic_job(crontab(minute="3"), name="devices_rollup_hourly")
def rollup_hourly() -> int:
    """Hourly (a few minutes past, after the last 5-minute rollup of the hour): 5-minute → hourly."""
    return metrics.rollup_hourly()


@periodic_job(crontab(minute="41"), name="devices_metric_retention")
def metric_retention() -> dict[str, int]:
    """Hourly: delete raw samples > 24 h, 5-minute rollups > 30 days, hourly rollups > 1 year."""
    report = metrics.apply_retention()
    return {"raw": report.raw, "five_minutes": report.five_minutes, "hourly": report.hourly}
