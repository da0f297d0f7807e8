"""Shared plumbing for the directory pages (clients, sites, contacts, users, audit).

Every view works on querysets narrowed with ``for_scope``: an id outside the scope answers
404 exactly like one that does not exist, a missing permission answers 403. Writes go
through ``steward.core.services.tenancy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from steward.core.forms.tenancy import apply_service_errors
from steward.core.listing import Filter, positive_int
from steward.core.models import AuditEntry, Client
from steward.core.scoping import Scope
from steward.core.services import tenancy as services
from steward.web.context_processors import request_scope

M = TypeVar("M", bound=models.Model)

# More clients than this and the client filter is no longer a select (it would be huge):
# it is then reached from a client's page ("All sites") and shown as a removable chip.
CLIENT_SELECT_LIMIT = 300


def scope_for(request: HttpRequest) -> Scope:
    scope = request_scope(request)
    if scope is None:  # views are login_required; this is a safety net
        raise Http404
    return scope


def get_or_404(scope: Scope, model: type[M], pk: Any) -> M:
    """A row inside the scope; 404 for both "absent" and "someone else's"."""
    try:
        return services.get_scoped(scope, model, pk)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None


def is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def render_list(request: HttpRequest, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only the results when htmx asks (search-as-you-type, paging)."""
    partial_only = is_partial(request)
    context.setdefault("table_template", partial)
    context.setdefault("page_title", context.get("title", ""))
    context["partial"] = partial_only
    response = render(request, partial if partial_only else template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def client_filter(scope: Scope, lookup: str = "client_id") -> Filter:
    """Filter a scoped list by client; a client outside the scope simply matches nothing."""
    clients = Client.objects.for_scope(scope)

    def options() -> list[tuple[str, str]]:
        rows = list(clients.order_by("name", "pk").values_list("pk", "name")[: CLIENT_SELECT_LIMIT + 1])
        if len(rows) > CLIENT_SELECT_LIMIT:
            return []
        return [(str(pk), name) for pk, name in rows]

    def describe(value: int) -> str:
        # Same wording for "absent" and "not yours": the page must not confirm existence.
        return clients.filter(pk=value).values_list("name", flat=True).first() or "Unknown client"

    return Filter("client", "Client", lookup, options=options, coerce=positive_int, describe=describe)


def requested_client(request: HttpRequest, scope: Scope) -> Client | None:
    """The ``?client=`` to preselect on a create page, if it is inside the scope."""
    raw = request.GET.get("client", "")
    if not raw.isdigit():
        return None
    return Client.objects.for_scope(scope).filter(pk=int(raw)).first()


def save_form(
    request: HttpRequest,
    form: BaseForm,
    save: Callable[[], M],
    *,
    success: str,
    redirect_to: Callable[[M], str],
    aliases: dict[str, str] | None = None,
) -> HttpResponse | None:
    """Validate the form and call the service; on success a message and a redirect.

    Returns ``None`` when the form must be shown (again) with its errors.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        obj = save()
    except ValidationError as exc:
        apply_service_errors(form, exc, aliases)
        return None
    messages.success(request, success.format(obj=obj))
    return redirect(redirect_to(obj))


def counts_by_client(queryset: QuerySet[Any], client_ids: list[int]) -> dict[int, int]:
    rows = (
        queryset.filter(client_id__in=client_ids)
        .order_by()
        .values("client_id")
        .annotate(n=models.Count("pk"))
    )
    return {row["client_id"]: row["n"] for row in rows}


def get_or_404_entry(scope: Scope, pk: Any) -> AuditEntry:
    """An audit entry inside the scope (client admins: only their client's entries)."""
    scope.require("audit.view")
    entry = AuditEntry.objects.for_scope(scope).filter(pk=pk).first() if str(pk).isdigit() else None
    if entry is None:
        raise Http404
    return entry
