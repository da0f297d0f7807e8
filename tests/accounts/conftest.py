"""Fixtures for the sign-in, MFA, password and token tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from steward.core.models import MfaDevice, User
from steward.core.services import security


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    """Argon2 is tested elsewhere; here it would only make every sign-in slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Enrolment:
    device: MfaDevice
    recovery_codes: list[str]

    def code(self, steps_ahead: int = 0) -> str:
        """The authenticator code ``steps_ahead`` 30-second steps from now."""
        totp = security.totp_for(self.device)
        return str(totp.at(timezone.now().timestamp() + steps_ahead * totp.interval))

    def forget_used_codes(self) -> None:
        """Let the replay guard accept the current step again (as if time had moved on)."""
        MfaDevice.objects.filter(pk=self.device.pk).update(last_used_step=0)


def enrol_mfa(user: User) -> Enrolment:
    """Enrol ``user`` in MFA through the services, as the setup page would."""
    device = security.begin_mfa_enrolment(user)
    codes = security.confirm_mfa_enrolment(user, security.totp_for(device).now())
    assert codes is not None
    enrolment = Enrolment(device, codes)
    enrolment.forget_used_codes()
    return enrolment


def fresh(user: User) -> User:
    return User.unscoped.select_related("mfa_device").get(pk=user.pk)


@dataclass
class MailSink:
    """Collects what a real SMTP server receives."""

    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Message]:
        return [message_from_bytes(envelope.content) for envelope in self.envelopes]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[MailSink]:
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    sink = MailSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()
