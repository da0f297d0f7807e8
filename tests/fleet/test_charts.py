"""The usage chart: one server-rendered SVG, numbers only, CSP-clean."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.utils import timezone

from steward.core.scoping import Scope
from steward.devices.models import MetricRollup, MetricSample
from steward.devices.services.charts import metric_series, usage_chart
from tests.fleet.conftest import make_device
from tests.tenancy.helpers import assert_csp_clean


def test_raw_samples_are_bucketed_for_24_hours(world):
    now = timezone.now()
    device = make_device(world.client_a, "pc")
    base = int(now.timestamp()) - 1800
    MetricSample.unscoped.bulk_create(
        MetricSample(
            device=device, message_id=uuid.uuid4(), ts=base + i * 5, cpu_percent=50, memory_percent=20
        )
        for i in range(360)  # 30 minutes of 5-second check-ins (watch mode)
    )
    scope = Scope.system(world.provider.pk)
    points = metric_series(scope, device, "24h", now)
    assert 6 <= len(points) <= 7  # 5-minute buckets
    assert all(cpu == 50 and memory == 20 and disk is None for _, cpu, memory, disk in points)
    chart = usage_chart(scope, device, "24h", now)
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'class="chart-line chart-cpu"' in svg
    assert re.search(r'd="M[\d. L]+"', svg)
    assert chart.summary[0]["peak"] == 50
    assert_csp_clean(svg)


def test_rollups_for_7_and_30_days_and_empty_chart(world):
    now = timezone.now()
    device = make_device(world.client_a, "pc")
    start = int(now.timestamp()) - 6 * 86400
    MetricRollup.unscoped.bulk_create(
        MetricRollup(
            device=device,
            resolution=300,
            bucket=start + i * 300,
            samples=5,
            cpu_avg=10,
            cpu_max=20,
            memory_avg=30,
            memory_max=40,
            disk_max=70,
        )
        for i in range(1000)
    )
    scope = Scope.system(world.provider.pk)
    week = metric_series(scope, device, "7d", now)
    month = metric_series(scope, device, "30d", now)
    assert 150 < len(week) <= 170 and 40 < len(month) <= 45  # 30-minute and 2-hour buckets
    assert week[0][3] == 70
    other = make_device(world.client_a, "quiet")
    empty = usage_chart(scope, other, "30d", now + dt.timedelta(seconds=1))
    assert empty.points == 0 and "No data for the last 30 days" in str(empty.svg)
    assert usage_chart(scope, other, "bogus").range_key == "24h"
