"""Forms of the fleet pages. They collect and tidy input; the services validate and save.

Every choice of a client, site or device is limited to the acting scope.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from steward.core.forms.tenancy import scoped_clients
from steward.core.models import Client, Site
from steward.core.scoping import Scope
from steward.devices.models import Device, DeviceGroup
from steward.devices.services import fleet
from steward.devices.services.tokens import MAX_TOKEN_DAYS, MAX_TOKEN_USES


class DeviceForm(forms.Form):
    display_name = forms.CharField(
        max_length=128, required=False, help_text="Shown instead of the hostname in lists."
    )
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="No site")
    tags = forms.CharField(
        max_length=1100, required=False, help_text="Comma-separated, e.g. VIP, kiosk. New tags are created."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20_000)

    def __init__(self, *args: Any, scope: Scope, device: Device, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "display_name": device.display_name,
                "site": device.site_id,
                "tags": ", ".join(tag.name for tag in device.tags.all()),
                "notes": device.notes,
            },
        )
        super().__init__(*args, **kwargs)
        sites = Site.objects.for_scope(scope).filter(client_id=device.client_id).order_by("name")
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        site = self.cleaned_data.get("site")
        return {
            "display_name": self.cleaned_data["display_name"],
            "site_id": site.pk if site else None,
            "tags": [name for name in self.cleaned_data["tags"].split(",") if name.strip()],
            "notes": self.cleaned_data["notes"],
        }


class QuarantineForm(forms.Form):
    reason = forms.CharField(
        max_length=255, help_text="Shown on the device page and kept in the audit trail."
    )


class EnrollmentTokenForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client…")
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        required=False,
        empty_label="Any site (set it later)",
        help_text="Devices enrolled with this token join this site.",
    )
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “Surgery laptops”.")
    days = forms.IntegerField(
        min_value=1, max_value=MAX_TOKEN_DAYS, initial=7, label="Valid for (days)", help_text="1 to 365 days."
    )
    max_uses = forms.IntegerField(
        min_value=1,
        max_value=MAX_TOKEN_USES,
        required=False,
        label="Maximum uses",
        help_text="Empty: any number of devices until it expires.",
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]
        sites = Site.objects.for_scope(scope).select_related("client").order_by("client__name", "name")
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["site"].label_from_instance = lambda site: f"{site.client.name} · {site.name}"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client, site = data.get("client"), data.get("site")
        if client is not None and site is not None and site.client_id != client.pk:
            self.add_error("site", "This site belongs to another client.")
        return data


class DeviceGroupForm(forms.Form):
    name = forms.CharField(max_length=100)
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="All clients (provider-wide)",
        help_text="A client's group only ever holds that client's devices.",
    )
    kind = forms.ChoiceField(choices=DeviceGroup.Kind.choices, initial=DeviceGroup.Kind.STATIC)
    filter = forms.CharField(
        required=False,
        max_length=1000,
        label="Filter (dynamic groups)",
        help_text="The fleet list's filters as a query, e.g. os=windows&kind=laptop&status=offline.",
    )
    members = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=200_000,
        label="Devices (static groups)",
        help_text="Hostnames or display names, one per line.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, scope: Scope, group: DeviceGroup | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.group = group
        if group is not None:
            del self.fields["client"]  # a group never moves to another client
        else:
            self.fields["client"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]
            if not scope.all_clients:
                self.fields["client"].required = True
                self.fields["client"].empty_label = "Choose a client…"  # type: ignore[attr-defined]

    def clean_filter(self) -> dict[str, str]:
        try:
            return fleet.clean_filter(self.cleaned_data.get("filter", ""))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["filter"]) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == DeviceGroup.Kind.DYNAMIC and "filter" in data and not data["filter"]:
            self.add_error("filter", "A dynamic group needs at least one filter.")
        if data.get("kind") == DeviceGroup.Kind.STATIC and "members" in data:
            client = data.get("client") if self.group is None else self.group.client
            try:
                data["device_ids"] = fleet.devices_by_hostname(
                    self.scope, data["members"].splitlines(), client.pk if client else None
                )
            except ValidationError as exc:
                self.add_error("members", exc.message_dict["devices"])
        return data

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.cleaned_data["name"],
            "kind": self.cleaned_data["kind"],
            "description": self.cleaned_data["description"],
        }
        if data["kind"] == DeviceGroup.Kind.DYNAMIC:
            data["filter"] = self.cleaned_data["filter"]
        else:
            data["device_ids"] = self.cleaned_data.get("device_ids", [])
        if self.group is None:
            client = self.cleaned_data.get("client")
            data["client_id"] = client.pk if client else None
        return data
