"""The append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models

from steward.core.scoping import ScopedManager, ScopedQuerySet, TenantOwned


class AppendOnlyError(RuntimeError):
    """Audit entries are never changed or removed."""


class AuditQuerySet(ScopedQuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")


class AuditManager(ScopedManager[Any]):
    def get_queryset(self) -> AuditQuerySet:
        return AuditQuerySet(self.model, using=self._db)


class AuditEntry(TenantOwned):
    """One event: who did what to which object, when and from where.

    No foreign keys on purpose: deleting a client or user must never touch its history.
    ``hash`` covers every column plus ``prev_hash``, so a changed, removed or inserted row
    breaks the chain at that point (``steward audit verify``).
    """

    class ActorType(models.TextChoices):
        USER = "user", "User"
        TOKEN = "token", "API token"
        SYSTEM = "system", "System job"
        ANONYMOUS = "anonymous", "Anonymous"

    client_path: ClassVar[str] = "client_id"
    provider_path: ClassVar[str] = "provider_id"

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    provider_id = models.BigIntegerField(null=True, db_index=True)
    client_id = models.BigIntegerField(null=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=254)
    token_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects: ClassVar[AuditManager] = AuditManager()

    class Meta(TenantOwned.Meta):
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["client_id", "-seq"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "-seq"]),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")


class AuditChainHead(models.Model):
    """Single row holding the chain's tip; locked while an entry is appended."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_seq}"
