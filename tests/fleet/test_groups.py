"""Device groups: static lists and dynamic saved filters, pages and service rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from steward.core.scoping import Scope
from steward.devices.models import Device, DeviceGroup
from steward.devices.services import fleet as services
from tests.fleet.conftest import make_device
from tests.tenancy.helpers import assert_csp_clean


def test_dynamic_group_from_the_fleet_filters(world, fleet, login_as):
    http = login_as(world.users["client_it_a"])
    response = http.post(
        reverse("device_group_create"),
        {
            "name": "Linux servers",
            "client": world.client_a.pk,
            "kind": "dynamic",
            "filter": "os=linux&kind=server",
        },
    )
    assert response.status_code == 302
    group = DeviceGroup.unscoped.get()
    assert group.filter == {"os": "linux", "kind": "server"}
    detail = http.get(reverse("device_group_detail", args=[group.pk]))
    assert [d.hostname for d in detail.context["members"]] == ["alpha-srv"]
    assert_csp_clean(detail.content.decode())
    # Live membership: a new matching device joins without touching the group.
    make_device(world.client_a, "alpha-srv-2", os_family="linux", kind="server")
    make_device(world.client_b, "bravo-srv", os_family="linux", kind="server")  # other client: never
    detail = http.get(reverse("device_group_detail", args=[group.pk]))
    assert [d.hostname for d in detail.context["members"]] == ["alpha-srv", "alpha-srv-2"]
    listing = http.get(reverse("device_group_list"))
    assert listing.context["listing"].page.object_list[0].member_count == 2


def test_static_group_by_hostnames(world, fleet, login_as):
    http = login_as(world.users["technician_a"])
    response = http.post(
        reverse("device_group_create"),
        {
            "name": "Front desk",
            "client": world.client_a.pk,
            "kind": "static",
            "members": "alpha-pc-01\nALPHA-SRV\n",
        },
    )
    assert response.status_code == 302
    group = DeviceGroup.unscoped.get()
    assert set(group.devices.values_list("hostname", flat=True)) == {"ALPHA-PC-01", "alpha-srv"}
    # A hostname of another client is "unknown", never added.
    response = http.post(
        reverse("device_group_edit", args=[group.pk]),
        {"name": "Front desk", "kind": "static", "members": "ALPHA-PC-01\nBRAVO-SECRET-PC"},
    )
    assert response.status_code == 200 and "members" in response.context["form"].errors
    response = http.post(
        reverse("device_group_edit", args=[group.pk]),
        {"name": "Front desk", "kind": "static", "members": "ALPHA-PC-01"},
    )
    assert response.status_code == 302
    assert list(group.devices.values_list("hostname", flat=True)) == ["ALPHA-PC-01"]
    assert http.post(reverse("device_group_delete", args=[group.pk])).status_code == 302
    assert not DeviceGroup.unscoped.exists() and Device.unscoped.count() == 3


def test_bad_filters_and_provider_wide_rules(world, fleet, login_as):
    http = login_as(world.users["client_it_a"])
    for data in (
        {"name": "x", "client": world.client_a.pk, "kind": "dynamic", "filter": "os=beos"},
        {"name": "x", "client": world.client_a.pk, "kind": "dynamic", "filter": "evil=1"},
        {"name": "x", "client": world.client_a.pk, "kind": "dynamic", "filter": ""},
        {"name": "x", "kind": "static"},  # client users must choose their client
    ):
        assert http.post(reverse("device_group_create"), data).status_code == 200, data
    assert not DeviceGroup.unscoped.exists()
    with pytest.raises(ValidationError):
        services.create_group(Scope.for_user(world.users["client_it_a"]), {"name": "x", "client_id": None})
    group = services.create_group(
        Scope.for_user(world.users["provider_admin"]),
        {"name": "All laptops", "kind": "dynamic", "filter": {"kind": "laptop"}},
    )
    members = services.group_members(Scope.for_user(world.users["provider_admin"]), group)
    assert set(members.values_list("hostname", flat=True)) == {"ALPHA-PC-01", "BRAVO-SECRET-PC"}
    # Provider-wide groups are invisible to client users.
    assert http.get(reverse("device_group_detail", args=[group.pk])).status_code == 404
    assert login_as(world.users["client_admin_a"]).get(reverse("device_group_create")).status_code == 403


def test_clean_filter():
    assert services.clean_filter("?os=windows&status=offline&sort=-seen&page=3") == {
        "os": "windows",
        "status": "offline",
    }
    assert services.clean_filter({"q": "  front   desk ", "tag": "4"}) == {"q": "front desk", "tag": "4"}
    for bad in ("group=1", "client=abc", "status=asleep", {"kind": "toaster"}):
        with pytest.raises(ValidationError):
            services.clean_filter(bad)
