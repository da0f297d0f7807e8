"""Metric rollups, retention and chart series, with fixed timestamps (no sleeping)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from steward.devices import tasks
from steward.devices.models import Device, MetricRollup, MetricSample
from steward.devices.services import metrics

# An hour boundary, so 5-minute and hourly buckets line up with the arithmetic below.
T0 = 1_700_000_000 - 1_700_000_000 % 3600
DAY = 86_400


@pytest.fixture
def device(world: Any) -> Device:
    return Device.unscoped.create(client=world.client_a, hostname="METRICS-01")


@pytest.fixture
def other(world: Any) -> Device:
    return Device.unscoped.create(client=world.client_b, hostname="METRICS-B")


def sample(
    device: Device, ts: int, cpu: float, memory: float = 50.0, disk: float | None = 10.0
) -> MetricSample:
    return MetricSample(
        device=device,
        message_id=uuid.uuid4(),
        ts=ts,
        cpu_percent=cpu,
        memory_percent=memory,
        disk_percent=disk,
    )


def flat_rollup(device: Device, resolution: int, bucket: int) -> MetricRollup:
    """A one-sample rollup whose values do not matter to the test."""
    return MetricRollup(
        device=device,
        resolution=resolution,
        bucket=bucket,
        samples=1,
        cpu_avg=1,
        cpu_max=1,
        memory_avg=1,
        memory_max=1,
    )


def rollups(device: Device, resolution: int) -> dict[int, tuple[Any, ...]]:
    rows = MetricRollup.unscoped.filter(device=device, resolution=resolution).values_list(
        "bucket", "samples", "cpu_avg", "cpu_max", "memory_avg", "memory_max", "disk_max"
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_five_minute_rollup(device: Device, other: Device) -> None:
    MetricSample.unscoped.bulk_create(
        [
            sample(device, T0 + 10, 10, 20, 30),
            sample(device, T0 + 100, 30, 40, 50),
            sample(device, T0 + 310, 50, 60, None),
            sample(device, T0 + 600, 99),  # in the bucket still open at "now"
            sample(other, T0 + 20, 70, 80, 90),
        ]
    )
    now = T0 + 605
    metrics.rollup_five_minutes(now=now, since=T0)
    assert rollups(device, 300) == {
        T0: (2, 20.0, 30.0, 30.0, 40.0, 50.0),
        T0 + 300: (1, 50.0, 50.0, 60.0, 60.0, None),
    }
    assert rollups(other, 300) == {T0: (1, 70.0, 70.0, 80.0, 80.0, 90.0)}

    # Idempotent: running again recomputes, it does not add.
    metrics.rollup_five_minutes(now=now, since=T0)
    assert rollups(device, 300)[T0][0] == 2
    assert MetricRollup.unscoped.count() == 3

    # A later sample in a rolled bucket is picked up by the next run (it starts at the
    # newest stored bucket by default).
    MetricSample.unscoped.bulk_create([sample(device, T0 + 350, 70)])
    metrics.rollup_five_minutes(now=T0 + 905)
    assert rollups(device, 300)[T0 + 300][:3] == (2, 60.0, 70.0)
    assert rollups(device, 300)[T0 + 600][:2] == (1, 99.0)


def test_first_rollup_reaches_back_a_day(device: Device) -> None:
    now = T0 + 10 * DAY
    MetricSample.unscoped.bulk_create(
        [
            sample(device, now - DAY + 300, 10),
            sample(device, now - 3600, 20),
            sample(device, now - 2 * DAY, 30),
        ]
    )
    metrics.rollup_five_minutes(now=now)
    assert sorted(rollups(device, 300)) == [now - DAY + 300, now - 3600]


def test_hourly_rollup_weights_by_samples(device: Device) -> None:
    MetricRollup.unscoped.bulk_create(
        [
            MetricRollup(
                device=device,
                resolution=300,
                bucket=T0,
                samples=2,
                cpu_avg=20,
                cpu_max=30,
                memory_avg=40,
                memory_max=45,
                disk_max=50,
            ),
            MetricRollup(
                device=device,
                resolution=300,
                bucket=T0 + 300,
                samples=1,
                cpu_avg=50,
                cpu_max=50,
                memory_avg=70,
                memory_max=70,
                disk_max=None,
            ),
            MetricRollup(
                device=device,
                resolution=300,
                bucket=T0 + 3600,
                samples=4,
                cpu_avg=5,
                cpu_max=9,
                memory_avg=10,
                memory_max=11,
                disk_max=12,
            ),
        ]
    )
    metrics.rollup_hourly(now=T0 + 3600 + 60, since=T0)
    assert rollups(device, 3600) == {T0: (3, 30.0, 50.0, 50.0, 70.0, 50.0)}  # the second hour is open
    metrics.rollup_hourly(now=T0 + 3600 + 60, since=T0)
    assert rollups(device, 3600)[T0][0] == 3
    metrics.rollup_hourly(now=T0 + 7200 + 60)
    assert rollups(device, 3600)[T0 + 3600] == (4, 5.0, 9.0, 10.0, 11.0, 12.0)


def test_retention_deletes_in_batches(device: Device) -> None:
    now = T0 + 400 * DAY
    MetricSample.unscoped.bulk_create(
        [sample(device, now - DAY - 600 - i, 1) for i in range(7)] + [sample(device, now - 60, 2)]
    )
    MetricRollup.unscoped.bulk_create(
        [
            MetricRollup(
                device=device,
                resolution=300,
                bucket=now - 31 * DAY - i * 300,
                samples=1,
                cpu_avg=1,
                cpu_max=1,
                memory_avg=1,
                memory_max=1,
            )
            for i in range(5)
        ]
        + [
            flat_rollup(device, 300, now - 600),
            flat_rollup(device, 3600, now - 366 * DAY),
            flat_rollup(device, 3600, now - 364 * DAY),
        ]
    )
    report = metrics.apply_retention(now=now, batch=2)
    assert (report.raw, report.five_minutes, report.hourly) == (7, 5, 1)
    assert list(MetricSample.unscoped.values_list("ts", flat=True)) == [now - 60]
    assert sorted(MetricRollup.unscoped.values_list("resolution", "bucket")) == [
        (300, now - 600),
        (3600, now - 364 * DAY),
    ]
    assert metrics.apply_retention(now=now, batch=2) == metrics.RetentionReport()


def test_retention_keeps_raw_samples_not_rolled_up_yet(device: Device) -> None:
    now = T0 + 10 * DAY
    MetricSample.unscoped.bulk_create([sample(device, now - 2 * DAY, 1)])
    assert metrics.apply_retention(now=now).raw == 0  # no rollup has run: keep it
    metrics.rollup_five_minutes(now=now, since=now - 3 * DAY)
    assert metrics.apply_retention(now=now).raw == 1


def test_metric_series_picks_the_resolution(device: Device) -> None:
    now = T0 + 40 * DAY
    MetricSample.unscoped.bulk_create([sample(device, now - 7200, 10), sample(device, now - 60, 20)])
    MetricRollup.unscoped.bulk_create(
        [
            MetricRollup(
                device=device,
                resolution=300,
                bucket=now - 2 * DAY,
                samples=3,
                cpu_avg=15,
                cpu_max=25,
                memory_avg=30,
                memory_max=35,
                disk_max=40,
            ),
            MetricRollup(
                device=device,
                resolution=3600,
                bucket=now - 35 * DAY,
                samples=12,
                cpu_avg=5,
                cpu_max=8,
                memory_avg=6,
                memory_max=7,
                disk_max=9,
            ),
        ]
    )
    day = metrics.metric_series(device, 24, now=now)
    assert day.resolution == 0
    assert [(p.t, p.cpu) for p in day.points] == [(now - 7200, 10.0), (now - 60, 20.0)]
    week = metrics.metric_series(device, 24 * 7, now=now)
    assert week.resolution == 300
    assert [(p.t, p.cpu, p.cpu_max, p.disk) for p in week.points] == [(now - 2 * DAY, 15.0, 25.0, 40.0)]
    quarter = metrics.metric_series(device, 24 * 90, now=now)
    assert quarter.resolution == 3600
    assert [p.t for p in quarter.points] == [now - 35 * DAY]
    assert quarter.as_dict()["points"][0]["memory_max"] == 7.0


def test_jobs_run_as_system_jobs(device: Device) -> None:
    assert tasks.rollup_five_minutes.call_local() >= 0
    assert tasks.rollup_hourly.call_local() >= 0
    assert tasks.metric_retention.call_local() == {"raw": 0, "five_minutes": 0, "hourly": 0}
