"""/devices, /enrollment-tokens and /device-groups: the fleet in the user-facing REST API.

Every operation first checks that the row named by the path lies in the caller's scope
(404 otherwise, whether it exists or not), then the permission (403), then validates the
input (422). Writes go through ``steward.devices.services`` like the web pages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import Strict

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    BodyId,
    Check,
    InputSchema,
    LongText,
    Page,
    PageParams,
    PatchSchema,
    Principal,
    QueryId,
    SearchText,
    Str64,
    Str100,
    Str200,
    needs,
    order,
    paginate,
    parse_id,
    path_id,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.devices.models import (
    Device,
    DeviceChange,
    DeviceFacts,
    DeviceGroup,
    EnrollmentToken,
    InstalledSoftware,
    PendingUpdate,
)
from steward.devices.services import fleet
from steward.devices.services.metrics import metric_series
from steward.devices.services.tokens import (
    MAX_TOKEN_DAYS,
    MAX_TOKEN_USES,
    create_enrollment_token,
    revoke_enrollment_token,
)

router = Router(tags=["Devices"])

OsFamily = Literal["windows", "linux", "macos", "unknown"]
DeviceKind = Literal["workstation", "laptop", "server", "virtual", "unknown"]
DeviceStatus = Literal["online", "overdue", "offline", "never", "quarantined"]
DeviceOrdering = Literal[
    "hostname",
    "-hostname",
    "last_seen_at",
    "-last_seen_at",
    "cpu_percent",
    "-cpu_percent",
    "disk_percent",
    "-disk_percent",
    "created_at",
    "-created_at",
]
ChangeCategory = Literal[
    "hardware", "firmware", "os", "software", "updates", "security", "backup", "network", "agent"
]
GroupKind = Literal["static", "dynamic"]
TagName = Annotated[str, Field(min_length=1, max_length=50)]


# ---- Checks --------------------------------------------------------------------------


def needs_row(model: type[Any], kwarg: str, permission: str | None = None) -> Check:
    """The row named by the path lies in the caller's scope (else 404), the caller may see
    devices (403) and holds ``permission`` for this method (403). Kept for the view."""

    def check(request: HttpRequest, who: Principal) -> None:
        match = request.resolver_match
        pk = parse_id(match.kwargs.get(kwarg) if match else None)
        if pk is None:
            raise Http404
        queryset = model.objects.for_scope(who.scope)
        if model is Device:
            queryset = queryset.select_related("client", "site")
        found = queryset.filter(pk=pk).first()
        if found is None:
            raise Http404
        who.scope.require("devices.view")
        if permission:
            who.scope.require(permission)
        request.api_object = found  # type: ignore[attr-defined]

    return check


# ---- Devices -------------------------------------------------------------------------


class DeviceOut(Schema):
    id: int
    uid: str
    client_id: int
    site_id: int | None
    name: str
    hostname: str
    display_name: str
    kind: str
    os_family: str
    os_name: str
    os_version: str
    os_build: str
    architecture: str
    manufacturer: str
    model: str
    serial_number: str
    agent_version: str
    status: str = Field(description="online, overdue, offline, never or quarantined.")
    last_seen_at: datetime | None
    cpu_percent: float | None
    memory_percent: float | None
    disk_percent: float | None = Field(description="The fullest volume.")
    uptime_seconds: int | None
    pending_reboot: bool | None
    checkin_interval: int
    watch_until: datetime | None
    want_inventory: bool
    quarantined_at: datetime | None
    quarantine_reason: str
    tags: list[str]
    notes: str
    enrolled_at: datetime
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_uid(obj: Device) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_tags(obj: Device) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


class FactsOut(Schema):
    chassis: str
    cpu_model: str
    cpu_cores: int | None
    ram_bytes: int | None
    bios_vendor: str
    bios_version: str
    bios_release_date: date | None
    firewall_state: str
    protection_product: str
    protection_enabled: bool | None
    protection_up_to_date: bool | None
    protection_definitions_at: datetime | None
    encryption_state: str
    updates_pending: int | None
    updates_pending_security: int | None
    updates_last_success_at: datetime | None
    backup_last_success_at: datetime | None
    backup_last_failure_at: datetime | None
    local_admin_count: int | None
    software_count: int | None


class DeviceDetailOut(DeviceOut):
    last_heartbeat: dict[str, Any] = Field(description="Volumes, logged-in users… as last reported.")
    facts: FactsOut | None

    @staticmethod
    def resolve_facts(obj: Device) -> DeviceFacts | None:
        try:
            return obj.facts
        except DeviceFacts.DoesNotExist:
            return None

    @staticmethod
    def resolve_last_heartbeat(obj: Device) -> dict[str, Any]:
        return obj.last_heartbeat if isinstance(obj.last_heartbeat, dict) else {}


class DevicePage(Page):
    results: list[DeviceOut]


class DeviceFilters(PageParams):
    q: SearchText | None = Field(
        None, description="Hostname, display name or serial; user:name for a logged-in user."
    )
    client_id: QueryId | None = None
    site_id: QueryId | None = None
    os_family: OsFamily | None = None
    kind: DeviceKind | None = None
    status: DeviceStatus | None = None
    tag_id: QueryId | None = None
    group_id: QueryId | None = Field(None, description="Members of this static or dynamic group.")
    ordering: DeviceOrdering = "hostname"

    def params(self) -> dict[str, str]:
        values = {
            "q": self.q,
            "client": self.client_id,
            "site": self.site_id,
            "os": self.os_family,
            "kind": self.kind,
            "status": self.status,
            "tag": self.tag_id,
            "group": self.group_id,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


class DevicePatch(PatchSchema):
    nullable_fields = frozenset({"site_id"})

    site_id: BodyId | None = Field(None, description="A site of the device's client, or null.")
    display_name: Str200 | None = Field(None, description="At most 128 characters; empty: the hostname.")
    tags: Annotated[list[TagName], Field(max_length=fleet.MAX_TAGS)] | None = Field(
        None, description="Replaces the device's tags (created on first use)."
    )
    notes: LongText | None = None


DEVICE_ID = path_id("The device's id.")


def _devices(request: HttpRequest) -> Any:
    return fleet.base_queryset(scope_of(request)).prefetch_related("tags")


@router.get(
    "/devices",
    response={200: DevicePage, **responses(403, 422)},
    url_name="device_list",
    auth=guarded(needs("devices.view")),
    operation_id="listDevices",
    summary="List devices",
)
def list_devices(request: HttpRequest, filters: Query[DeviceFilters]) -> Any:
    """The fleet list's filters; the status is computed at request time from the last check-in."""
    scope = scope_of(request)
    devices = order(fleet.filter_devices(scope, filters.params()), filters.ordering)
    return {
        "count": devices.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": fleet.page_of(_devices(request), devices, filters.offset, filters.limit),
    }


@router.get(
    "/devices/{device_id}",
    response={200: DeviceDetailOut, **responses(403, 404, 422)},
    url_name="device_detail",
    auth=guarded(needs_row(Device, "device_id")),
    operation_id="getDevice",
    summary="Get a device",
)
def get_device(request: HttpRequest, device_id: int = DEVICE_ID) -> Any:
    return target(request, Device)


@router.patch(
    "/devices/{device_id}",
    response={200: DeviceDetailOut, **responses(403, 404, 422)},
    url_name="device_detail",
    auth=guarded(needs_row(Device, "device_id", "devices.change")),
    operation_id="updateDevice",
    summary="Change a device",
)
def update_device(request: HttpRequest, payload: DevicePatch, device_id: int = DEVICE_ID) -> Any:
    """Site, display name, tags and notes. Needs `devices.change`."""
    device = target(request, Device)
    return fleet.update_device(scope_of(request), device, payload.changes())


@router.delete(
    "/devices/{device_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="device_detail",
    auth=guarded(needs_row(Device, "device_id", "devices.delete")),
    operation_id="deleteDevice",
    summary="Delete a device",
)
def delete_device(request: HttpRequest, device_id: int = DEVICE_ID) -> Any:
    """Removes the record with its inventory and history. Needs `devices.delete`."""
    fleet.delete_device(scope_of(request), target(request, Device))
    return Status(204, None)


class SoftwareOut(Schema):
    name: str
    version: str
    publisher: str
    install_date: date | None


class SoftwarePage(Page):
    results: list[SoftwareOut]


class SoftwareFilters(PageParams):
    q: SearchText | None = Field(None, description="Matches name or publisher.")


@router.get(
    "/devices/{device_id}/software",
    response={200: SoftwarePage, **responses(403, 404, 422)},
    url_name="device_software",
    auth=guarded(needs_row(Device, "device_id")),
    operation_id="listDeviceSoftware",
    summary="A device's installed software",
)
def device_software(request: HttpRequest, filters: Query[SoftwareFilters], device_id: int = DEVICE_ID) -> Any:
    device = target(request, Device)
    rows = InstalledSoftware.objects.for_scope(scope_of(request)).filter(device=device)
    for word in (filters.q or "").split()[:5]:
        rows = rows.filter(Q(name__icontains=word) | Q(publisher__icontains=word))
    return paginate(rows.order_by("name", "version", "pk"), filters)


class UpdateOut(Schema):
    update_id: str
    title: str
    severity: str
    is_security: bool
    pending_since: datetime | None


class UpdatePage(Page):
    results: list[UpdateOut]


@router.get(
    "/devices/{device_id}/updates",
    response={200: UpdatePage, **responses(403, 404, 422)},
    url_name="device_updates",
    auth=guarded(needs_row(Device, "device_id")),
    operation_id="listDeviceUpdates",
    summary="A device's pending updates",
)
def device_updates(request: HttpRequest, page: Query[PageParams], device_id: int = DEVICE_ID) -> Any:
    device = target(request, Device)
    rows = PendingUpdate.objects.for_scope(scope_of(request)).filter(device=device)
    return paginate(rows.order_by("-is_security", "update_id", "pk"), page)


class ChangeOut(Schema):
    id: int
    at: datetime
    category: str
    summary: str
    details: dict[str, Any]


class ChangePage(Page):
    results: list[ChangeOut]


class ChangeFilters(PageParams):
    category: ChangeCategory | None = None


@router.get(
    "/devices/{device_id}/changes",
    response={200: ChangePage, **responses(403, 404, 422)},
    url_name="device_changes",
    auth=guarded(needs_row(Device, "device_id")),
    operation_id="listDeviceChanges",
    summary="A device's change history, newest first",
)
def device_changes(request: HttpRequest, filters: Query[ChangeFilters], device_id: int = DEVICE_ID) -> Any:
    device = target(request, Device)
    rows = DeviceChange.objects.for_scope(scope_of(request)).filter(device=device)
    if filters.category:
        rows = rows.filter(category=filters.category)
    return paginate(rows.order_by("-at", "-id"), filters)


class PointOut(Schema):
    t: int = Field(description="Unix seconds (bucket start for rollups).")
    cpu: float
    memory: float
    disk: float | None
    cpu_max: float
    memory_max: float


class MetricsOut(Schema):
    resolution: int = Field(description="0: raw heartbeats, else the bucket width in seconds.")
    start: int
    end: int
    points: list[PointOut]


class MetricsQuery(Schema):
    hours: int = Field(24, ge=1, le=24 * 365, description="How far back, 1 hour to a year.")


@router.get(
    "/devices/{device_id}/metrics",
    response={200: MetricsOut, **responses(403, 404, 422)},
    url_name="device_metrics",
    auth=guarded(needs_row(Device, "device_id")),
    operation_id="getDeviceMetrics",
    summary="A device's CPU, memory and disk history",
)
def device_metrics(request: HttpRequest, query: Query[MetricsQuery], device_id: int = DEVICE_ID) -> Any:
    return metric_series(target(request, Device), query.hours).as_dict()


class QuarantineIn(InputSchema):
    reason: Annotated[Str200, Field(min_length=1, max_length=255)]


class WatchIn(InputSchema):
    minutes: Annotated[int, Strict(), Field(ge=1, le=fleet.MAX_WATCH_MINUTES)] = 10


@router.post(
    "/devices/{device_id}/quarantine",
    response={200: DeviceDetailOut, **responses(403, 404, 422)},
    url_name="device_quarantine",
    auth=guarded(needs_row(Device, "device_id", "devices.quarantine")),
    operation_id="quarantineDevice",
    summary="Quarantine a device",
)
def quarantine_device(request: HttpRequest, payload: QuarantineIn, device_id: int = DEVICE_ID) -> Any:
    """Marks the device quarantined and revokes its agent credential. Needs `devices.quarantine`."""
    return fleet.quarantine(scope_of(request), target(request, Device), payload.reason)


@router.post(
    "/devices/{device_id}/release",
    response={200: DeviceDetailOut, **responses(403, 404, 422)},
    url_name="device_release",
    auth=guarded(needs_row(Device, "device_id", "devices.quarantine")),
    operation_id="releaseDevice",
    summary="Release a quarantined device",
)
def release_device(request: HttpRequest, device_id: int = DEVICE_ID) -> Any:
    """The agent enrolls again (its old credential stays revoked). Needs `devices.quarantine`."""
    return fleet.release(scope_of(request), target(request, Device))


@router.post(
    "/devices/{device_id}/watch",
    response={200: DeviceDetailOut, **responses(403, 404, 422)},
    url_name="device_watch",
    auth=guarded(needs_row(Device, "device_id", "devices.change")),
    operation_id="watchDevice",
    summary="Watch a device live",
)
def watch_device(request: HttpRequest, payload: WatchIn, device_id: int = DEVICE_ID) -> Any:
    """Check-ins every 5 seconds for `minutes` (default 10). Needs `devices.change`."""
    return fleet.watch(scope_of(request), target(request, Device), payload.minutes)


@router.post(
    "/devices/{device_id}/request-inventory",
    response={200: DeviceDetailOut, **responses(403, 404, 422)},
    url_name="device_request_inventory",
    auth=guarded(needs_row(Device, "device_id", "devices.change")),
    operation_id="requestDeviceInventory",
    summary="Ask for a full inventory",
)
def request_inventory(request: HttpRequest, device_id: int = DEVICE_ID) -> Any:
    """The agent sends its inventory at its next check-in. Needs `devices.change`."""
    return fleet.request_inventory(scope_of(request), target(request, Device))


# ---- Enrollment tokens ---------------------------------------------------------------


class EnrollmentTokenOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    name: str
    prefix: str
    status: str = Field(description="active, expired, used up or revoked.")
    expires_at: datetime
    max_uses: int | None
    uses: int
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class EnrollmentTokenCreated(EnrollmentTokenOut):
    secret: str = Field(description="The full token. Shown only in this response.")
    command: str = Field(description="The enroll command line for the device.")


class EnrollmentTokenPage(Page):
    results: list[EnrollmentTokenOut]


class EnrollmentTokenFilters(PageParams):
    client_id: QueryId | None = None
    active: bool | None = Field(None, description="Only tokens that can still enroll (true) or not.")


class EnrollmentTokenCreate(InputSchema):
    client_id: BodyId
    site_id: BodyId | None = None
    name: Annotated[Str100, Field(min_length=1)]
    days: Annotated[int, Strict(), Field(ge=1, le=MAX_TOKEN_DAYS)] = 7
    max_uses: Annotated[int, Strict(), Field(ge=1, le=MAX_TOKEN_USES)] | None = None


TOKEN_ID = path_id("The enrollment token's id.")


@router.get(
    "/enrollment-tokens",
    response={200: EnrollmentTokenPage, **responses(403, 422)},
    url_name="enrollment_token_list",
    auth=guarded(needs("devices.enroll")),
    operation_id="listEnrollmentTokens",
    summary="List enrollment tokens",
    tags=["Enrollment tokens"],
)
def list_enrollment_tokens(request: HttpRequest, filters: Query[EnrollmentTokenFilters]) -> Any:
    tokens = EnrollmentToken.objects.for_scope(scope_of(request))
    if filters.client_id is not None:
        tokens = tokens.filter(client_id=filters.client_id)
    if filters.active is not None:
        live = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        tokens = live if filters.active else tokens.exclude(pk__in=live.values("pk"))
    return paginate(tokens.order_by("-created_at", "-pk"), filters)


@router.post(
    "/enrollment-tokens",
    response={201: EnrollmentTokenCreated, **responses(403, 422)},
    url_name="enrollment_token_create",
    auth=guarded(needs("devices.enroll")),
    operation_id="createEnrollmentToken",
    summary="Create an enrollment token",
    tags=["Enrollment tokens"],
)
def create_token(request: HttpRequest, payload: EnrollmentTokenCreate) -> Any:
    """The secret and the enroll command are returned once; only a hash is kept."""
    token, secret = create_enrollment_token(
        scope_of(request), payload.client_id, payload.site_id, payload.name, payload.days, payload.max_uses
    )
    token.secret = secret  # type: ignore[attr-defined]
    token.command = f"steward-agent enroll --server {settings.SITE_URL} --token {secret}"  # type: ignore[attr-defined]
    return Status(201, token)


@router.get(
    "/enrollment-tokens/{token_id}",
    response={200: EnrollmentTokenOut, **responses(403, 404, 422)},
    url_name="enrollment_token_detail",
    auth=guarded(needs_row(EnrollmentToken, "token_id", "devices.enroll")),
    operation_id="getEnrollmentToken",
    summary="Get an enrollment token",
    tags=["Enrollment tokens"],
)
def get_token(request: HttpRequest, token_id: int = TOKEN_ID) -> Any:
    return target(request, EnrollmentToken)


@router.delete(
    "/enrollment-tokens/{token_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="enrollment_token_detail",
    auth=guarded(needs_row(EnrollmentToken, "token_id", "devices.enroll")),
    operation_id="revokeEnrollmentToken",
    summary="Revoke an enrollment token",
    tags=["Enrollment tokens"],
)
def revoke_token(request: HttpRequest, token_id: int = TOKEN_ID) -> Any:
    """Enrolls no more devices; those already enrolled stay."""
    revoke_enrollment_token(scope_of(request), target(request, EnrollmentToken))
    return Status(204, None)


# ---- Device groups -------------------------------------------------------------------


class DeviceGroupOut(Schema):
    id: int
    client_id: int | None = Field(description="Null: provider-wide.")
    name: str
    kind: str
    filter: dict[str, Any] = Field(description="Dynamic groups: the fleet-list filter.")
    description: str
    created_at: datetime
    updated_at: datetime


class DeviceGroupPage(Page):
    results: list[DeviceGroupOut]


class DeviceGroupFilters(PageParams):
    client_id: QueryId | None = None
    kind: GroupKind | None = None


FilterDict = Annotated[dict[Str64, Annotated[str, Field(max_length=100)]], Field(max_length=10)]


class DeviceGroupCreate(InputSchema):
    name: Annotated[Str100, Field(min_length=1)]
    kind: GroupKind = "static"
    client_id: BodyId | None = Field(None, description="Null: provider-wide (staff covering all clients).")
    description: LongText = ""
    filter: FilterDict = Field(
        default_factory=dict, description="Dynamic: q, client, site, os, kind, status, tag."
    )
    device_ids: Annotated[list[BodyId], Field(max_length=fleet.MAX_STATIC_MEMBERS)] = Field(
        default_factory=list, description="Static: the member devices."
    )


class DeviceGroupPatch(PatchSchema):
    name: Annotated[Str100, Field(min_length=1)] | None = None
    kind: GroupKind | None = None
    description: LongText | None = None
    filter: FilterDict | None = None
    device_ids: Annotated[list[BodyId], Field(max_length=fleet.MAX_STATIC_MEMBERS)] | None = None


GROUP_ID = path_id("The device group's id.")


def _manageable(request: HttpRequest, who: Principal) -> None:
    """Check for group writes: in scope (404), may change devices and this group (403)."""
    needs_row(DeviceGroup, "group_id", "devices.change")(request, who)
    fleet.require_manage_group(who.scope, target(request, DeviceGroup))


@router.get(
    "/device-groups",
    response={200: DeviceGroupPage, **responses(403, 422)},
    url_name="device_group_list",
    auth=guarded(needs("devices.view")),
    operation_id="listDeviceGroups",
    summary="List device groups",
    tags=["Device groups"],
)
def list_groups(request: HttpRequest, filters: Query[DeviceGroupFilters]) -> Any:
    groups = DeviceGroup.objects.for_scope(scope_of(request))
    if filters.client_id is not None:
        groups = groups.filter(client_id=filters.client_id)
    if filters.kind:
        groups = groups.filter(kind=filters.kind)
    return paginate(groups.order_by("name", "pk"), filters)


@router.post(
    "/device-groups",
    response={201: DeviceGroupOut, **responses(403, 422)},
    url_name="device_group_create",
    auth=guarded(needs("devices.change")),
    operation_id="createDeviceGroup",
    summary="Create a device group",
    tags=["Device groups"],
)
def create_group(request: HttpRequest, payload: DeviceGroupCreate) -> Any:
    return Status(201, fleet.create_group(scope_of(request), payload.model_dump()))


@router.get(
    "/device-groups/{group_id}",
    response={200: DeviceGroupOut, **responses(403, 404, 422)},
    url_name="device_group_detail",
    auth=guarded(needs_row(DeviceGroup, "group_id")),
    operation_id="getDeviceGroup",
    summary="Get a device group",
    tags=["Device groups"],
)
def get_group(request: HttpRequest, group_id: int = GROUP_ID) -> Any:
    return target(request, DeviceGroup)


@router.patch(
    "/device-groups/{group_id}",
    response={200: DeviceGroupOut, **responses(403, 404, 422)},
    url_name="device_group_detail",
    auth=guarded(_manageable),
    operation_id="updateDeviceGroup",
    summary="Change a device group",
    tags=["Device groups"],
)
def update_group(request: HttpRequest, payload: DeviceGroupPatch, group_id: int = GROUP_ID) -> Any:
    return fleet.update_group(scope_of(request), target(request, DeviceGroup), payload.changes())


@router.delete(
    "/device-groups/{group_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="device_group_detail",
    auth=guarded(_manageable),
    operation_id="deleteDeviceGroup",
    summary="Delete a device group",
    tags=["Device groups"],
)
def delete_group(request: HttpRequest, group_id: int = GROUP_ID) -> Any:
    fleet.delete_group(scope_of(request), target(request, DeviceGroup))
    return Status(204, None)


@router.get(
    "/device-groups/{group_id}/devices",
    response={200: DevicePage, **responses(403, 404, 422)},
    url_name="device_group_devices",
    auth=guarded(needs_row(DeviceGroup, "group_id")),
    operation_id="listDeviceGroupDevices",
    summary="A group's devices (dynamic groups: evaluated now)",
    tags=["Device groups"],
)
def group_devices(request: HttpRequest, page: Query[PageParams], group_id: int = GROUP_ID) -> Any:
    scope = scope_of(request)
    members = fleet.group_members(scope, target(request, DeviceGroup))
    members = members.select_related("client", "site").prefetch_related("tags")
    return paginate(members.order_by("hostname", "pk"), page)


DEVICE = "devices.device"
declare("api:device_list", "list", methods=("GET",))
declare("api:device_detail", "object", model=DEVICE, methods=("GET", "PATCH", "DELETE"))
for name in ("device_software", "device_updates", "device_changes", "device_metrics"):
    declare(f"api:{name}", "object", model=DEVICE, methods=("GET",))
for name in ("device_quarantine", "device_release", "device_watch", "device_request_inventory"):
    declare(f"api:{name}", "object", model=DEVICE, methods=("POST",))
declare("api:enrollment_token_list", "list", methods=("GET",))
declare(
    "api:enrollment_token_create", "create", methods=("POST",), create_fields={"client_id": "core.client"}
)
declare("api:enrollment_token_detail", "object", model="devices.enrollmenttoken", methods=("GET", "DELETE"))
declare("api:device_group_list", "list", methods=("GET",))
declare("api:device_group_create", "create", methods=("POST",), create_fields={"client_id": "core.client"})
declare("api:device_group_detail", "object", model="devices.devicegroup", methods=("GET", "PATCH", "DELETE"))
declare("api:device_group_devices", "object", model="devices.devicegroup", methods=("GET",))
