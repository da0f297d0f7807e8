"""Personal API tokens: random, shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from steward.core.audit_model import AuditedModel
from steward.core.models.accounts import User
from steward.core.models.tenancy import Client
from steward.core.roles import Role
from steward.core.scoping import TenantOwned


class ApiToken(TenantOwned, AuditedModel):
    client_path: ClassVar[str] = "user__client_id"
    provider_path: ClassVar[str] = "user__provider_id"
    audit_redact = frozenset({"token_hash"})
    audit_exclude = frozenset({"last_used_at", "last_used_ip", "created_at"})

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'PSA sync'.")
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part, shown in lists and logs.")
    token_hash = models.CharField(max_length=64)
    role = models.CharField(max_length=20, choices=Role.choices)
    limit_clients = models.BooleanField(default=False)
    clients = models.ManyToManyField(Client, blank=True, related_name="+")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired and self.user.is_active

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.user.provider_id, self.user.client_id
