"""POST /api/agent/v1/enroll: tokens, credentials, reinstall, and the race for the last use."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from steward.core.models import AuditEntry
from steward.devices.models import Device, DeviceChange, DeviceCredential, DeviceFacts, EnrollmentToken
from tests.devices.conftest import Agent, Enrolled, enroll_body, identity, make_token


def test_enroll_creates_device_and_a_working_credential(agent: Agent, world: Any, token_a: Any) -> None:
    token, text = token_a
    response = agent.post("/enroll", enroll_body(text))
    assert response.status_code == 201
    data = response.json()
    assert data["reinstalled"] is False
    assert data["checkin_interval"] == 60
    assert data["credential"].startswith("dev_")

    device = Device.unscoped.get(uid=data["device_id"])
    assert device.client_id == world.client_a.pk
    assert device.site_id == world.site_a.pk
    assert device.hostname == "PC-001"
    assert device.os_family == "windows"
    assert device.hardware_uuid.endswith("000000000001")
    assert device.want_inventory is True
    assert device.enrolled_with_id == token.pk
    assert DeviceFacts.unscoped.filter(device=device).exists()
    assert list(DeviceChange.unscoped.filter(device=device).values_list("category", "summary")) == [
        ("agent", "Enrolled")
    ]

    # Stored only hashed.
    cred = DeviceCredential.objects.get(device=device)
    assert cred.secret_hash == hashlib.sha256(data["credential"].encode()).hexdigest()
    assert data["credential"] not in str(DeviceCredential.objects.filter(device=device).values().first())
    assert data["credential"].split("_")[1] == cred.prefix

    token.refresh_from_db()
    assert token.uses == 1
    assert token.last_used_at is not None

    # The credential works.
    checkin = agent.checkin(Enrolled(device.uid, data["credential"], False, identity(1)))
    assert checkin.status_code == 200, checkin.content


def test_enrollment_is_attributed_to_the_token(agent: Agent, token_a: Any) -> None:
    token, text = token_a
    enrolled = agent.enroll(text)
    entry = AuditEntry.unscoped.get(
        object_type="devices.device", object_id=str(enrolled.device.pk), action="create"
    )
    assert entry.actor_type == "system"
    assert entry.actor_label == f"enroll-token:{token.prefix}"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("expired", "enrollment token has expired"),
        ("revoked", "enrollment token has been revoked"),
        ("used_up", "enrollment token has been used up"),
        ("unknown", "unknown enrollment token"),
        ("wrong_secret", "unknown enrollment token"),
        ("garbage", "unknown enrollment token"),
    ],
)
def test_invalid_tokens_are_refused(agent: Agent, world: Any, kind: str, message: str) -> None:
    if kind == "expired":
        _, text = make_token(world.client_a, expires_in=dt.timedelta(seconds=-1))
    elif kind == "revoked":
        _, text = make_token(world.client_a, revoked=True)
    elif kind == "used_up":
        token, text = make_token(world.client_a, max_uses=1)
        EnrollmentToken.unscoped.filter(pk=token.pk).update(uses=1)
    elif kind == "unknown":
        text = "ste_0123abcd_" + "x" * 43
    elif kind == "wrong_secret":
        token, real = make_token(world.client_a)
        text = real[:-4] + "AAAA"
    else:
        text = "not a token at all"
    response = agent.post("/enroll", enroll_body(text))
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert not Device.unscoped.exists()


def test_last_use_goes_to_one_agent_only(agent: Agent, world: Any) -> None:
    token, text = make_token(world.client_a, max_uses=2)
    agent.enroll(text, 1)
    agent.enroll(text, 2)
    response = agent.post("/enroll", enroll_body(text, 3))
    assert response.status_code == 401
    assert response.json()["detail"] == "enrollment token has been used up"
    token.refresh_from_db()
    assert token.uses == 2
    assert Device.unscoped.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_agents_racing_for_the_last_use(world: Any) -> None:
    """Real concurrency: two threads, two connections, one use left. Exactly one wins."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the concurrent race is proven on PostgreSQL")
    token, text = make_token(world.client_a, max_uses=1)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def run(n: int) -> None:
        try:
            http = HttpClient()
            barrier.wait()
            statuses.append(
                http.post(
                    "/api/agent/v1/enroll", enroll_body(text, n), content_type="application/json"
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201, 401]
    token.refresh_from_db()
    assert token.uses == 1
    assert Device.unscoped.count() == 1


def test_many_racers_one_token_postgres_style_conditional_update(world: Any) -> None:
    """The redeem is one conditional UPDATE: a stale in-memory token cannot count a use twice."""
    from steward.devices.services.enrollment import _redeem

    token, _ = make_token(world.client_a, max_uses=1)
    stale = EnrollmentToken.unscoped.get(pk=token.pk)
    now = timezone.now()
    assert _redeem(token, now) is True
    assert _redeem(stale, now) is False
    token.refresh_from_db()
    assert token.uses == 1


def test_reinstall_takes_over_the_same_device(agent: Agent, token_a: Any) -> None:
    _, text = token_a
    first = agent.enroll(text)
    assert agent.checkin(first).status_code == 200
    second = agent.enroll(text, agent_version="0.2.0")
    assert second.reinstalled is True
    assert second.device_id == first.device_id
    assert Device.unscoped.count() == 1
    device = second.device
    assert device.agent_version == "0.2.0"
    assert device.want_inventory is True
    # The old credential is revoked, the new one works.
    old = agent.checkin(first)
    assert old.status_code == 401
    assert agent.checkin(second, agent_version="0.2.0").status_code == 200
    summaries = list(DeviceChange.unscoped.filter(device=device).values_list("summary", flat=True))
    assert any(s.startswith("Agent reinstalled") for s in summaries)
    revoked = DeviceCredential.objects.get(prefix=first.credential.split("_")[1])
    assert revoked.revoked_reason == "agent reinstalled"


@pytest.mark.parametrize(
    ("first_ident", "second_ident"),
    [
        (
            {"machine_id": "", "hardware_uuid": ""},
            {"machine_id": "", "hardware_uuid": ""},
        ),  # serial + hostname
        ({"hardware_uuid": ""}, {"hardware_uuid": ""}),  # machine id
    ],
)
def test_reinstall_matches_weaker_identities(
    agent: Agent, token_a: Any, first_ident: dict[str, str], second_ident: dict[str, str]
) -> None:
    _, text = token_a
    first = agent.enroll(text, identity=identity(1, **first_ident))
    second = agent.enroll(text, identity=identity(1, **second_ident))
    assert second.reinstalled is True
    assert second.device_id == first.device_id


def test_same_machine_in_another_client_is_a_new_device(agent: Agent, world: Any, token_a: Any) -> None:
    first = agent.enroll(token_a[1])
    _, text_b = make_token(world.client_b)
    other = agent.enroll(text_b)
    assert other.reinstalled is False
    assert other.device_id != first.device_id
    assert other.device.client_id == world.client_b.pk


def test_quarantined_device_cannot_be_reinstalled(agent: Agent, token_a: Any) -> None:
    token, text = token_a
    first = agent.enroll(text)
    Device.unscoped.filter(uid=first.device_id).update(quarantined_at=timezone.now())
    response = agent.post("/enroll", enroll_body(text))
    assert response.status_code == 403
    assert response.json() == {"detail": "device is quarantined"}
    token.refresh_from_db()
    assert token.uses == 1  # the refused attempt did not use the token up
    assert DeviceCredential.objects.filter(device__uid=first.device_id, revoked_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"token": "ste_0123abcd_xxxxxxxxxxxxxxxxxxxxxxxxxxxx"', 400),  # truncated
        (b"[]", 422),
        (b'{"token": "short"}', 422),
    ],
)
def test_enroll_rejects_bad_bodies(agent: Agent, world: Any, body: bytes, status: int) -> None:
    response = agent.post("/enroll", raw=body)
    assert response.status_code == status
    assert "detail" in response.json()


def test_enroll_body_size_limit(agent: Agent, token_a: Any) -> None:
    body = enroll_body(token_a[1], agent_version="x" * 20_000)
    response = agent.post("/enroll", body)
    assert response.status_code == 413


def test_database_trouble_answers_503_not_500(
    agent: Agent, token_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from steward.devices.services import enrollment

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(enrollment, "enroll", locked)
    response = agent.post("/enroll", enroll_body(token_a[1]))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
