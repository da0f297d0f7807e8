"""The audit trail: a filtered, paginated list (newest first) and one entry's before → after."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from steward.core.listing import Column, Filter, build_listing, end_of_day, positive_int, start_of_day
from steward.core.models import AuditEntry, Client
from steward.core.views.tenancy import client_filter, get_or_404_entry, render_list, scope_for

AUDIT_COLUMNS = [
    Column("When", "at", ("seq",)),
    Column("Who", "actor", ("actor_label", "-seq")),
    Column("Action", "action", ("action", "-seq")),
    Column("Object"),
    Column("Client"),
    Column("From", css="muted"),
]

OBJECT_TYPES = {
    "core.client": ("Client", "client_detail"),
    "core.site": ("Site", "site_detail"),
    "core.contact": ("Contact", "contact_detail"),
    "core.user": ("User", "user_detail"),
}


def object_url(entry: AuditEntry) -> str:
    """A link to the object an entry is about, while it still exists."""
    if entry.action == "delete" or entry.object_type not in OBJECT_TYPES or not entry.object_id.isdigit():
        return ""
    try:
        return reverse(OBJECT_TYPES[entry.object_type][1], args=[int(entry.object_id)])
    except NoReverseMatch:
        return ""


def _label(object_type: str) -> str:
    return OBJECT_TYPES.get(object_type, (object_type.split(".")[-1].replace("_", " ").capitalize(), ""))[0]


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("audit.view")
    entries = AuditEntry.objects.for_scope(scope)
    provider_staff = request.user.is_provider_staff  # type: ignore[union-attr]

    def actions() -> list[tuple[str, str]]:
        names = entries.order_by("action").values_list("action", flat=True).distinct()
        return [(name, name.replace("_", " ")) for name in names]

    def object_types() -> list[tuple[str, str]]:
        names = entries.exclude(object_type="").order_by("object_type").values_list("object_type", flat=True)
        return [(name, _label(name)) for name in names.distinct()]

    filters = [
        Filter("action", "Action", "action", options=actions, strict=True),
        Filter("type", "Object type", "object_type", options=object_types, strict=True),
        Filter("actor", "Actor", "actor_label__icontains", widget="text", placeholder="e-mail or name"),
    ]
    if provider_staff:
        filters.append(client_filter(scope))
    filters += [
        Filter("from", "From", "at__gte", coerce=start_of_day, widget="date"),
        Filter("to", "To", "at__lt", coerce=end_of_day, widget="date"),
        Filter("object", "Object id", "object_id", coerce=lambda v: str(positive_int(v)), widget="text"),
    ]
    listing = build_listing(
        request,
        entries.defer("changes", "user_agent", "prev_hash", "hash"),
        columns=AUDIT_COLUMNS if provider_staff else [c for c in AUDIT_COLUMNS if c.label != "Client"],
        default_sort="-at",
        search=("object_repr", "actor_label", "action"),
        filters=filters,
    )
    rows = list(listing.page.object_list)
    client_names: dict[int, str] = {}
    if provider_staff:
        ids = {entry.client_id for entry in rows if entry.client_id}
        client_names = dict(Client.objects.for_scope(scope).filter(pk__in=ids).values_list("pk", "name"))
    for entry in rows:
        entry.url = object_url(entry)
        entry.client_name = client_names.get(entry.client_id or 0, "")
        entry.type_label = _label(entry.object_type)
    listing.page.object_list = rows
    return render_list(
        request,
        "core/audit/list.html",
        "core/audit/_table.html",
        {
            "title": "Audit trail",
            "listing": listing,
            "show_client": provider_staff,
        },
    )


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def change_rows(changes: Any) -> list[dict[str, str]]:
    """``{"field": [before, after]}`` (and ``{"m2m": {"added": [...]}}``) as table rows."""
    rows: list[dict[str, str]] = []
    if not isinstance(changes, dict):
        return rows
    for name, value in changes.items():
        label = name.removesuffix("_id").replace("_", " ")
        if isinstance(value, list | tuple) and len(value) == 2:
            rows.append({"field": label, "before": _cell(value[0]), "after": _cell(value[1])})
        elif isinstance(value, dict):
            details = "; ".join(f"{verb} {_cell(items)}" for verb, items in value.items())
            rows.append({"field": label, "before": "", "after": details, "note": "1"})
        else:
            rows.append({"field": label, "before": "", "after": _cell(value), "note": "1"})
    return rows


@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    scope.require("audit.view")
    entry = get_or_404_entry(scope, pk)
    client_name = ""
    if entry.client_id:
        client_name = (
            Client.objects.for_scope(scope).filter(pk=entry.client_id).values_list("name", flat=True).first()
            or ""
        )
    return render(
        request,
        "core/audit/detail.html",
        {
            "page_title": f"Audit entry #{entry.seq}",
            "entry": entry,
            "rows": change_rows(entry.changes),
            "object_url": object_url(entry),
            "type_label": _label(entry.object_type),
            "client_name": client_name,
        },
    )
