"""The fleet REST API: lists and filters, detail, PATCH, actions, tokens, groups, bad input."""

from __future__ import annotations

import hashlib

import pytest

from steward.devices.models import Device, DeviceCredential, DeviceGroup, EnrollmentToken


def test_list_and_filters(world, fleet, api_as):
    api = api_as(world.users["provider_admin"])
    body = api.get("/devices").json()
    assert body["count"] == 3
    assert {row["hostname"] for row in body["results"]} == {"ALPHA-PC-01", "alpha-srv", "BRAVO-SECRET-PC"}
    row = next(r for r in body["results"] if r["hostname"] == "alpha-srv")
    assert row["status"] == "offline" and row["tags"] == []
    for params, expected in (
        ({"os_family": "linux"}, ["alpha-srv"]),
        ({"status": "online", "client_id": world.client_a.pk}, ["ALPHA-PC-01"]),
        ({"site_id": world.site_b.pk}, ["BRAVO-SECRET-PC"]),
        ({"kind": "server"}, ["alpha-srv"]),
        ({"q": "bravo"}, ["BRAVO-SECRET-PC"]),
        ({"ordering": "last_seen_at", "limit": 1}, ["alpha-srv"]),
    ):
        found = [r["hostname"] for r in api.get("/devices", params).json()["results"]]
        if "ordering" not in params:
            found.sort()
        assert found == expected, params
    client_api = api_as(world.users["client_admin_a"])
    assert client_api.get("/devices").json()["count"] == 2
    assert client_api.get("/devices", {"client_id": world.client_b.pk}).json()["count"] == 0


@pytest.mark.parametrize(
    "params",
    [{"status": "asleep"}, {"os_family": "beos"}, {"limit": 0}, {"client_id": "x"}, {"ordering": "uid"}],
)
def test_list_bad_input_is_422(world, fleet, api_as, params):
    assert api_as(world.users["provider_admin"]).get("/devices", params).status_code == 422


def test_detail_and_sub_resources(world, fleet, api_as):
    api = api_as(world.users["client_admin_a"])
    pk = fleet["a1"].pk
    detail = api.get(f"/devices/{pk}").json()
    assert detail["facts"]["cpu_model"] == "Intel Core i7"
    assert detail["last_heartbeat"]["logged_in_users"] == ["alice.alpha"]
    software = api.get(f"/devices/{pk}/software", {"q": "chrome"}).json()
    assert [s["name"] for s in software["results"]] == ["Google Chrome"]
    assert api.get(f"/devices/{pk}/updates").json()["results"][0]["update_id"] == "KB5034441"
    changes = api.get(f"/devices/{pk}/changes", {"category": "security"}).json()
    assert [c["summary"] for c in changes["results"]] == ["BitLocker turned on"]
    assert api.get(f"/devices/{pk}/changes", {"category": "nope"}).status_code == 422
    metrics = api.get(f"/devices/{pk}/metrics", {"hours": 2}).json()
    assert metrics["resolution"] == 0 and len(metrics["points"]) == 60
    assert api.get(f"/devices/{pk}/metrics", {"hours": 0}).status_code == 422


@pytest.mark.parametrize(
    "path", ["/devices/{b}", "/devices/{b}/software", "/devices/999999", "/devices/99999999999999999999"]
)
def test_other_and_unknown_devices_are_404(world, fleet, api_as, path):
    api = api_as(world.users["client_it_a"])
    assert api.get(path.format(b=fleet["b1"].pk)).status_code == 404


def test_patch(world, fleet, api_as):
    api = api_as(world.users["client_it_a"])
    pk = fleet["a2"].pk
    response = api.send(
        "PATCH",
        f"/devices/{pk}",
        {"display_name": "Backup", "site_id": world.site_a.pk, "tags": ["VIP"], "notes": "n"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["display_name"], body["site_id"], body["tags"], body["notes"]) == (
        "Backup",
        world.site_a.pk,
        ["VIP"],
        "n",
    )
    assert api.send("PATCH", f"/devices/{pk}", {"site_id": None}).json()["site_id"] is None
    for bad in (
        {"site_id": world.site_b.pk},
        {"display_name": None},
        {"display_name": "x" * 129},
        {"hostname": "evil"},
        {"tags": ["x" * 51]},
        {"site_id": "1"},
    ):
        response = api.send("PATCH", f"/devices/{pk}", bad)
        assert response.status_code == 422, (bad, response.content)
    assert api.send("PATCH", f"/devices/{pk}", raw="{not json").status_code == 400
    assert (
        api_as(world.users["client_admin_a"]).send("PATCH", f"/devices/{pk}", {"notes": "x"}).status_code
        == 403
    )


def test_actions(world, fleet, api_as):
    api = api_as(world.users["technician_a"])
    pk = fleet["a1"].pk
    assert api.send("POST", f"/devices/{pk}/quarantine", {}).status_code == 422
    response = api.send("POST", f"/devices/{pk}/quarantine", {"reason": "Malware"})
    assert response.status_code == 200 and response.json()["status"] == "quarantined"
    assert not DeviceCredential.objects.filter(device_id=pk, revoked_at__isnull=True).exists()
    assert api.send("POST", f"/devices/{pk}/watch", {}).status_code == 422  # quarantined
    assert api.send("POST", f"/devices/{pk}/release").json()["quarantined_at"] is None
    watched = api.send("POST", f"/devices/{pk}/watch", {"minutes": 5})
    assert watched.status_code == 200 and watched.json()["watch_until"]
    assert api.send("POST", f"/devices/{pk}/watch", {"minutes": 500}).status_code == 422
    Device.unscoped.filter(pk=pk).update(want_inventory=False)
    assert api.send("POST", f"/devices/{pk}/request-inventory").json()["want_inventory"] is True
    client_admin = api_as(world.users["client_admin_a"])
    assert client_admin.send("POST", f"/devices/{pk}/quarantine", {"reason": "x"}).status_code == 403
    assert api.send("POST", f"/devices/{fleet['b1'].pk}/quarantine", {"reason": "x"}).status_code == 404
    assert api.send("DELETE", f"/devices/{pk}").status_code == 403
    assert api_as(world.users["provider_admin"]).send("DELETE", f"/devices/{pk}").status_code == 204


def test_end_user_has_no_devices(world, fleet, api_as):
    # End users have no API tokens at all (no tokens.use) — through the session they get 403.
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(world.users["end_user_a"], backend="steward.core.auth.EmailBackend")
    assert http.get("/api/v1/devices").status_code == 403
    assert http.get(f"/api/v1/devices/{fleet['a1'].pk}").status_code == 403


def test_enrollment_tokens(world, api_as, settings):
    settings.SITE_URL = "https://steward.example"
    api = api_as(world.users["client_it_a"])
    response = api.send(
        "POST", "/enrollment-tokens", {"client_id": world.client_a.pk, "name": "Laptops", "max_uses": 3}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    token = EnrollmentToken.unscoped.get(pk=created["id"])
    assert token.token_hash == hashlib.sha256(created["secret"].encode()).hexdigest()
    assert (
        created["command"]
        == f"steward-agent enroll --server https://steward.example --token {created['secret']}"
    )
    shown = api.get(f"/enrollment-tokens/{token.pk}").json()
    assert "secret" not in shown and shown["status"] == "active"
    assert api.get("/enrollment-tokens").json()["count"] == 1
    for bad in (
        {"client_id": world.client_b.pk, "name": "x"},
        {"client_id": world.client_a.pk, "site_id": world.site_b.pk, "name": "x"},
        {"client_id": world.client_a.pk, "name": ""},
        {"client_id": world.client_a.pk, "name": "x", "days": 0},
        {"client_id": world.client_a.pk, "name": "x", "days": "7"},
        {"name": "x"},
    ):
        assert api.send("POST", "/enrollment-tokens", bad).status_code == 422, bad
    assert api.send("DELETE", f"/enrollment-tokens/{token.pk}").status_code == 204
    assert api.get(f"/enrollment-tokens/{token.pk}").json()["status"] == "revoked"
    assert api.get("/enrollment-tokens", {"active": "true"}).json()["count"] == 0
    assert api_as(world.users["client_it_b"]).get(f"/enrollment-tokens/{token.pk}").status_code == 404
    assert api_as(world.users["client_admin_a"]).get("/enrollment-tokens").status_code == 403


def test_device_groups(world, fleet, api_as):
    api = api_as(world.users["client_it_a"])
    response = api.send(
        "POST",
        "/device-groups",
        {"name": "Linux", "kind": "dynamic", "client_id": world.client_a.pk, "filter": {"os": "linux"}},
    )
    assert response.status_code == 201, response.content
    dynamic = response.json()
    members = api.get(f"/device-groups/{dynamic['id']}/devices").json()
    assert [m["hostname"] for m in members["results"]] == ["alpha-srv"]
    static = api.send(
        "POST",
        "/device-groups",
        {"name": "Desk", "client_id": world.client_a.pk, "device_ids": [fleet["a1"].pk]},
    ).json()
    assert api.get(f"/device-groups/{static['id']}/devices").json()["count"] == 1
    patched = api.send(
        "PATCH", f"/device-groups/{static['id']}", {"device_ids": [fleet["a1"].pk, fleet["a2"].pk]}
    )
    assert patched.status_code == 200
    assert api.get(f"/device-groups/{static['id']}/devices").json()["count"] == 2
    assert api.get("/devices", {"group_id": static["id"]}).json()["count"] == 2
    for bad in (
        {"name": "x", "client_id": world.client_a.pk, "device_ids": [fleet["b1"].pk]},
        {"name": "x", "client_id": world.client_a.pk, "kind": "dynamic", "filter": {"os": "beos"}},
        {"name": "x", "client_id": world.client_a.pk, "kind": "dynamic", "filter": {"group": "1"}},
        {"name": "x"},  # client users cannot make provider-wide groups
        {"name": "x", "client_id": world.client_b.pk},
        {"name": "", "client_id": world.client_a.pk},
    ):
        assert api.send("POST", "/device-groups", bad).status_code == 422, bad
    assert api.send("DELETE", f"/device-groups/{dynamic['id']}").status_code == 204
    assert not DeviceGroup.unscoped.filter(pk=dynamic["id"]).exists()
    assert (
        api_as(world.users["client_admin_a"]).send("DELETE", f"/device-groups/{static['id']}").status_code
        == 403
    )
    assert api_as(world.users["client_it_b"]).get(f"/device-groups/{static['id']}").status_code == 404
