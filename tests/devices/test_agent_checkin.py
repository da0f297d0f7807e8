"""POST /api/agent/v1/checkin (and GET /ping): heartbeats, bad input, credentials, clones."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.utils import timezone

from steward.devices.models import Device, DeviceChange, DeviceCredential, MetricSample
from tests.devices.conftest import Agent, Enrolled, age_cache, heartbeat_body, identity, make_token


def samples(device_id: uuid.UUID) -> list[MetricSample]:
    return list(MetricSample.unscoped.filter(device__uid=device_id).order_by("pk"))


def test_ping_answers_without_the_database(agent: Agent) -> None:
    # No database fixture: any query would raise "Database access not allowed".
    response = agent.http.get("/api/agent/v1/ping")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_checkin_stores_a_sample_and_the_hot_columns(agent: Agent, enrolled: Enrolled) -> None:
    before = timezone.now()
    response = agent.checkin(enrolled)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["interval_seconds"] == 60
    assert data["want_inventory"] is True  # a new device has not sent its inventory yet
    assert data["duplicate"] is False
    assert data["new_device_id"] is None

    [sample] = samples(enrolled.device_id)
    assert sample.cpu_percent == 12.5
    assert sample.memory_percent == 25.0
    assert sample.disk_percent == 90.0  # the fullest volume (D: 180 of 200 GiB)
    assert abs(sample.ts - int(before.timestamp())) <= 2

    device = enrolled.device
    assert device.last_seen_at is not None and device.last_seen_at >= before - dt.timedelta(seconds=1)
    assert device.cpu_percent == 12.5
    assert device.memory_percent == 25.0
    assert device.disk_percent == 90.0
    assert device.uptime_seconds == 3600
    assert device.pending_reboot is False
    assert device.last_heartbeat["logged_in_users"] == ["alice"]
    assert [v["mount"] for v in device.last_heartbeat["volumes"]] == ["C:", "D:"]
    assert device.status == "online"


def test_watch_mode_answers_five_seconds(agent: Agent, enrolled: Enrolled) -> None:
    Device.unscoped.filter(uid=enrolled.device_id).update(
        watch_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert agent.checkin(enrolled).json()["interval_seconds"] == 5
    Device.unscoped.filter(uid=enrolled.device_id).update(
        watch_until=timezone.now() - dt.timedelta(seconds=1)
    )
    age_cache()  # the cached state is re-read once older than the TTL (5 s)
    assert agent.checkin(enrolled).json()["interval_seconds"] == 60


def test_want_inventory_on_flag_or_hash_mismatch(agent: Agent, enrolled: Enrolled) -> None:
    Device.unscoped.filter(uid=enrolled.device_id).update(want_inventory=False, inventory_hash="a" * 64)
    assert agent.checkin(enrolled, inventory_hash="a" * 64).json()["want_inventory"] is False
    assert agent.checkin(enrolled, inventory_hash="b" * 64).json()["want_inventory"] is True
    assert agent.checkin(enrolled, inventory_hash=None).json()["want_inventory"] is False
    Device.unscoped.filter(uid=enrolled.device_id).update(want_inventory=True)
    age_cache()
    assert agent.checkin(enrolled, inventory_hash="a" * 64).json()["want_inventory"] is True


def test_replayed_heartbeat_is_stored_once(agent: Agent, enrolled: Enrolled) -> None:
    body = heartbeat_body(enrolled.device_id, enrolled.ident)
    first = agent.post("/checkin", body, credential=enrolled.credential)
    second = agent.post("/checkin", body, credential=enrolled.credential)
    assert first.status_code == second.status_code == 200
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True
    assert len(samples(enrolled.device_id)) == 1


def test_hostname_and_agent_version_changes_are_history(agent: Agent, enrolled: Enrolled) -> None:
    agent.checkin(enrolled)
    agent.checkin(enrolled, identity=identity(1, hostname="PC-RENAMED"), agent_version="0.2.0")
    device = enrolled.device
    assert device.hostname == "PC-RENAMED"
    assert device.agent_version == "0.2.0"
    summaries = set(DeviceChange.unscoped.filter(device=device).values_list("summary", flat=True))
    assert "Hostname changed PC-001 → PC-RENAMED" in summaries
    assert "Agent updated 0.1.0 → 0.2.0" in summaries


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [
        (b"{this is not json", 400, "the body is not valid JSON"),
        (b'{"message_id": "6f1c', 400, "the body is not valid JSON"),  # truncated
        (b"\xff\xfe\x00garbage", 400, "the body is not valid JSON"),
        (b"   ", 400, "the body is not valid JSON"),
        (b"[1, 2, 3]", 422, None),
        (b'"a string"', 422, None),
    ],
)
def test_malformed_bodies(
    agent: Agent, enrolled: Enrolled, raw: bytes, status: int, detail: str | None
) -> None:
    response = agent.post("/checkin", raw=raw, credential=enrolled.credential)
    assert response.status_code == status
    if detail:
        assert response.json() == {"detail": detail}
    else:
        assert response.json()["errors"][0]["message"] == "The request body must be a JSON object."
    assert samples(enrolled.device_id) == []


def test_wrong_types_answer_422_with_field_errors(agent: Agent, enrolled: Enrolled) -> None:
    body = heartbeat_body(enrolled.device_id, enrolled.ident, cpu_percent="very busy", uptime_seconds=-5)
    body["volumes"][0]["total_bytes"] = "lots"
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"cpu_percent", "uptime_seconds", "volumes.0.total_bytes"} <= fields
    assert response.json()["detail"].startswith("Invalid Heartbeat:")


def test_out_of_range_and_missing_fields_answer_422(agent: Agent, enrolled: Enrolled) -> None:
    body = heartbeat_body(enrolled.device_id, enrolled.ident, cpu_percent=250)
    del body["message_id"]
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["message_id"] == "This field is required."
    assert "cpu_percent" in errors


def test_extra_fields_are_refused(agent: Agent, enrolled: Enrolled) -> None:
    body = heartbeat_body(enrolled.device_id, enrolled.ident, is_admin=True)
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "is_admin", "message": "Unknown field."}]


def test_oversized_body_is_refused_before_parsing(agent: Agent, enrolled: Enrolled) -> None:
    body = heartbeat_body(enrolled.device_id, enrolled.ident, logged_in_users=["x" * 128] * 64)
    body["padding"] = "y" * 70_000
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 413
    assert "larger than 65536 bytes" in response.json()["detail"]
    assert samples(enrolled.device_id) == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_content_type_is_refused(agent: Agent, enrolled: Enrolled, content_type: str) -> None:
    body = json.dumps(heartbeat_body(enrolled.device_id, enrolled.ident))
    response = agent.post("/checkin", raw=body, credential=enrolled.credential, content_type=content_type)
    assert response.status_code == 415
    assert response.json() == {"detail": "send the body as application/json"}


def test_json_with_charset_is_fine(agent: Agent, enrolled: Enrolled) -> None:
    body = json.dumps(heartbeat_body(enrolled.device_id, enrolled.ident))
    response = agent.post(
        "/checkin", raw=body, credential=enrolled.credential, content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200


def test_get_on_checkin_is_not_allowed(agent: Agent, enrolled: Enrolled) -> None:
    assert agent.http.get("/api/agent/v1/checkin").status_code == 405


# --- credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Device",
        "Device garbage",
        "Bearer dev_0123abcd_" + "x" * 43,
        "Device dev_0123abcd_" + "x" * 43,  # well-formed, unknown
        "Device ste_0123abcd_" + "x" * 43,  # an enrollment token is not a credential
    ],
)
def test_missing_or_bad_credentials(agent: Agent, enrolled: Enrolled, header: str | None) -> None:
    body = heartbeat_body(enrolled.device_id, enrolled.ident)
    headers = {"Authorization": header} if header is not None else {}
    response = agent.post("/checkin", body, headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Device")
    assert samples(enrolled.device_id) == []


def test_wrong_secret_with_a_known_prefix(agent: Agent, enrolled: Enrolled) -> None:
    assert agent.checkin(enrolled).status_code == 200  # the real credential is now cached
    forged = Enrolled(enrolled.device_id, enrolled.credential[:-6] + "AAAAAA", False, enrolled.ident)
    assert agent.checkin(forged).status_code == 401
    assert len(samples(enrolled.device_id)) == 1


def test_revoked_credential_is_refused_once_the_cached_state_expires(
    agent: Agent, enrolled: Enrolled, django_assert_max_num_queries: Any
) -> None:
    assert agent.checkin(enrolled).status_code == 200  # cached as good
    DeviceCredential.objects.filter(device__uid=enrolled.device_id).update(revoked_at=timezone.now())
    # Within the TTL (5 s) the cached state stands: that is the documented trade-off.
    assert agent.checkin(enrolled).status_code == 200
    age_cache(6)
    response = agent.checkin(enrolled)
    assert response.status_code == 401
    assert response.json() == {"detail": "unknown or revoked device credential"}
    assert len(samples(enrolled.device_id)) == 2
    with django_assert_max_num_queries(0):
        assert agent.checkin(enrolled).status_code == 401  # now refused from the cache


def test_quarantined_device_is_refused(agent: Agent, enrolled: Enrolled) -> None:
    assert agent.checkin(enrolled).status_code == 200
    Device.unscoped.filter(uid=enrolled.device_id).update(quarantined_at=timezone.now())
    age_cache(6)
    response = agent.checkin(enrolled)
    assert response.status_code == 403
    assert response.json() == {"detail": "device is quarantined"}
    assert len(samples(enrolled.device_id)) == 1
    # Quarantine usually revokes the credential too: the agent still learns why.
    DeviceCredential.objects.filter(device__uid=enrolled.device_id).update(revoked_at=timezone.now())
    age_cache(6)
    assert agent.checkin(enrolled).status_code == 403
    # Released (and a new credential issued by the fleet service): the refusal is not
    # remembered past the TTL.
    Device.unscoped.filter(uid=enrolled.device_id).update(quarantined_at=None)
    DeviceCredential.objects.filter(device__uid=enrolled.device_id).update(revoked_at=None)
    age_cache(6)
    assert agent.checkin(enrolled).status_code == 200


def test_warm_check_in_does_not_read_the_credential(
    agent: Agent, enrolled: Enrolled, django_assert_num_queries: Any
) -> None:
    """A cached credential with fresh state: the only queries are the writer's three writes."""
    assert agent.checkin(enrolled).status_code == 200
    with django_assert_num_queries(4):  # savepoint, INSERT samples, UPDATE devices, release
        assert agent.checkin(enrolled).status_code == 200


def test_credential_of_client_a_cannot_write_to_a_device_of_client_b(
    agent: Agent, world: Any, enrolled: Enrolled
) -> None:
    _, text_b = make_token(world.client_b)
    device_b = agent.enroll(text_b, 7)
    body = heartbeat_body(device_b.device_id, device_b.ident, cpu_percent=99.0)
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 403
    assert response.json() == {"detail": "device_id does not match the credential's device"}
    assert samples(device_b.device_id) == []
    assert samples(enrolled.device_id) == []
    b = device_b.device
    assert b.last_seen_at is None
    assert b.cpu_percent is None


# --- clones -------------------------------------------------------------------------------


def test_clone_gets_its_own_device_and_credential(agent: Agent, world: Any, enrolled: Enrolled) -> None:
    assert agent.checkin(enrolled).status_code == 200
    clone_ident = identity(2, hostname="PC-001-CLONE", machine_id="machine-0001")
    body = heartbeat_body(enrolled.device_id, clone_ident, cpu_percent=77.0)
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["new_device_id"] and data["new_credential"].startswith("dev_")
    assert data["want_inventory"] is True

    original = enrolled.device
    clone = Device.unscoped.get(uid=data["new_device_id"])
    assert clone.pk != original.pk
    assert clone.cloned_from_id == original.pk
    assert (clone.client_id, clone.site_id) == (world.client_a.pk, world.site_a.pk)
    assert clone.hostname == "PC-001-CLONE"
    assert clone.hardware_uuid == clone_ident["hardware_uuid"]
    # The clone's heartbeat is the clone's, not the original's.
    assert [s.cpu_percent for s in samples(clone.uid)] == [77.0]
    assert [s.cpu_percent for s in samples(original.uid)] == [12.5]
    assert DeviceChange.unscoped.filter(device=original, summary__startswith="Clone detected").exists()
    assert DeviceChange.unscoped.filter(device=clone, summary__startswith="Registered as a clone").exists()

    # The original keeps its credential; the clone uses its new one.
    assert agent.checkin(enrolled).status_code == 200
    clone_agent = Enrolled(clone.uid, data["new_credential"], False, clone_ident)
    follow_up = agent.checkin(clone_agent)
    assert follow_up.status_code == 200
    assert follow_up.json()["new_device_id"] is None


def test_clone_asking_again_gets_the_same_record(agent: Agent, enrolled: Enrolled) -> None:
    """The answer with the new credential was lost: the clone retries with the old one."""
    clone_ident = identity(2)
    first = agent.post(
        "/checkin", heartbeat_body(enrolled.device_id, clone_ident), credential=enrolled.credential
    )
    again = agent.post(
        "/checkin", heartbeat_body(enrolled.device_id, clone_ident), credential=enrolled.credential
    )
    assert first.json()["new_device_id"] == again.json()["new_device_id"]
    assert Device.unscoped.count() == 2
    # Only the newest credential of the clone is live.
    old = Enrolled(
        uuid.UUID(first.json()["new_device_id"]), first.json()["new_credential"], False, clone_ident
    )
    new = Enrolled(
        uuid.UUID(again.json()["new_device_id"]), again.json()["new_credential"], False, clone_ident
    )
    assert agent.checkin(old).status_code == 401
    assert agent.checkin(new).status_code == 200


def test_unknown_identity_is_not_a_clone(agent: Agent, enrolled: Enrolled) -> None:
    """A collector that could not read the SMBIOS UUID reports "": not a different machine."""
    response = agent.checkin(enrolled, identity=identity(1, hardware_uuid=""))
    assert response.status_code == 200
    assert response.json()["new_device_id"] is None
    assert Device.unscoped.count() == 1


def test_the_schema_describes_the_agent_endpoints(agent: Agent, db: None) -> None:
    response = agent.http.get("/api/agent/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {"/api/agent/v1/enroll", "/api/agent/v1/checkin", "/api/agent/v1/inventory"}
    assert "503" in paths["/api/agent/v1/checkin"]["post"]["responses"]


def test_credential_copied_onto_an_enrolled_machine_goes_back_to_that_machine(
    agent: Agent, token_a: Any, enrolled: Enrolled
) -> None:
    """Machine 2 has its own record; someone copied machine 1's agent state onto it."""
    machine_2 = agent.enroll(token_a[1], 2)
    body = heartbeat_body(enrolled.device_id, machine_2.ident)
    response = agent.post("/checkin", body, credential=enrolled.credential)
    assert response.status_code == 200
    assert response.json()["new_device_id"] == str(machine_2.device_id)
    assert Device.unscoped.count() == 2
    assert agent.checkin(machine_2).status_code == 401  # its old credential was re-issued
    again = Enrolled(machine_2.device_id, response.json()["new_credential"], False, machine_2.ident)
    assert agent.checkin(again).status_code == 200
    assert agent.checkin(enrolled).status_code == 200  # machine 1 is untouched
