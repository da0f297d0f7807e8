"""Fleet pages: devices, enrollment tokens and device groups.

Each route is declared for the cross-tenant access harness right next to its path.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from steward.core.access import Kind, declare
from steward.devices.views import enrollment, fleet, groups

GET_POST = ("GET", "POST")
POST = ("POST",)
CLIENT_FIELD = {"client": "core.client"}
DEVICE = "devices.device"
GROUP = "devices.devicegroup"


def route(
    pattern: str,
    view: Any,
    name: str,
    kind: Kind,
    *,
    model: str = "",
    methods: tuple[str, ...] = ("GET",),
    create_fields: dict[str, str] | None = None,
) -> URLPattern:
    declare(name, kind, model=model, methods=methods, create_fields=create_fields)
    return path(pattern, view, name=name)


urlpatterns = [
    route("devices/", fleet.device_list, "device_list", "list"),
    route("devices/<int:pk>/", fleet.device_detail, "device_detail", "object", model=DEVICE),
    route(
        "devices/<int:pk>/edit/", fleet.device_edit, "device_edit", "object", model=DEVICE, methods=GET_POST
    ),
    route(
        "devices/<int:pk>/watch/", fleet.device_watch, "device_watch", "object", model=DEVICE, methods=POST
    ),
    route(
        "devices/<int:pk>/request-inventory/",
        fleet.device_request_inventory,
        "device_request_inventory",
        "object",
        model=DEVICE,
        methods=POST,
    ),
    route(
        "devices/<int:pk>/quarantine/",
        fleet.device_quarantine,
        "device_quarantine",
        "object",
        model=DEVICE,
        methods=GET_POST,
    ),
    route(
        "devices/<int:pk>/release/",
        fleet.device_release,
        "device_release",
        "object",
        model=DEVICE,
        methods=POST,
    ),
    route(
        "devices/<int:pk>/revoke-credential/",
        fleet.device_revoke,
        "device_revoke",
        "object",
        model=DEVICE,
        methods=GET_POST,
    ),
    route(
        "devices/<int:pk>/delete/",
        fleet.device_delete,
        "device_delete",
        "object",
        model=DEVICE,
        methods=GET_POST,
    ),
    route("enrollment/", enrollment.enrollment_token_list, "enrollment_token_list", "list"),
    route(
        "enrollment/new/",
        enrollment.enrollment_token_create,
        "enrollment_token_create",
        "create",
        methods=GET_POST,
        create_fields=CLIENT_FIELD,
    ),
    route(
        "enrollment/<int:pk>/revoke/",
        enrollment.enrollment_token_revoke,
        "enrollment_token_revoke",
        "object",
        model="devices.enrollmenttoken",
        methods=POST,
    ),
    route("device-groups/", groups.device_group_list, "device_group_list", "list"),
    route(
        "device-groups/new/",
        groups.device_group_create,
        "device_group_create",
        "create",
        methods=GET_POST,
        create_fields=CLIENT_FIELD,
    ),
    route(
        "device-groups/<int:pk>/", groups.device_group_detail, "device_group_detail", "object", model=GROUP
    ),
    route(
        "device-groups/<int:pk>/edit/",
        groups.device_group_edit,
        "device_group_edit",
        "object",
        model=GROUP,
        methods=GET_POST,
    ),
    route(
        "device-groups/<int:pk>/delete/",
        groups.device_group_delete,
        "device_group_delete",
        "object",
        model=GROUP,
        methods=GET_POST,
    ),
]
