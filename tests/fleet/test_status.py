"""Device status: the database conditions agree with ``Device.status`` at every boundary."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from steward.core.scoping import Scope
from steward.devices.models import Device
from steward.devices.services.fleet import STATUSES, status_counts, status_q
from tests.fleet.conftest import make_device

NOW = dt.datetime(2025, 3, 14, 12, 0, 0, tzinfo=dt.UTC)

# (hostname, seconds since the last check-in or None, check-in interval, expected status)
CASES = [
    ("just-now", 0, 60, "online"),
    ("at-3-intervals", 180, 60, "online"),
    ("just-past-3-intervals", 180.000001, 60, "overdue"),
    ("one-second-past", 181, 60, "overdue"),
    ("at-one-hour", 3600, 60, "overdue"),
    ("just-past-one-hour", 3600.000001, 60, "offline"),
    ("a-day", 86400, 60, "offline"),
    ("slow-agent-online", 5000, 2000, "online"),
    ("slow-agent-offline", 6000.5, 2000, "offline"),
    ("fast-agent-overdue", 16, 5, "overdue"),
    ("never", None, 60, "never"),
]


@pytest.fixture
def devices(world):
    made = [
        make_device(world.client_a, name, seen_ago=ago, checkin_interval=interval, now=NOW)
        for name, ago, interval, _ in CASES
    ]
    make_device(world.client_a, "quarantined-online", seen_ago=1, now=NOW, quarantined_at=NOW)
    make_device(world.client_a, "quarantined-never", seen_ago=None, now=NOW, quarantined_at=NOW)
    return made


def _db_status(world) -> dict[str, str]:
    scope = Scope.system(world.provider.pk)
    found: dict[str, str] = {}
    for status in STATUSES:
        for name in (
            Device.objects.for_scope(scope).filter(status_q(status, NOW)).values_list("hostname", flat=True)
        ):
            assert name not in found, f"{name} matched {found.get(name)} and {status}"
            found[name] = status
    return found


def test_database_conditions_match_the_boundaries(world, devices):
    found = _db_status(world)
    expected = {name: status for name, _, _, status in CASES}
    expected |= {"quarantined-online": "quarantined", "quarantined-never": "quarantined"}
    assert found == expected


def test_python_property_agrees_with_the_database(world, devices):
    found = _db_status(world)
    with mock.patch("steward.devices.models.fleet.timezone.now", return_value=NOW):
        for device in Device.unscoped.all():
            assert device.status == found[device.hostname], device.hostname


def test_counts_in_one_query(world, devices, django_assert_num_queries):
    scope = Scope.system(world.provider.pk)
    with django_assert_num_queries(1):
        counts = status_counts(Device.objects.for_scope(scope), NOW)
    assert counts == {
        "online": 3,
        "overdue": 4,
        "offline": 3,
        "never": 1,
        "quarantined": 2,
        "total": 13,
    }


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="sleeping"):
        status_q("sleeping", NOW)
