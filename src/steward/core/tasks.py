"""Core background jobs: the scheduler heartbeat and housekeeping.

The Huey consumer (``steward worker``) imports this module through Django's
``autodiscover_modules("tasks")``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from huey import crontab

from steward.core.models import LoginThrottle, SchedulerBeat
from steward.jobs import periodic_job

HEARTBEAT = "heartbeat"


def beat(name: str = HEARTBEAT) -> SchedulerBeat:
    """Record that the named periodic job ran now (one row per name, upserted)."""
    now = timezone.now()
    with transaction.atomic():
        updated = SchedulerBeat.objects.filter(name=name).update(last_run_at=now, runs=F("runs") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    SchedulerBeat.objects.create(name=name, last_run_at=now, runs=1)
            except IntegrityError:  # another worker created it in between
                SchedulerBeat.objects.filter(name=name).update(last_run_at=now, runs=F("runs") + 1)
    return SchedulerBeat.objects.get(name=name)


@periodic_job(crontab(minute="*"), name=HEARTBEAT)
def heartbeat() -> int:
    """Every minute: proves the worker and its scheduler are alive (read by /healthz and `steward check`)."""
    return beat(HEARTBEAT).runs


def delete_stale_login_throttles(now: dt.datetime | None = None) -> int:
    """Remove per-address throttle rows that no longer hold a lock or a live failure window."""
    now = now or timezone.now()
    window = dt.timedelta(seconds=settings.STEWARD_LOGIN_LOCKOUT_SECONDS)
    stale = LoginThrottle.objects.filter(window_started__lt=now - window).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )
    deleted, _ = stale.delete()
    return deleted


@periodic_job(crontab(minute="17", hour="3"), name="cleanup_login_throttles")
def cleanup_login_throttles() -> int:
    """Daily: forget expired login throttles so the table stays small."""
    return delete_stale_login_throttles()
