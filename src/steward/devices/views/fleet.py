"""Fleet pages: the device list, a device's page (tabs) and its actions.

Every view works on querysets narrowed with ``for_scope``: a device outside the scope
answers 404 exactly like one that does not exist; a missing permission answers 403.
Everything an agent reported (hostnames, software names, users…) is untrusted text and
reaches the templates only through Django's autoescaping.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.core.listing import Column, build_listing
from steward.core.models import AuditEntry
from steward.core.scoping import Scope
from steward.core.views.tenancy import is_partial, render_list, scope_for
from steward.devices.forms import DeviceForm, QuarantineForm
from steward.devices.models import (
    DeviceChange,
    DeviceCredential,
    DeviceFacts,
    DeviceGroup,
    InstalledSoftware,
    PendingUpdate,
    Tag,
)
from steward.devices.models.fleet import Device
from steward.devices.services import charts, fleet

DEVICE_COLUMNS = [
    Column("Device", "name", ("hostname",)),
    Column("Status"),
    Column("Client", "client", ("client__name", "hostname")),
    Column("OS", "os", ("os_family", "os_name")),
    Column("Last seen", "seen", ("last_seen_at",)),
    Column("CPU", "cpu", ("cpu_percent",), css="num"),
    Column("Disk", "disk", ("disk_percent",), css="num"),
]
LIST_FIELDS = (
    "pk",
    "hostname",
    "display_name",
    "kind",
    "os_family",
    "os_name",
    "os_version",
    "last_seen_at",
    "checkin_interval",
    "quarantined_at",
    "cpu_percent",
    "disk_percent",
    "client_id",
    "client__name",
    "client__provider_id",
    "site_id",
    "site__name",
)
TABS = [
    ("overview", "Overview"),
    ("hardware", "Hardware"),
    ("software", "Software"),
    ("updates", "Updates"),
    ("security", "Security"),
    ("backups", "Backups"),
    ("changes", "Change history"),
    ("network", "Network"),
]
SOFTWARE_LIMIT = 500
CHANGES_PER_PAGE = 50


def device_url(device: Device) -> str:
    return reverse("device_detail", args=[device.pk])


def get_device_or_404(scope: Scope, pk: Any) -> Device:
    try:
        return fleet.get_device(scope, pk)
    except Device.DoesNotExist:
        raise Http404 from None


def status_badge(status: str) -> str:
    return {
        "online": "badge-ok",
        "overdue": "badge-warn",
        "offline": "badge-bad",
        "quarantined": "badge-brand",
    }.get(status, "")


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("devices.view")
    now = timezone.now()
    queryset = (
        fleet.base_queryset(scope)
        .only(*LIST_FIELDS)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("pk", "name").order_by("name")))
    )
    listing = build_listing(
        request,
        fleet.search(queryset, request.GET.get("q", "")),  # the rule dynamic groups use
        columns=DEVICE_COLUMNS,
        default_sort="name",
        search=(),
        filters=fleet.device_filters(scope, request.GET, now=now),
    )
    page = listing.page
    rows = fleet.page_of(queryset, page.object_list, 0, page.paginator.per_page)  # type: ignore[arg-type]
    for device in rows:
        setattr(device, "badge", status_badge(device.status))  # noqa: B010
    listing.page.object_list = rows
    active = {f.name: f.value for f in listing.filters if f.value}
    if listing.q:
        active["q"] = listing.q
    active.pop("group", None)
    return render_list(
        request,
        "devices/list.html",
        "devices/_table.html",
        {
            "title": "Devices",
            "listing": listing,
            "can_enroll": scope.can("devices.enroll"),
            "can_save_group": scope.can("devices.change") and bool(active),
            "save_group_query": urlencode({"kind": "dynamic", "filter": urlencode(active)}),
        },
    )


def _volumes(device: Device) -> list[dict[str, Any]]:
    """Volumes from the last heartbeat, defensively (agent data: any shape may arrive)."""
    raw = device.last_heartbeat.get("volumes") if isinstance(device.last_heartbeat, dict) else None
    volumes = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            total = int(item.get("total_bytes") or 0)
            used = int(item.get("used_bytes") or 0)
        except (TypeError, ValueError):
            continue
        percent = round(used / total * 100, 1) if total > 0 else None
        volumes.append(
            {
                "mount": str(item.get("mount", ""))[:255],
                "filesystem": str(item.get("filesystem", ""))[:128],
                "total": total,
                "used": used,
                "free": max(0, total - used),
                "percent": percent,
            }
        )
    return volumes[:64]


def _users(device: Device) -> list[str]:
    raw = device.last_heartbeat.get("logged_in_users") if isinstance(device.last_heartbeat, dict) else None
    return [str(name)[:128] for name in raw[:64]] if isinstance(raw, list) else []


def _addresses(raw: Any) -> list[str]:
    """Interface addresses as text, whatever shape the agent sent (strings or objects)."""
    found: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            text = str(item.get("address") or item.get("ip") or "")
            if text and item.get("prefix") is not None:
                text = f"{text}/{item['prefix']}"
        else:
            text = str(item)
        if text:
            found.append(text[:100])
    return found[:32]


def _facts(device: Device) -> DeviceFacts | None:
    try:
        return device.facts
    except DeviceFacts.DoesNotExist:
        return None


def _tab_context(request: HttpRequest, scope: Scope, device: Device, tab: str) -> dict[str, Any]:
    now = timezone.now()
    context: dict[str, Any] = {}
    if tab == "overview":
        chart_range = request.GET.get("range", charts.DEFAULT_RANGE)
        context["chart"] = charts.usage_chart(scope, device, chart_range, now)
        context["chart_ranges"] = [(key, label) for key, (label, _, _) in charts.RANGES.items()]
        context["volumes"] = _volumes(device)
        if device.uptime_seconds is not None:
            context["booted_at"] = now - dt.timedelta(seconds=min(device.uptime_seconds, 10**9))
        context["logged_in_users"] = _users(device)
    elif tab == "hardware":
        context["disks"] = list(device.disks.all().order_by("name"))
    elif tab == "software":
        q = " ".join(request.GET.get("q", "").split())[:100]
        software = InstalledSoftware.objects.for_scope(scope).filter(device=device)
        for word in q.split()[:5]:
            software = software.filter(Q(name__icontains=word) | Q(publisher__icontains=word))
        context["software_q"] = q
        context["software_total"] = software.count()
        context["software"] = list(software.order_by("name", "version", "pk")[:SOFTWARE_LIMIT])
        context["software_limit"] = SOFTWARE_LIMIT
    elif tab == "updates":
        updates = list(PendingUpdate.objects.for_scope(scope).filter(device=device))
        for update in updates:
            update.days_pending = (now - update.pending_since).days if update.pending_since else None
        context["updates"] = updates
    elif tab == "security":
        context["protection"] = list(device.protection.all().order_by("product"))
        context["encryption"] = list(device.encryption.all().order_by("volume"))
        context["local_admins"] = list(device.local_admins.all().order_by("name"))
    elif tab == "backups":
        context["backups"] = list(device.backups.all().order_by("tool", "job"))
    elif tab == "changes":
        category = request.GET.get("category", "")
        changes = DeviceChange.objects.for_scope(scope).filter(device=device)
        if category in DeviceChange.Category.values:
            changes = changes.filter(category=category)
        else:
            category = ""
        paginator = Paginator(changes.order_by("-at", "-id"), CHANGES_PER_PAGE)
        context["changes_page"] = paginator.get_page(request.GET.get("page"))
        context["change_category"] = category
        context["change_categories"] = DeviceChange.Category.choices
    elif tab == "network":
        interfaces = list(device.interfaces.all().order_by("name"))
        for nic in interfaces:
            setattr(nic, "address_list", _addresses(nic.addresses))  # noqa: B010
        context["interfaces"] = interfaces
    return context


@login_required
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    tab = request.GET.get("tab", "overview")
    if tab not in dict(TABS):
        tab = "overview"
    now = timezone.now()
    context: dict[str, Any] = {
        "page_title": device.name,
        "device": device,
        "facts": _facts(device),
        "status": device.status,
        "badge": status_badge(device.status),
        "tab": tab,
        "tabs": TABS,
        "now": now,
        "watching": device.watch_until is not None and device.watch_until > now,
        "tab_template": f"devices/tabs/{tab}.html",
        "can_change": scope.can("devices.change"),
        "can_quarantine": scope.can("devices.quarantine"),
        "can_delete": scope.can("devices.delete"),
        **_tab_context(request, scope, device, tab),
    }
    if is_partial(request) and request.headers.get("HX-Target") == "device-tab":
        return render(request, "devices/_tab.html", context)
    context["tags"] = list(device.tags.all())
    context["groups"] = list(
        DeviceGroup.objects.for_scope(scope).filter(devices=device).order_by("name").only("pk", "name")
    )
    context["active_credentials"] = DeviceCredential.objects.filter(
        device=device, revoked_at__isnull=True
    ).count()
    if scope.can("audit.view"):
        context["recent_activity"] = AuditEntry.objects.for_scope(scope).filter(
            object_type="devices.device", object_id=str(device.pk)
        )[:8]
    return render(request, "devices/detail.html", context)


def _form_page(
    request: HttpRequest, device: Device, form: Any, title: str, submit: str, **extra: Any
) -> HttpResponse:
    return render(
        request,
        extra.pop("template", "core/form.html"),
        {
            "page_title": title,
            "title": title,
            "subtitle": device.client.name,
            "form": form,
            "submit_label": submit,
            "cancel_url": device_url(device),
            "breadcrumbs": [("Devices", reverse("device_list")), (device.name, device_url(device))],
            "device": device,
            **extra,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.change")
    form = DeviceForm(request.POST or None, scope=scope, device=device)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.update_device(scope, device, form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, {"site_id": "site"})
        else:
            messages.success(request, f"Saved the changes to “{device.name}”.")
            return redirect(device_url(device))
    return _form_page(request, device, form, f"Edit {device.name}", "Save changes")


@login_required
@require_POST
def device_watch(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.change")
    try:
        fleet.watch(scope, device, minutes=10)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "Watching live: the agent checks in every 5 seconds for the next 10 minutes."
        )
    return redirect(device_url(device))


@login_required
@require_POST
def device_request_inventory(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.change")
    fleet.request_inventory(scope, device)
    messages.success(request, "Inventory requested: the agent sends it at its next check-in.")
    return redirect(device_url(device))


@login_required
@require_http_methods(["GET", "POST"])
def device_quarantine(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.quarantine")
    form = QuarantineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.quarantine(scope, device, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{device.name}” is quarantined; its agent credential is revoked.")
            return redirect(device_url(device))
    return _form_page(
        request,
        device,
        form,
        f"Quarantine {device.name}",
        "Quarantine device",
        subtitle="Its agent credential is revoked at once and its check-ins are refused. "
        "After a release the agent enrolls again with a token.",
    )


@login_required
@require_POST
def device_release(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.quarantine")
    fleet.release(scope, device)
    messages.success(request, f"“{device.name}” is released; its agent enrolls again with a token.")
    return redirect(device_url(device))


@login_required
@require_http_methods(["GET", "POST"])
def device_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.quarantine")
    if request.method == "POST":
        count = fleet.revoke_credentials(scope, device)
        messages.success(
            request, f"Revoked {count} credential{'s' if count != 1 else ''}: the agent must enroll again."
        )
        return redirect(device_url(device))
    return render(
        request,
        "devices/confirm.html",
        {
            "page_title": f"Revoke the credential of {device.name}",
            "title": f"Revoke the agent credential of “{device.name}”?",
            "message": "The agent's next check-in is refused; it must enroll again with an enrollment "
            "token. The device, its inventory and history stay.",
            "submit_label": "Revoke credential",
            "cancel_url": device_url(device),
            "breadcrumbs": [("Devices", reverse("device_list")), (device.name, device_url(device))],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    device = get_device_or_404(scope, pk)
    scope.require("devices.delete")
    if request.method == "POST":
        name = device.name
        fleet.delete_device(scope, device)
        messages.success(request, f"Device “{name}” deleted.")
        return redirect("device_list")
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {device.name}",
            "object": device,
            "kind": "device",
            "consequences_note": "Its inventory, change history and metrics are deleted with it. "
            "If the agent is still installed it cannot check in any more.",
            "breadcrumbs": [("Devices", reverse("device_list")), (device.name, device_url(device))],
            "cancel_url": device_url(device),
        },
    )
