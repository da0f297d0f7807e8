"""Forms of the desk's setup pages: SLA policies and calendars (YAML), mailboxes, profiles."""

from __future__ import annotations

from typing import Any

import yaml
from django import forms

from steward.core.models import Client
from steward.servicedesk import sla as engine
from steward.servicedesk.models import BusinessCalendar, Mailbox, Queue, ServiceProfile, SlaPolicy

MAX_DEFINITION_CHARS = 64_000
CALENDAR_EXAMPLE = """timezone: Europe/London
hours:
  mon-fri: ["08:30-17:30"]
holidays:
  - {date: 2026-12-25, name: Christmas Day, recurring: true}
"""
SLA_EXAMPLE = """warn_at: 80%
pause_statuses: [waiting_on_customer, waiting_on_third_party]
targets:
  first_response: {p1: 30m, p2: 1h, p3: 4h, p4: 8h}
  next_update:    {p1: 1h, p2: 4h, p3: 8h, p4: 16h}
  resolution:     {p1: 4h, p2: 8h, p3: 24h, p4: 40h}
"""


def _load_yaml(text: str) -> dict[str, Any]:
    if len(text) > MAX_DEFINITION_CHARS:
        raise forms.ValidationError(f"At most {MAX_DEFINITION_CHARS:,} characters.")
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise forms.ValidationError(f"Not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise forms.ValidationError("Write a mapping of settings (key: value lines), as in the example.")
    return data


def _jsonable(value: Any) -> Any:
    """YAML dates and times become strings so the definition can be stored as JSON."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def definition_yaml(definition: dict[str, Any]) -> str:
    return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True) if definition else ""


class CalendarForm(forms.ModelForm):
    definition_text = forms.CharField(
        label="Definition (YAML)",
        widget=forms.Textarea(attrs={"rows": 12, "class": "mono", "spellcheck": "false"}),
        help_text="Time zone, business hours per weekday (24:00 allowed), holidays; or always_open: true.",
        initial=CALENDAR_EXAMPLE,
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "is_default"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["definition_text"].initial = definition_yaml(self.instance.definition)

    def clean_definition_text(self) -> dict[str, Any]:
        data = _jsonable(_load_yaml(self.cleaned_data["definition_text"]))
        try:
            engine.parse_calendar({"name": self.cleaned_data.get("name") or "calendar", **data})
        except engine.SlaConfigError as exc:
            raise forms.ValidationError(str(exc)) from None
        data.pop("name", None)
        return dict(data)


class SlaPolicyForm(forms.ModelForm):
    definition_text = forms.CharField(
        label="Definition (YAML)",
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono", "spellcheck": "false"}),
        help_text="Targets per metric and priority (30m, 4h), pause statuses, warnings, type overrides.",
        initial=SLA_EXAMPLE,
    )

    class Meta:
        model = SlaPolicy
        fields = ["name", "calendar", "is_default"]

    def __init__(self, *args: Any, provider_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        calendar_field = self.fields["calendar"]
        assert isinstance(calendar_field, forms.ModelChoiceField)
        calendar_field.queryset = BusinessCalendar.objects.filter(provider_id=provider_id)
        calendar_field.empty_label = "— the site's, client's or default calendar —"
        if self.instance.pk:
            self.fields["definition_text"].initial = definition_yaml(self.instance.definition)

    def clean_definition_text(self) -> dict[str, Any]:
        data = _jsonable(_load_yaml(self.cleaned_data["definition_text"]))
        try:
            engine.parse_policy({"name": self.cleaned_data.get("name") or "sla", **data})
        except engine.SlaConfigError as exc:
            raise forms.ValidationError(str(exc)) from None
        data.pop("name", None)
        return dict(data)


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        label="IMAP password",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted. Leave empty to keep the current one.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "client",
            "queue",
            "enabled",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_folder",
        ]

    def __init__(self, *args: Any, provider_id: int, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_field = self.fields["client"]
        queue_field = self.fields["queue"]
        assert isinstance(client_field, forms.ModelChoiceField)
        assert isinstance(queue_field, forms.ModelChoiceField)
        client_field.queryset = clients
        client_field.empty_label = "— shared: map senders to clients —"
        queue_field.queryset = Queue.objects.filter(provider_id=provider_id)
        self.fields["imap_host"].help_text = "Empty: no polling (mail arrives through `steward mail listen`)."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("imap_host") and not cleaned.get("imap_username"):
            self.add_error("imap_username", "Give the IMAP user name for polling.")
        port = cleaned.get("imap_port")
        if port is not None and not 1 <= port <= 65535:
            self.add_error("imap_port", "A TCP port is between 1 and 65535.")
        return cleaned


class ServiceProfileForm(forms.ModelForm):
    class Meta:
        model = ServiceProfile
        fields = ["site", "sla_policy", "calendar", "sender_name", "default_queue"]

    def __init__(self, *args: Any, provider_id: int, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset, empty in (
            ("site", sites, "— the whole client —"),
            ("sla_policy", SlaPolicy.objects.filter(provider_id=provider_id), "— the provider's default —"),
            (
                "calendar",
                BusinessCalendar.objects.filter(provider_id=provider_id),
                "— the SLA's or default —",
            ),
            ("default_queue", Queue.objects.filter(provider_id=provider_id), "— the default queue —"),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
            field.empty_label = empty


class AcceptMailForm(forms.Form):
    client: forms.ModelChoiceField[Client] = forms.ModelChoiceField(
        queryset=Client.unscoped.none(), empty_label="— choose the client —"
    )

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clients
