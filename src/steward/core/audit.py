"""Writing and verifying the audit trail.

Who is acting travels in a context variable set by the request middleware, the API token
check, the CLI and job wrappers. Model saves and deletes of :class:`AuditedModel`
subclasses are recorded by the signal handlers below, inside the same transaction as the
change; security events are recorded with :func:`record`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from steward.core.audit_model import AuditedModel, jsonable
from steward.core.models.audit import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    type: str
    label: str
    user_id: int | None = None
    token_id: int | None = None
    ip: str = ""
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(type=AuditEntry.ActorType.SYSTEM, label=label)

    @classmethod
    def for_user(cls, user: Any, *, ip: str = "", user_agent: str = "", request_id: str = "") -> Actor:
        return cls(
            type=AuditEntry.ActorType.USER,
            label=user.email,
            user_id=user.pk,
            ip=ip,
            user_agent=user_agent,
            request_id=request_id,
        )


UNATTRIBUTED = Actor(type=AuditEntry.ActorType.SYSTEM, label="unattributed")
_current_actor: ContextVar[Actor | None] = ContextVar("steward_actor", default=None)


def current_actor() -> Actor:
    return _current_actor.get() or UNATTRIBUTED


def set_actor(actor: Actor) -> Any:
    """Set the actor for the rest of this context; returns a token for ``reset_actor``."""
    return _current_actor.set(actor)


def reset_actor(token: Any) -> None:
    _current_actor.reset(token)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


def new_request_id() -> str:
    # A correlation id, not a secret: the module generator (reseeded after fork) avoids a
    # getrandom() system call on every request.
    return f"{random.getrandbits(64):016x}"


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "provider_id": entry.provider_id,
        "client_id": entry.client_id,
        "actor_type": entry.actor_type,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "token_id": entry.token_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def record(
    action: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    provider_id: int | None = None,
    client_id: int | None = None,
    actor: Actor | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction."""
    actor = actor or current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if isinstance(obj, AuditedModel) and provider_id is None and client_id is None:
            provider_id, client_id = obj.audit_ownership()
    with transaction.atomic():
        # The head row serialises appends (PostgreSQL row lock; SQLite's IMMEDIATE
        # transactions already serialise writers).
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            provider_id=provider_id,
            client_id=client_id,
            actor_type=actor.type,
            actor_id=actor.user_id,
            actor_label=actor.label[:254],
            token_id=actor.token_id,
            action=action,
            object_type=object_type[:60],
            object_id=object_id[:64],
            object_repr=object_repr[:200],
            changes=jsonable(changes or {}),
            ip=actor.ip[:45],
            user_agent=actor.user_agent[:300],
            request_id=actor.request_id[:32],
            prev_hash=head.last_hash,
        )
        entry.hash = compute_hash(entry)
        entry.save()
        head.last_seq = entry.seq
        head.last_hash = entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the whole log in order; report the first entry whose link or content is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    entries = AuditEntry.unscoped.order_by("seq").iterator(chunk_size=batch_size)
    for entry in entries:
        if entry.seq != expected_seq:
            reason = f"entry #{expected_seq} is missing (next present is #{entry.seq})"
            return ChainReport(False, checked, expected_seq, reason)
        if entry.prev_hash != expected_prev:
            return ChainReport(False, checked, entry.seq, "link to the previous entry does not match")
        if compute_hash(entry) != entry.hash:
            return ChainReport(
                False, checked, entry.seq, "content does not match its hash (entry was altered)"
            )
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq != checked:
        return ChainReport(
            False, checked, checked + 1, f"chain head says {head.last_seq} entries, found {checked}"
        )
    return ChainReport(True, checked)


def _changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        field: [before.get(field), after.get(field)]
        for field in sorted(set(before) | set(after))
        if before.get(field) != after.get(field)
    }


@receiver(post_save)
def _audit_save(sender: type, instance: Any, created: bool, raw: bool = False, **_: Any) -> None:
    if raw or not isinstance(instance, AuditedModel):
        return
    after = instance.audit_values()
    if created:
        changes = {field: [None, value] for field, value in after.items() if value not in (None, "", False)}
        record("create", obj=instance, changes=changes)
    else:
        before = getattr(instance, "_audit_snapshot", None)
        if before is None:
            # Saved without having been loaded from the database (rare): record what it holds.
            record("update", obj=instance, changes={field: [None, value] for field, value in after.items()})
        else:
            changes = _changes_between(before, after)
            if changes:
                record("update", obj=instance, changes=changes)
    instance._audit_snapshot = after


@receiver(pre_delete)
def _audit_before_delete(sender: type, instance: Any, **_: Any) -> None:
    if isinstance(instance, AuditedModel):
        instance._audit_delete = (instance.audit_values(), instance.audit_ownership(), str(instance)[:200])


@receiver(post_delete)
def _audit_delete(sender: type, instance: Any, **_: Any) -> None:
    if not isinstance(instance, AuditedModel):
        return
    empty: dict[str, Any] = {}
    values, (provider_id, client_id), text = instance._audit_delete or (empty, (None, None), str(instance))
    record(
        "delete",
        object_type=instance._meta.label_lower,
        object_id=str(values.get("id", instance.pk)),
        object_repr=text,
        changes={field: [value, None] for field, value in values.items() if value not in (None, "", False)},
        provider_id=provider_id,
        client_id=client_id,
    )


@receiver(m2m_changed)
def _audit_m2m(
    sender: type, instance: Any, action: str, model: type, pk_set: set[int] | None, **_: Any
) -> None:
    if not isinstance(instance, AuditedModel) or action not in {"post_add", "post_remove", "post_clear"}:
        return
    field_name = next(
        (f.name for f in instance._meta.many_to_many if f.remote_field.through is sender), sender.__name__
    )
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    record(
        "permission_change" if field_name in {"granted_clients", "clients"} else "update",
        obj=instance,
        changes={field_name: {verb: sorted(pk_set or [])}},
    )


def with_request_origin(actor: Actor, *, ip: str, user_agent: str, request_id: str) -> Actor:
    return replace(actor, ip=ip, user_agent=user_agent, request_id=request_id)
