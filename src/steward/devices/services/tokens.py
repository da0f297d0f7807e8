"""Enrollment tokens: create (the secret is returned once, only its hash is kept) and revoke.

A token's text is ``ste_<prefix>_<secret>``: ``prefix`` (8 hex characters) is stored in the
clear to find the row, ``token_hash`` is the SHA-256 of the whole text. The agent-facing
enrollment service looks a token up with :func:`hash_token` and :func:`split_token`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.core.models import Client, Site
from steward.core.scoping import Scope
from steward.devices.models import EnrollmentToken

TOKEN_PREFIX = "ste"  # noqa: S105 (a label, not a secret)
MAX_TOKEN_DAYS = 365
MAX_TOKEN_USES = 100_000
_TOKEN = re.compile(r"^ste_([0-9a-f]{8})_[A-Za-z0-9_-]{20,100}$")


def hash_token(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def split_token(text: str) -> str | None:
    """The prefix of a well-formed token text, else ``None``."""
    match = _TOKEN.match(text or "")
    return match.group(1) if match else None


def create_enrollment_token(
    scope: Scope,
    client_id: int | None,
    site_id: int | None,
    name: str,
    days: int,
    max_uses: int | None,
) -> tuple[EnrollmentToken, str]:
    """A new token for a client (optionally one of its sites), and its secret text.

    Raises ``PermissionDenied`` without ``devices.enroll``, ``ValidationError`` for bad
    input (a client or site outside the scope reads "Unknown …", never "forbidden").
    """
    scope.require("devices.enroll")
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = "Give the token a name of 1 to 100 characters."
    if not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = f"A token must expire in 1 to {MAX_TOKEN_DAYS} days."
    if max_uses is not None and (not isinstance(max_uses, int) or not 1 <= max_uses <= MAX_TOKEN_USES):
        errors["max_uses"] = f"Allow 1 to {MAX_TOKEN_USES} uses, or leave it empty for no limit."
    client = Client.objects.for_scope(scope).filter(pk=client_id).first() if client_id else None
    if client is None:
        errors["client"] = "Unknown client." if client_id else "Choose a client."
    site = None
    if site_id is not None:
        site = Site.objects.for_scope(scope).filter(pk=site_id, client_id=client_id).first()
        if site is None:
            errors["site"] = "Unknown site for this client."
    if errors:
        raise ValidationError(errors)
    assert client is not None
    prefix = secrets.token_hex(4)
    while EnrollmentToken.unscoped.filter(prefix=prefix).exists():  # 1 in 4 billion; be sure
        prefix = secrets.token_hex(4)
    text = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    user = scope.user if scope.user is not None and scope.user.pk else None
    with transaction.atomic():
        token = EnrollmentToken(
            client=client,
            site=site,
            name=name,
            prefix=prefix,
            token_hash=hash_token(text),
            expires_at=timezone.now() + dt.timedelta(days=days),
            max_uses=max_uses,
            created_by=user,
        )
        token.save()  # audited (the hash is redacted)
    return token, text


def revoke_enrollment_token(scope: Scope, token: EnrollmentToken) -> EnrollmentToken:
    """Stop a token from enrolling more devices (devices already enrolled stay)."""
    scope.require("devices.enroll")
    if not EnrollmentToken.objects.for_scope(scope).filter(pk=token.pk).exists():
        raise EnrollmentToken.DoesNotExist
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        with transaction.atomic():
            token.save(update_fields=["revoked_at"])
    return token


__all__ = ["create_enrollment_token", "hash_token", "revoke_enrollment_token", "split_token"]
