"""The mixin that makes a model's creates, updates and deletes land in the audit trail."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import uuid
from typing import Any, ClassVar

from django.db import models

REDACTED = "[redacted]"


def jsonable(value: Any) -> Any:
    """A JSON-safe, canonical form of a field value (stable across a database round trip)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


class AuditedModel(models.Model):
    """Tracks the values a row was loaded with, so a save can record before/after."""

    audit_exclude: ClassVar[frozenset[str]] = frozenset({"created_at", "updated_at"})
    audit_redact: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        abstract = True

    _audit_snapshot: dict[str, Any] | None = None
    _audit_delete: tuple[dict[str, Any], tuple[int | None, int | None], str] | None = None

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Any:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._audit_snapshot = instance.audit_values()
        return instance

    def audit_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if field.name in self.audit_exclude or field.attname not in self.__dict__:
                continue
            raw = getattr(self, field.attname)
            if field.name in self.audit_redact and raw:
                # A short digest shows *that* a secret changed without revealing it.
                values[field.attname] = f"{REDACTED} {hashlib.sha256(str(raw).encode()).hexdigest()[:8]}"
            else:
                values[field.attname] = jsonable(raw)
        return values

    def audit_ownership(self) -> tuple[int | None, int | None]:
        """(provider id, client id) that own this row, for scoping the audit entry."""
        raise NotImplementedError(f"{type(self).__name__} must say who owns it")
