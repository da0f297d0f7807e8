"""The fleet card on the dashboard: devices per status for the viewer's scope."""

from __future__ import annotations

from typing import Any

from steward.core.scoping import Scope
from steward.devices.models import Device
from steward.devices.services.fleet import status_counts


def fleet_widget(scope: Scope) -> dict[str, Any] | None:
    """``{"template", "data"}`` for the dashboard's ``widgets`` list; None without access."""
    if not scope.can("devices.view"):
        return None
    return {
        "template": "devices/_dashboard_widget.html",
        "data": status_counts(Device.objects.for_scope(scope)),
    }
