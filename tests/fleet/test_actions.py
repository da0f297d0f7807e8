"""Device actions: quarantine/release, revoke credential, watch, request inventory, edit, delete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from steward.core.models import AuditEntry
from steward.core.scoping import Scope
from steward.devices.models import WATCH_CHECKIN_SECONDS, Device, DeviceCredential, Tag
from steward.devices.services import fleet as services


def _actions(device: Device) -> list[str]:
    return list(
        AuditEntry.unscoped.filter(object_type="devices.device", object_id=str(device.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_quarantine_and_release(world, fleet, login_as):
    device = fleet["a1"]
    http = login_as(world.users["technician_a"])
    assert http.post(reverse("device_quarantine", args=[device.pk]), {"reason": ""}).status_code == 200
    response = http.post(reverse("device_quarantine", args=[device.pk]), {"reason": "Stolen laptop"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.quarantined_at is not None and device.quarantine_reason == "Stolen laptop"
    assert device.status == "quarantined"
    assert not DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).exists()
    assert DeviceCredential.objects.get(device=device).revoked_reason == "quarantine"
    assert "device_credentials_revoked" in _actions(device)
    update = AuditEntry.unscoped.filter(object_id=str(device.pk), action="update").last()
    assert update.changes["quarantine_reason"] == ["", "Stolen laptop"]
    html = http.get(reverse("device_detail", args=[device.pk])).content.decode()
    assert "Stolen laptop" in html and "Release" in html
    listing = http.get(reverse("device_list"), {"status": "quarantined"})
    assert [d.pk for d in listing.context["listing"].page.object_list] == [device.pk]

    assert http.post(reverse("device_release", args=[device.pk])).status_code == 302
    device.refresh_from_db()
    assert device.quarantined_at is None and device.quarantine_reason == ""
    assert device.status == "online"
    # The credential stays revoked: the agent enrolls again.
    assert not DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).exists()


def test_revoke_credential(world, fleet, login_as):
    device = fleet["a1"]
    http = login_as(world.users["provider_admin"])
    assert http.get(reverse("device_revoke", args=[device.pk])).status_code == 200
    assert http.post(reverse("device_revoke", args=[device.pk])).status_code == 302
    credential = DeviceCredential.objects.get(device=device)
    assert credential.revoked_at is not None
    assert _actions(device)[-1] == "device_credentials_revoked"
    assert (
        login_as(world.users["client_it_a"]).post(reverse("device_revoke", args=[device.pk])).status_code
        == 403
    )


def test_watch_sets_fast_check_ins_for_ten_minutes(world, fleet, login_as):
    device = fleet["a1"]
    before = timezone.now()
    response = login_as(world.users["client_it_a"]).post(reverse("device_watch", args=[device.pk]))
    assert response.status_code == 302
    device.refresh_from_db()
    assert (
        before + dt.timedelta(minutes=10) <= device.watch_until <= timezone.now() + dt.timedelta(minutes=10)
    )
    assert device.effective_interval() == WATCH_CHECKIN_SECONDS
    assert device.effective_interval(device.watch_until + dt.timedelta(seconds=1)) == device.checkin_interval
    assert _actions(device)[-1] == "device_watch"
    scope = Scope.for_user(world.users["provider_admin"])
    with pytest.raises(ValidationError):
        services.watch(scope, device, minutes=0)
    with pytest.raises(ValidationError):
        services.watch(scope, device, minutes=61)


def test_request_inventory(world, fleet, login_as):
    device = fleet["a1"]
    Device.unscoped.filter(pk=device.pk).update(want_inventory=False)
    assert (
        login_as(world.users["client_it_a"])
        .post(reverse("device_request_inventory", args=[device.pk]))
        .status_code
        == 302
    )
    device.refresh_from_db()
    assert device.want_inventory is True
    assert _actions(device)[-1] == "device_inventory_requested"


def test_edit_site_display_name_tags_notes(world, fleet, login_as):
    device = fleet["a2"]
    http = login_as(world.users["client_it_a"])
    response = http.post(
        reverse("device_edit", args=[device.pk]),
        {
            "display_name": "Backup server",
            "site": world.site_a.pk,
            "tags": "VIP, rack 2, vip",
            "notes": "Rack 2",
        },
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert (device.display_name, device.site_id, device.notes) == ("Backup server", world.site_a.pk, "Rack 2")
    assert sorted(device.tags.values_list("name", flat=True)) == ["VIP", "rack 2"]
    assert Tag.objects.filter(provider=world.provider).count() == 2
    # Another client's site is not even offered.
    response = http.post(reverse("device_edit", args=[device.pk]), {"site": world.site_b.pk, "tags": ""})
    assert response.status_code == 200 and "site" in response.context["form"].errors
    device.refresh_from_db()
    assert device.site_id == world.site_a.pk


def test_delete_is_for_provider_admins(world, fleet, login_as):
    device = fleet["a2"]
    assert (
        login_as(world.users["technician_a"]).post(reverse("device_delete", args=[device.pk])).status_code
        == 403
    )
    http = login_as(world.users["provider_admin"])
    assert http.get(reverse("device_delete", args=[device.pk])).status_code == 200
    assert http.post(reverse("device_delete", args=[device.pk])).status_code == 302
    assert not Device.unscoped.filter(pk=device.pk).exists()
    assert AuditEntry.unscoped.filter(object_id=str(device.pk), action="delete").exists()


def test_services_refuse_out_of_scope_devices(world, fleet):
    scope_a = Scope.for_user(world.users["technician_a"])
    with pytest.raises(Device.DoesNotExist):
        services.quarantine(scope_a, fleet["b1"], "nope")
    with pytest.raises(Device.DoesNotExist):
        services.watch(scope_a, fleet["b1"])
    with pytest.raises(PermissionDenied):
        services.quarantine(Scope.for_user(world.users["client_admin_a"]), fleet["a1"], "nope")
    fleet["b1"].refresh_from_db()
    assert fleet["b1"].quarantined_at is None and fleet["b1"].watch_until is None
