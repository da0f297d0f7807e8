"""Enrollment: an agent redeems an enrollment token and gets a device credential.

The token's use is counted with one conditional ``UPDATE`` (``uses < max_uses``) inside the
enrollment transaction: of two agents racing for the last use exactly one matches the row
(PostgreSQL re-checks the condition after the row lock; SQLite serialises writers), and a
failed enrollment rolls the use back.

A machine that enrolls again (agent reinstalled, disk re-imaged with the same hardware) is
recognised within the token's client by its SMBIOS UUID, else its OS machine id, else serial
number + hostname: its device record is taken over (old credentials revoked) instead of
creating a duplicate. A quarantined device cannot be taken over this way.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from steward.core import audit
from steward.devices.models import Device, DeviceChange, DeviceFacts, EnrollmentToken
from steward.devices.services import AgentError
from steward.devices.services import credentials as creds
from steward.devices.services.tokens import hash_token, split_token
from steward_protocol.messages import DeviceIdentity, EnrollRequest, EnrollResponse


@dataclass(frozen=True)
class Enrolled:
    device: Device
    credential: str
    reinstalled: bool

    def response(self) -> EnrollResponse:
        return EnrollResponse(
            device_id=self.device.uid,
            credential=self.credential,
            checkin_interval=self.device.effective_interval(),
            reinstalled=self.reinstalled,
        )


def _find_token(text: str) -> EnrollmentToken:
    prefix = split_token(text)
    token = EnrollmentToken.unscoped.filter(prefix=prefix).first() if prefix else None
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(text)):
        raise AgentError(401, "unknown enrollment token")
    return token


def _refusal(token: EnrollmentToken) -> AgentError:
    status = token.status
    reason = {"revoked": "has been revoked", "expired": "has expired", "used up": "has been used up"}
    return AgentError(401, f"enrollment token {reason.get(status, 'is not valid')}")


def _redeem(token: EnrollmentToken, now: dt.datetime) -> bool:
    """Count one use if the token is still valid; False if another enrollment got there first."""
    updated = (
        EnrollmentToken.unscoped.filter(pk=token.pk, revoked_at__isnull=True, expires_at__gt=now)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1, last_used_at=now)
    )
    return updated == 1


def find_same_machine(client_id: int, identity: DeviceIdentity) -> Device | None:
    """The client's device that is this machine (reinstall), by the strongest identity known."""
    devices = Device.unscoped.filter(client_id=client_id)
    if identity.hardware_uuid:
        devices = devices.filter(hardware_uuid__iexact=identity.hardware_uuid)
    elif identity.machine_id:
        devices = devices.filter(machine_id__iexact=identity.machine_id)
    elif identity.serial_number and identity.hostname:
        devices = devices.filter(serial_number=identity.serial_number, hostname__iexact=identity.hostname)
    else:
        return None
    return devices.order_by(F("last_seen_at").desc(nulls_last=True), "-pk").first()


def enroll(request: EnrollRequest, *, origin: audit.Actor | None = None) -> Enrolled:
    """Redeem the token and register (or take over) the device; raises :class:`AgentError`."""
    token = _find_token(request.token)
    if token.status != "active":
        raise _refusal(token)
    actor = audit.Actor.system(f"enroll-token:{token.prefix}")
    if origin is not None:
        actor = replace(actor, ip=origin.ip, user_agent=origin.user_agent, request_id=origin.request_id)
    now = timezone.now()
    ident = request.identity
    with audit.acting_as(actor), transaction.atomic():
        if not _redeem(token, now):
            token.refresh_from_db()
            raise _refusal(token)
        device = find_same_machine(token.client_id, ident)
        reinstalled = device is not None
        if device is not None:
            if device.quarantined_at is not None:
                raise AgentError(403, creds.QUARANTINED)  # rolls the token use back
            creds.revoke_credentials(device.pk, "agent reinstalled", now=now)
            device.hostname = ident.hostname
            device.os_family = request.os_family
            device.agent_version = request.agent_version
            device.machine_id = ident.machine_id or device.machine_id
            device.hardware_uuid = ident.hardware_uuid or device.hardware_uuid
            device.serial_number = ident.serial_number or device.serial_number
            device.enrolled_with = token
            device.want_inventory = True
            device.save()
            summary = f"Agent reinstalled (enrollment token {token.name})"
        else:
            device = Device.unscoped.create(
                client_id=token.client_id,
                site_id=token.site_id,
                hostname=ident.hostname,
                os_family=request.os_family,
                agent_version=request.agent_version,
                machine_id=ident.machine_id,
                hardware_uuid=ident.hardware_uuid,
                serial_number=ident.serial_number,
                enrolled_at=now,
                enrolled_with=token,
                want_inventory=True,
            )
            DeviceFacts.unscoped.create(device=device)
            summary = "Enrolled"
        DeviceChange.unscoped.create(
            device=device,
            at=now,
            category=DeviceChange.Category.AGENT,
            summary=summary[:255],
            details={"token": token.prefix, "agent_version": request.agent_version},
        )
        credential = creds.issue_credential(device)
    return Enrolled(device=device, credential=credential, reinstalled=reinstalled)
