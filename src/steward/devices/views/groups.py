"""Device groups: static (a list of devices) or dynamic (a saved fleet-list filter)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from steward.core.forms.tenancy import apply_service_errors
from steward.core.listing import Column, Filter, build_listing
from steward.core.scoping import Scope
from steward.core.views.tenancy import client_filter, render_list, requested_client, scope_for
from steward.devices.forms import DeviceGroupForm
from steward.devices.models import DeviceGroup
from steward.devices.services import fleet
from steward.devices.views.fleet import status_badge

GROUP_COLUMNS = [
    Column("Group", "name"),
    Column("Kind", "kind", ("kind", "name")),
    Column("Client", "client", ("client__name", "name")),
    Column("Devices", css="num"),
    Column("Updated", "updated", ("updated_at",)),
]
MEMBERS_PER_PAGE = 50


def _detail_url(group: DeviceGroup) -> str:
    return reverse("device_group_detail", args=[group.pk])


def _get_group(scope: Scope, pk: Any) -> DeviceGroup:
    scope.require("devices.view")
    group = DeviceGroup.objects.for_scope(scope).select_related("client").filter(pk=pk).first()
    if group is None:
        raise Http404
    return group


@login_required
def device_group_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("devices.view")
    queryset = (
        DeviceGroup.objects.for_scope(scope).select_related("client").annotate(static_count=Count("devices"))
    )
    listing = build_listing(
        request,
        queryset,
        columns=GROUP_COLUMNS,
        default_sort="name",
        search=("name", "description"),
        filters=[
            client_filter(scope),
            Filter("kind", "Kind", "kind", options=DeviceGroup.Kind.choices, strict=True),
        ],
    )
    rows = list(listing.page.object_list)
    now = timezone.now()
    for group in rows:
        # Dynamic groups are counted live: one count per dynamic group on the page.
        group.member_count = (
            fleet.group_members(scope, group, now).count()
            if group.kind == DeviceGroup.Kind.DYNAMIC
            else group.static_count
        )
    listing.page.object_list = rows
    return render_list(
        request,
        "devices/groups/list.html",
        "devices/groups/_table.html",
        {"title": "Device groups", "listing": listing, "can_add": scope.can("devices.change")},
    )


@login_required
def device_group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    group = _get_group(scope, pk)
    members = (
        fleet.group_members(scope, group)
        .select_related("client", "site")
        .only(
            "pk",
            "hostname",
            "display_name",
            "os_family",
            "os_name",
            "last_seen_at",
            "checkin_interval",
            "quarantined_at",
            "client_id",
            "client__name",
            "client__provider_id",
            "site_id",
            "site__name",
        )
        .order_by("hostname", "pk")
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for device in rows:
        setattr(device, "badge", status_badge(device.status))  # noqa: B010
    return render(
        request,
        "devices/groups/detail.html",
        {
            "page_title": group.name,
            "group": group,
            "members_page": page,
            "members": rows,
            "filter_query": fleet.filter_query(group.filter or {}),
            "can_edit": fleet.can_manage_group(scope, group),
        },
    )


def _form_context(form: DeviceGroupForm, title: str, submit: str, cancel: str) -> dict[str, Any]:
    return {
        "page_title": title,
        "title": title,
        "form": form,
        "submit_label": submit,
        "cancel_url": cancel,
        "breadcrumbs": [("Device groups", reverse("device_group_list"))],
    }


@login_required
@require_http_methods(["GET", "POST"])
def device_group_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("devices.change")
    initial: dict[str, Any] = {"client": requested_client(request, scope)}
    if request.GET.get("kind") in DeviceGroup.Kind.values:
        initial["kind"] = request.GET["kind"]
    if request.GET.get("filter"):
        initial["filter"] = request.GET["filter"][:1000]
    form = DeviceGroupForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            group = fleet.create_group(scope, form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, {"client_id": "client", "device_ids": "members"})
        else:
            messages.success(request, f"Group “{group.name}” created.")
            return redirect(_detail_url(group))
    context = _form_context(form, "New device group", "Create group", reverse("device_group_list"))
    return render(request, "core/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def device_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    group = _get_group(scope, pk)
    fleet.require_manage_group(scope, group)
    members = ""
    if group.kind == DeviceGroup.Kind.STATIC:
        names = group.devices.order_by("hostname").values_list("hostname", flat=True)[
            : fleet.MAX_STATIC_MEMBERS
        ]
        members = "\n".join(names)
    initial = {
        "name": group.name,
        "kind": group.kind,
        "description": group.description,
        "filter": fleet.filter_query(group.filter or {}),
        "members": members,
    }
    form = DeviceGroupForm(request.POST or None, scope=scope, group=group, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.update_group(scope, group, form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, {"device_ids": "members"})
        else:
            messages.success(request, f"Saved the changes to “{group.name}”.")
            return redirect(_detail_url(group))
    context = _form_context(form, f"Edit {group.name}", "Save changes", _detail_url(group))
    context["breadcrumbs"].append((group.name, _detail_url(group)))
    return render(request, "core/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def device_group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    group = _get_group(scope, pk)
    fleet.require_manage_group(scope, group)
    if request.method == "POST":
        name = group.name
        fleet.delete_group(scope, group)
        messages.success(request, f"Group “{name}” deleted.")
        return redirect("device_group_list")
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {group.name}",
            "object": group,
            "kind": "device group",
            "consequences_note": "The devices stay; only the group goes.",
            "breadcrumbs": [
                ("Device groups", reverse("device_group_list")),
                (group.name, _detail_url(group)),
            ],
            "cancel_url": _detail_url(group),
        },
    )
