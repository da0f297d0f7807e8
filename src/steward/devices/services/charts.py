"""CPU, memory and disk usage over 24 hours, 7 days or 30 days, as one inline SVG chart.

One chart definition (:func:`usage_chart`) renders on the server: no JavaScript, no inline
styles (colours come from CSS classes), nothing external, so it satisfies the CSP. The
SVG holds only numbers and our own labels, built with ``format_html`` (no agent text).

Series come from the metric tables directly (raw heartbeats for 24 hours, 5-minute
rollups beyond), averaged into buckets in SQL, so a chart is one query of at most a few
hundred rows whatever the check-in rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, F, Max
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from steward.core.scoping import Scope
from steward.devices.models import Device, MetricRollup, MetricSample

# range key: (label, seconds covered, bucket width in seconds)
RANGES: dict[str, tuple[str, int, int]] = {
    "24h": ("24 hours", 24 * 3600, 300),
    "7d": ("7 days", 7 * 24 * 3600, 1800),
    "30d": ("30 days", 30 * 24 * 3600, 7200),
}
DEFAULT_RANGE = "24h"
METRICS = (("cpu", "CPU"), ("memory", "Memory"), ("disk", "Disk"))

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 24

Point = tuple[int, float | None, float | None, float | None]  # (unix ts, cpu, memory, disk)


@dataclass(frozen=True)
class Chart:
    range_key: str
    range_label: str
    svg: SafeString
    points: int
    summary: list[dict[str, Any]]  # per metric: key, label, latest, average, peak


def metric_series(
    scope: Scope, device: Device, range_key: str, now: dt.datetime | None = None
) -> list[Point]:
    """Bucketed (ts, cpu, memory, disk) averages (disk: the fullest) over the range, oldest first."""
    _, seconds, step = RANGES[range_key]
    end = int((now or timezone.now()).timestamp())
    start = end - seconds
    if seconds <= 24 * 3600:
        raw = (
            MetricSample.objects.for_scope(scope)
            .filter(device_id=device.pk, ts__gte=start, ts__lte=end)
            .annotate(slot=F("ts") / step * step)
            .values("slot")
            .annotate(cpu=Avg("cpu_percent"), memory=Avg("memory_percent"), disk=Max("disk_percent"))
            .order_by("slot")
        )
        rows = [(int(r["slot"]), r["cpu"], r["memory"], r["disk"]) for r in raw]
        if rows:
            return rows
    rollups = (
        MetricRollup.objects.for_scope(scope)
        .filter(device_id=device.pk, resolution=300, bucket__gte=start, bucket__lte=end)
        .annotate(slot=F("bucket") / step * step)
        .values("slot")
        .annotate(cpu=Avg("cpu_avg"), memory=Avg("memory_avg"), disk=Max("disk_max"))
        .order_by("slot")
    )
    return [(int(r["slot"]), r["cpu"], r["memory"], r["disk"]) for r in rollups]


def _x(ts: float, start: int, end: int) -> float:
    return LEFT + (ts - start) / max(1, end - start) * (WIDTH - LEFT - RIGHT)


def _y(value: float) -> float:
    value = min(100.0, max(0.0, value))
    return TOP + (100.0 - value) / 100.0 * (HEIGHT - TOP - BOTTOM)


def _path(points: list[Point], index: int, start: int, end: int, step: int) -> str:
    """An SVG path through one metric; a gap of more than two buckets breaks the line."""
    parts: list[str] = []
    previous: int | None = None
    for point in points:
        value = point[index]
        if value is None:
            previous = None
            continue
        command = "L" if previous is not None and point[0] - previous <= 2 * step else "M"
        parts.append(f"{command}{_x(point[0] + step / 2, start, end):.1f} {_y(float(value)):.1f}")
        previous = point[0]
    return " ".join(parts)


def _tick_label(ts: int, range_key: str) -> str:
    local = timezone.localtime(dt.datetime.fromtimestamp(ts, tz=dt.UTC))
    return local.strftime("%H:%M") if range_key == "24h" else local.strftime("%d %b")


def usage_chart(
    scope: Scope, device: Device, range_key: str = DEFAULT_RANGE, now: dt.datetime | None = None
) -> Chart:
    if range_key not in RANGES:
        range_key = DEFAULT_RANGE
    label, seconds, step = RANGES[range_key]
    end = int((now or timezone.now()).timestamp())
    start = end - seconds
    points = metric_series(scope, device, range_key, now)

    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}%</text>',
        (
            (LEFT, WIDTH - RIGHT, f"{_y(v):.1f}", f"{_y(v):.1f}", LEFT - 6, f"{_y(v) + 4:.1f}", v)
            for v in (0, 50, 100)
        ),
    )
    ticks = format_html_join(
        "",
        '<text class="chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (f"{_x(ts, start, end):.1f}", HEIGHT - 6, _tick_label(ts, range_key))
            for ts in (start + seconds * i // 4 for i in range(5))
        ),
    )
    lines = format_html_join(
        "",
        '<path class="chart-line chart-{}" d="{}"/>',
        ((key, _path(points, index, start, end, step)) for index, (key, _) in enumerate(METRICS, start=1)),
    )
    empty = (
        format_html(
            '<text class="chart-empty" x="{}" y="{}" text-anchor="middle">No data for the last {}</text>',
            WIDTH // 2,
            HEIGHT // 2,
            label,
        )
        if not points
        else ""
    )
    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="none">'
        "<title>{}</title>{}{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        f"CPU, memory and disk usage over the last {label}",
        f"CPU, memory and disk usage over the last {label}",
        grid,
        ticks,
        lines,
        empty,
    )
    summary = []
    for index, (key, metric_label) in enumerate(METRICS, start=1):
        values = [float(p[index]) for p in points if p[index] is not None]  # type: ignore[arg-type]
        summary.append(
            {
                "key": key,
                "label": metric_label,
                "latest": values[-1] if values else None,
                "average": sum(values) / len(values) if values else None,
                "peak": max(values) if values else None,
            }
        )
    return Chart(range_key, label, svg, len(points), summary)
