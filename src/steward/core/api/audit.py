"""/audit: the tamper-evident audit trail, and a check of its hash chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from steward.core import audit as audit_log
from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import Page, PageParams, QueryId, Str40, Str64, needs, paginate, scope_of
from steward.core.api.errors import responses
from steward.core.models import AuditEntry

router = Router(tags=["Audit"])

VERIFY_REFUSAL = "Only provider admins can verify the audit chain."


class AuditEntryOut(Schema):
    seq: int = Field(description="Position in the chain; higher is newer.")
    at: dt.datetime
    client_id: int | None
    actor_type: str = Field(description="user, token, system or anonymous.")
    actor_id: int | None = Field(description="The acting user's id (also for token actors).")
    actor_label: str
    token_id: int | None
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    ip: str
    request_id: str


class AuditPage(Page):
    results: list[AuditEntryOut]


class AuditFilters(PageParams):
    action: Str40 | None = Field(None, description="e.g. create, update, delete, login, token_created.")
    object_type: Str64 | None = Field(None, description="e.g. core.client, core.site.")
    object_id: Str64 | None = None
    actor_id: QueryId | None = None
    since: dt.datetime | None = Field(None, description="ISO 8601; without an offset it is read as UTC.")
    until: dt.datetime | None = Field(None, description="ISO 8601, exclusive.")


class ChainReportOut(Schema):
    ok: bool
    checked: int = Field(description="Entries verified.")
    first_broken_seq: int | None
    reason: str


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt.UTC)


@router.get(
    "/audit",
    response={200: AuditPage, **responses(403, 422)},
    url_name="audit_list",
    auth=guarded(needs("audit.view")),
    operation_id="listAuditEntries",
    summary="Search the audit trail",
)
def list_audit(request: HttpRequest, filters: Query[AuditFilters]) -> Any:
    """Entries inside your access, newest first. Needs `audit.view`."""
    scope = scope_of(request)
    scope.require("audit.view")
    entries = AuditEntry.objects.for_scope(scope)
    for name in ("action", "object_type", "object_id", "actor_id"):
        value = getattr(filters, name)
        if value is not None and value != "":
            entries = entries.filter(**{name: value})
    if filters.since is not None:
        entries = entries.filter(at__gte=_aware(filters.since))
    if filters.until is not None:
        entries = entries.filter(at__lt=_aware(filters.until))
    return paginate(entries.order_by("-seq"), filters)


@router.get(
    "/audit/verify",
    response={200: ChainReportOut, **responses(403)},
    url_name="audit_verify",
    auth=guarded(needs("provider.manage", all_clients=True, refusal=VERIFY_REFUSAL)),
    operation_id="verifyAuditChain",
    summary="Verify the audit chain",
)
def verify_audit(request: HttpRequest) -> Any:
    """Recomputes every entry's hash and link. Provider admins only (with access to every
    client); on a large log this takes a while."""
    scope = scope_of(request)
    if not scope.can("provider.manage") or not scope.all_clients:
        raise PermissionDenied(VERIFY_REFUSAL)
    report = audit_log.verify_chain()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "first_broken_seq": report.first_broken_seq,
        "reason": report.reason,
    }


declare("api:audit_list", "list", model="core.auditentry", methods=("GET",))
declare(
    "api:audit_verify", "provider", methods=("GET",), note="Provider admins only; reports on the whole chain."
)
