"""User accounts, MFA and login throttling."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from steward.core.audit_model import AuditedModel
from steward.core.models.tenancy import Client, Provider
from steward.core.roles import CLIENT_ROLES, PROVIDER_ROLES, Role
from steward.core.scoping import ScopedManager, TenantOwned


class UserManager(BaseUserManager["User"]):
    """Unscoped manager used by authentication and system code."""

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(TenantOwned, AbstractBaseUser, AuditedModel):
    """A person who logs in. Provider staff have no client; client roles have exactly one."""

    client_path: ClassVar[str] = "client_id"
    provider_path: ClassVar[str] = "provider_id"
    audit_exclude = frozenset({"last_login", "created_at", "updated_at", "failed_login_count"})
    audit_redact = frozenset({"password"})

    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="users")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, null=True, blank=True, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)
    all_clients = models.BooleanField(
        "access to all clients",
        default=False,
        help_text="Technicians only: when off, the technician sees just the clients granted below.",
    )
    granted_clients = models.ManyToManyField(Client, blank=True, related_name="granted_technicians")
    is_active = models.BooleanField(default=True)
    mfa_required = models.BooleanField(
        "require MFA", default=False, help_text="This user must enrol in two-factor authentication."
    )
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ScopedManager[Any]] = ScopedManager()
    unscoped: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta(TenantOwned.Meta):
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_unique_email_ci"),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=sorted(r.value for r in PROVIDER_ROLES), client__isnull=True)
                    | models.Q(role__in=sorted(r.value for r in CLIENT_ROLES), client__isnull=False)
                ),
                name="user_role_matches_client",
            ),
        ]
        indexes = [models.Index(fields=["client", "full_name"]), models.Index(fields=["provider", "role"])]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_client_user(self) -> bool:
        return self.role in CLIENT_ROLES

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def has_mfa(self) -> bool:
        device = getattr(self, "mfa_device", None)
        return device is not None and device.confirmed_at is not None

    def must_use_mfa(self) -> bool:
        from django.conf import settings

        return self.mfa_required or (self.is_provider_staff and settings.STEWARD_REQUIRE_STAFF_MFA)

    def clean(self) -> None:
        self.email = (self.email or "").strip().lower()
        if self.role in PROVIDER_ROLES and self.client_id:
            raise ValidationError({"client": "Provider staff do not belong to a client."})
        if self.role in CLIENT_ROLES and not self.client_id:
            raise ValidationError({"client": "A client role needs a client."})
        if self.role != Role.TECHNICIAN:
            self.all_clients = False

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, self.client_id


class MfaDevice(models.Model):
    """A TOTP authenticator; the secret is stored encrypted."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mfa_device")
    encrypted_secret = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(
        default=0, help_text="Replay guard: highest TOTP time step accepted."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"authenticator of {self.user_id}"


class RecoveryCode(models.Model):
    """One-time MFA recovery code, stored as a SHA-256 digest (codes are high-entropy)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class LoginThrottle(models.Model):
    """Failed-login counter per source address (accounts keep theirs on the user row)."""

    key = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key
