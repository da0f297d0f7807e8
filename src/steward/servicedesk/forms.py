"""Forms of the service-desk pages. They collect and tidy input; the services validate and save.

Every choice of a client, site, device, person, queue or macro is limited to the acting
scope, so an id from elsewhere is simply "not a valid choice". Files are checked here for
type and size before anything is read into memory, and again by the conversation service.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse

from steward.core.forms.tenancy import scoped_clients
from steward.core.models import Client, Contact, Site, User
from steward.core.scoping import Scope
from steward.devices.models import Device
from steward.servicedesk.models import (
    CannedResponse,
    Level,
    Macro,
    Priority,
    Queue,
    Reply,
    Team,
    Ticket,
    TicketRelation,
    TicketStatus,
    TicketType,
    WorkType,
)
from steward.servicedesk.services import shortcuts, worktime
from steward.servicedesk.services import tickets as ticket_service
from steward.servicedesk.services.conversation import (
    BLOCKED_EXTENSIONS,
    Upload,
    clean_filename,
    max_attachment_bytes,
    max_attachments_per_reply,
)
from steward.servicedesk.services.tickets import MAX_BODY, MAX_SUBJECT, MAX_TAGS, PRIORITY_MATRIX

STATUS_CHOICES = [(value, label) for value, label in TicketStatus.choices if value != TicketStatus.MERGED]
PRIORITY_CHOICES = [("", "From impact and urgency"), *Priority.choices]
MULTI_HELP = "Hold Ctrl (⌘ on a Mac) to pick several."


# ---- Files ----------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; refuses executables and files over the size limit."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Attachments")
        super().__init__(*args, **kwargs)
        limit = max_attachment_bytes()
        self.help_text = self.help_text or (
            f"Up to {max_attachments_per_reply()} files of at most {limit // (1024 * 1024)} MB each; "
            "programs and scripts are not accepted."
        )

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        files: list[UploadedFile] = [single(item, initial) for item in items if item]
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > max_attachments_per_reply():
            raise ValidationError(f"At most {max_attachments_per_reply()} files at once.")
        limit = max_attachment_bytes()
        problems = []
        for upload in files:
            name = clean_filename(upload.name or "")
            suffix = PurePath(name.lower()).suffix
            if suffix in BLOCKED_EXTENSIONS:
                problems.append(f"{name}: {suffix} files are not accepted (programs and scripts).")
            elif (upload.size or 0) > limit:
                problems.append(f"{name}: {upload.size:,} bytes is over the limit of {limit:,} bytes.")
        if problems:
            raise ValidationError(problems)
        return files


def uploads_of(files: Sequence[UploadedFile] | None) -> list[Upload]:
    """The checked files as the conversation service's ``Upload`` objects."""
    return [
        Upload(
            filename=upload.name or "attachment",
            content=b"".join(upload.chunks()),
            content_type=upload.content_type or "",
        )
        for upload in files or ()
    ]


# ---- Small fields ---------------------------------------------------------------------


class TicketReferenceField(forms.CharField):
    """A ticket number typed as ``T-12``, ``#12`` or ``12``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "A ticket number such as T-1234.")
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"autocomplete": "off", "inputmode": "text", "placeholder": "T-…"})

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        number = ticket_service.parse_reference(text)
        if number is None:
            raise ValidationError("Enter a ticket number such as T-1234.")
        return number


DURATION = re.compile(r"^\s*(?:(\d+(?:[.,]\d+)?)\s*h)?\s*(?:(\d+)\s*m?)?\s*$", re.IGNORECASE)


class MinutesField(forms.CharField):
    """Minutes as ``45``, ``1:30``, ``1h 30m``, ``1.5h``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "e.g. 15, 1:30 or 1h 30m")
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"autocomplete": "off", "placeholder": "30"})

    def clean(self, value: Any) -> int | None:
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        minutes: float
        if ":" in text:
            hours, _, rest = text.partition(":")
            if not (hours.strip().isdigit() and rest.strip().isdigit()):
                raise ValidationError("Enter minutes, e.g. 15, 1:30 or 1h 30m.")
            minutes = int(hours) * 60 + int(rest)
        else:
            match = DURATION.match(text)
            if match is None or not (match.group(1) or match.group(2)):
                raise ValidationError("Enter minutes, e.g. 15, 1:30 or 1h 30m.")
            minutes = float((match.group(1) or "0").replace(",", ".")) * 60 + int(match.group(2) or 0)
        total = round(minutes)
        if not 1 <= total <= worktime.MAX_ENTRY_MINUTES:
            raise ValidationError(f"Between 1 and {worktime.MAX_ENTRY_MINUTES} minutes.")
        return total


class CcField(forms.CharField):
    """E-mail addresses separated by commas or semicolons → a de-duplicated list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5000)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Cc")
        kwargs.setdefault("help_text", "E-mail addresses, comma-separated.")
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value: Any) -> list[str]:
        from django.core.validators import validate_email

        addresses: list[str] = []
        for part in str(super().clean(value) or "").replace(";", ",").split(","):
            address = part.strip().lower()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(f"“{address[:100]}” is not an e-mail address.") from None
            addresses.append(address)
        if len(addresses) > 50:
            raise ValidationError("At most 50 addresses.")
        return list(dict.fromkeys(addresses))


def tag_names(text: str) -> list[str]:
    return [name.strip() for name in str(text or "").split(",") if name.strip()]


class TagsField(forms.CharField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 1100)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma-separated, e.g. printer, vip. New tags are created.")
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> list[str]:
        names = tag_names(super().clean(value))
        if any(len(name) > 50 for name in names):
            raise ValidationError("A tag has at most 50 characters.")
        if len({name.lower() for name in names}) > MAX_TAGS:
            raise ValidationError(f"At most {MAX_TAGS} tags.")
        return names


class DeviceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else str(obj.email)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        where = "staff" if obj.client_id is None else "client"
        return f"{obj.full_name or obj.email} · {where}"


def provider_queues(scope: Scope) -> QuerySet[Queue]:
    return Queue.objects.filter(provider_id=scope.provider_id).order_by("name")


def provider_teams(scope: Scope) -> QuerySet[Team]:
    return Team.objects.filter(provider_id=scope.provider_id).order_by("name")


def priority_matrix_json() -> str:
    """Impact and urgency → priority, with labels, for the live preview (read by servicedesk.js)."""
    import json

    matrix = {f"{impact}:{urgency}": str(priority) for (impact, urgency), priority in PRIORITY_MATRIX.items()}
    labels = {str(value): str(label) for value, label in Priority.choices}
    return json.dumps({"matrix": matrix, "labels": labels})


# ---- Staff: a new ticket ----------------------------------------------------------------


class TicketCreateForm(forms.Form):
    """A new ticket by staff; the client's sites, people and devices follow the chosen client."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client…")
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="No particular site"
    )
    requester = forms.ChoiceField(
        choices=(),
        required=False,
        help_text="Someone with a portal account sees the ticket in the portal.",
    )
    requester_email = forms.EmailField(
        required=False,
        max_length=254,
        label="…or requester e-mail",
        help_text="When the person is not listed.",
    )
    subject = forms.CharField(max_length=MAX_SUBJECT)
    body = forms.CharField(label="Description", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8}))
    ticket_type = forms.ChoiceField(label="Type", choices=TicketType.choices, initial=TicketType.INCIDENT)
    impact = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM)
    urgency = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM)
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES, required=False, label="Priority override")
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), required=False, empty_label="Default queue")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="The queue's team"
    )
    assignee = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")
    devices = DeviceChoiceField(queryset=Device.objects.none(), required=False, help_text=MULTI_HELP)
    tags = TagsField()
    cc_emails = CcField()
    attachments = MultipleFileField()

    CLIENT_FIELDS = ("site", "requester", "devices")

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        clients = scoped_clients(scope)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["queue"].queryset = provider_queues(scope)  # type: ignore[attr-defined]
        self.fields["team"].queryset = provider_teams(scope)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = ticket_service.assignable_users(scope)  # type: ignore[attr-defined]
        self.fields["client"].widget.attrs.update(
            {
                "hx-get": reverse("ticket_create"),
                "hx-trigger": "change",
                "hx-target": "#client-fields",
                "hx-select": "#client-fields",
                "hx-swap": "outerHTML",
                "hx-include": "this",
            }
        )
        for name in ("impact", "urgency", "priority"):
            self.fields[name].widget.attrs["data-priority-input"] = name
        self.client_obj = self._chosen_client(clients)
        client_id = self.client_obj.pk if self.client_obj else None
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.for_scope(scope).filter(client_id=client_id).order_by("name")
        )
        self.fields["devices"].queryset = (  # type: ignore[attr-defined]
            Device.objects.for_scope(scope)
            .filter(client_id=client_id)
            .only("pk", "hostname", "display_name", "client_id")
            .order_by("hostname")
        )
        self.people = {
            f"user:{user.pk}": user
            for user in ticket_service.client_people(scope, client_id).only(
                "pk", "full_name", "email", "client_id"
            )
        }
        self.contacts = {
            f"contact:{contact.pk}": contact
            for contact in Contact.objects.for_scope(scope)
            .filter(client_id=client_id)
            .order_by("full_name", "pk")
        }
        self.fields["requester"].choices = [  # type: ignore[attr-defined]
            ("", "Nobody in particular" if client_id else "Choose the client first"),
            ("Portal users", [(key, f"{u.full_name} ({u.email})") for key, u in self.people.items()]),
            (
                "Contacts",
                [
                    (key, f"{c.full_name}{f' ({c.email})' if c.email else ''}")
                    for key, c in self.contacts.items()
                ],
            ),
        ]
        if not client_id:
            self.fields["site"].help_text = "Choose the client first to pick one of its sites."

    def _chosen_client(self, clients: QuerySet[Client]) -> Client | None:
        raw = self.data.get("client") if self.is_bound else self.initial.get("client")
        raw = getattr(raw, "pk", raw)
        if raw in (None, "") or not str(raw).isdigit():
            return None
        return clients.filter(pk=int(str(raw))).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("requester") or ""
        if key and key not in self.people and key not in self.contacts:
            self.add_error("requester", "Choose someone of this client.")
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        client = data["client"]
        user = self.people.get(data.get("requester") or "")
        contact = self.contacts.get(data.get("requester") or "")
        email = data.get("requester_email") or ""
        name = ""
        if user is not None:
            email, name = user.email, user.full_name
        elif contact is not None:
            email, name = contact.email or "", contact.full_name
        if email and (user is None or contact is None):
            found_user, found_contact = ticket_service.requester_for(self.scope, client, email)
            user = user or found_user
            contact = contact or found_contact
            name = name or (user.full_name if user else contact.full_name if contact else "")
        return {
            "client_id": client.pk,
            "site_id": data["site"].pk if data.get("site") else None,
            "subject": data["subject"],
            "body": data["body"],
            "ticket_type": data["ticket_type"],
            "impact": data["impact"],
            "urgency": data["urgency"],
            "priority": data.get("priority") or None,
            "queue_id": data["queue"].pk if data.get("queue") else None,
            "team_id": data["team"].pk if data.get("team") else None,
            "assignee_id": data["assignee"].pk if data.get("assignee") else None,
            "requester_user": user,
            "requester_contact": contact,
            "requester_email": email,
            "requester_name": name,
            "cc_emails": data.get("cc_emails") or [],
            "device_ids": [device.pk for device in data.get("devices") or []],
            "tags": data.get("tags") or [],
        }


# ---- Portal: a new ticket in plain words ------------------------------------------------

PORTAL_TYPES = [
    (TicketType.INCIDENT, "Something is broken or not working"),
    (TicketType.SERVICE_REQUEST, "I need something (access, software, equipment…)"),
]
PORTAL_IMPACT = [
    (Level.LOW, "Just me"),
    (Level.MEDIUM, "Several people or a team"),
    (Level.HIGH, "Everyone, or a whole site"),
]
PORTAL_URGENCY = [
    (Level.LOW, "It can wait"),
    (Level.MEDIUM, "It slows work down"),
    (Level.HIGH, "Work has stopped"),
]


class PortalTicketForm(forms.Form):
    subject = forms.CharField(
        max_length=MAX_SUBJECT, help_text="A short summary, e.g. “Printer on floor 2 jams”."
    )
    body = forms.CharField(
        label="What is happening?",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you tried, error messages, since when.",
    )
    ticket_type = forms.ChoiceField(
        label="What kind of request is it?",
        choices=PORTAL_TYPES,
        initial=TicketType.INCIDENT,
        widget=forms.RadioSelect,
    )
    impact = forms.ChoiceField(
        label="How many people are affected?",
        choices=PORTAL_IMPACT,
        initial=Level.LOW,
        widget=forms.RadioSelect,
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?", choices=PORTAL_URGENCY, initial=Level.MEDIUM, widget=forms.RadioSelect
    )
    devices = DeviceChoiceField(
        queryset=Device.objects.none(),
        required=False,
        label="Which computers are involved?",
        help_text=f"Optional. {MULTI_HELP}",
    )
    attachments = MultipleFileField(label="Screenshots or files")

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_id = scope.user.client_id if scope.user is not None else None
        self.fields["devices"].queryset = (  # type: ignore[attr-defined]
            Device.objects.for_scope(scope)
            .filter(client_id=client_id)
            .only("pk", "hostname", "display_name", "client_id")
            .order_by("hostname")
        )
        if not self.fields["devices"].queryset.exists():  # type: ignore[attr-defined]
            del self.fields["devices"]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "subject": data["subject"],
            "body": data["body"],
            "ticket_type": data["ticket_type"],
            "impact": data["impact"],
            "urgency": data["urgency"],
            "device_ids": [device.pk for device in data.get("devices") or []],
        }


# ---- On a ticket ------------------------------------------------------------------------


class PageForm(forms.Form):
    """A form of the ticket page: field ids carry a prefix, as several forms share field names."""

    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class ReplyForm(PageForm):
    """Staff: a public reply or an internal note, optionally moving the ticket on."""

    id_prefix = "reply"

    body = forms.CharField(
        label="Message", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 6, "data-reply-body": ""})
    )
    visibility = forms.ChoiceField(
        choices=Reply.Visibility.choices,
        initial=Reply.Visibility.PUBLIC,
        widget=forms.RadioSelect,
        label="Send as",
    )
    status = forms.ChoiceField(
        choices=[("", "Keep the status (automatic)"), *STATUS_CHOICES],
        required=False,
        label="Then set status",
    )
    attachments = MultipleFileField()

    def __init__(self, *args: Any, can_note: bool = True, can_manage: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_note:
            self.fields["visibility"].choices = [(Reply.Visibility.PUBLIC, "Public reply")]  # type: ignore[attr-defined]
        if not can_manage:
            del self.fields["status"]


class PortalReplyForm(PageForm):
    id_prefix = "reply"

    body = forms.CharField(
        label="Your reply",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5, "data-reply-body": ""}),
    )
    attachments = MultipleFileField()


class AttachForm(PageForm):
    id_prefix = "attach"

    attachments = MultipleFileField(required=True, label="Files")


class StatusForm(PageForm):
    id_prefix = "status"

    status = forms.ChoiceField(choices=STATUS_CHOICES)


class TicketEditForm(PageForm):
    """The staff-editable fields of a ticket; ``changes()`` names only what really changed."""

    id_prefix = "edit"

    subject = forms.CharField(max_length=MAX_SUBJECT)
    ticket_type = forms.ChoiceField(label="Type", choices=TicketType.choices)
    impact = forms.ChoiceField(choices=Level.choices)
    urgency = forms.ChoiceField(choices=Level.choices)
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES, required=False, label="Priority override")
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), empty_label=None)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="No team")
    assignee = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="No particular site"
    )
    tags = TagsField()
    devices = DeviceChoiceField(queryset=Device.objects.none(), required=False, help_text=MULTI_HELP)
    watchers = PeopleChoiceField(queryset=User.objects.none(), required=False, help_text=MULTI_HELP)
    cc_emails = CcField()

    def __init__(self, *args: Any, scope: Scope, ticket: Ticket, **kwargs: Any) -> None:
        self.ticket = ticket
        self.scope = scope
        self.current_tags = list(ticket.tags.order_by("name").values_list("name", flat=True))
        self.current_devices = set(ticket.devices.values_list("pk", flat=True))
        self.current_watchers = set(ticket.watchers.values_list("pk", flat=True))
        matrix = PRIORITY_MATRIX.get((ticket.impact, ticket.urgency))
        kwargs.setdefault(
            "initial",
            {
                "subject": ticket.subject,
                "ticket_type": ticket.ticket_type,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "priority": "" if ticket.priority == matrix else ticket.priority,
                "queue": ticket.queue_id,
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "site": ticket.site_id,
                "tags": ", ".join(self.current_tags),
                "devices": sorted(self.current_devices),
                "watchers": sorted(self.current_watchers),
                "cc_emails": ", ".join(ticket.cc_emails or []),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = provider_queues(scope)  # type: ignore[attr-defined]
        self.fields["team"].queryset = provider_teams(scope)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = ticket_service.assignable_users(scope)  # type: ignore[attr-defined]
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.for_scope(scope).filter(client_id=ticket.client_id).order_by("name")
        )
        self.fields["devices"].queryset = (  # type: ignore[attr-defined]
            Device.objects.for_scope(scope)
            .filter(client_id=ticket.client_id)
            .only("pk", "hostname", "display_name", "client_id")
            .order_by("hostname")
        )
        self.fields["watchers"].queryset = ticket_service.watcher_candidates(scope, ticket)  # type: ignore[attr-defined]
        for name in ("impact", "urgency", "priority"):
            self.fields[name].widget.attrs["data-priority-input"] = name

    def changes(self) -> dict[str, Any]:
        """``update_ticket`` data holding only the changed fields."""
        data = self.cleaned_data
        ticket = self.ticket
        out: dict[str, Any] = {}
        if data["subject"] != ticket.subject:
            out["subject"] = data["subject"]
        if data["ticket_type"] != ticket.ticket_type:
            out["ticket_type"] = data["ticket_type"]
        override = data.get("priority") or ""
        matrix = PRIORITY_MATRIX.get((data["impact"], data["urgency"]))
        if (
            data["impact"] != ticket.impact
            or data["urgency"] != ticket.urgency
            or (not override and ticket.priority != matrix)
        ):
            out["impact"] = data["impact"]
            out["urgency"] = data["urgency"]
        if override and override != ticket.priority:
            out["priority"] = override
        pairs = (("queue", "queue_id"), ("team", "team_id"), ("assignee", "assignee_id"), ("site", "site_id"))
        for field, key in pairs:
            value = data.get(field)
            new_id = value.pk if value is not None else None
            if new_id != getattr(ticket, key):
                out[key] = new_id
        if [name.lower() for name in data["tags"]] != [name.lower() for name in self.current_tags]:
            out["tags"] = data["tags"]
        devices = {device.pk for device in data.get("devices") or []}
        if devices != self.current_devices:
            out["device_ids"] = sorted(devices)
        cc = data.get("cc_emails") or []
        if cc != list(ticket.cc_emails or []):
            out["cc_emails"] = cc
        return out

    def watcher_ids(self) -> list[int] | None:
        """The chosen watchers when they changed, else None."""
        ids = {user.pk for user in self.cleaned_data.get("watchers") or []}
        return sorted(ids) if ids != self.current_watchers else None


class LinkForm(PageForm):
    id_prefix = "link"

    target = TicketReferenceField(label="Ticket")
    kind = forms.ChoiceField(
        choices=TicketRelation.Kind.choices, initial=TicketRelation.Kind.RELATES, label="Link"
    )


class ParentForm(PageForm):
    id_prefix = "parent"

    parent = TicketReferenceField(label="Parent ticket", required=False, help_text="Empty: no parent.")


class MergeForm(PageForm):
    id_prefix = "merge"

    target = TicketReferenceField(label="Merge into ticket")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SplitForm(forms.Form):
    replies = forms.MultipleChoiceField(
        choices=(), widget=forms.CheckboxSelectMultiple, label="Replies to move to the new ticket"
    )
    subject = forms.CharField(
        max_length=MAX_SUBJECT, required=False, help_text="Empty: “Split from T-… : original subject”."
    )

    def __init__(self, *args: Any, replies: Sequence[Reply], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replies"].choices = [(str(reply.pk), str(reply.pk)) for reply in replies]  # type: ignore[attr-defined]


class MacroApplyForm(PageForm):
    id_prefix = "macro"

    macro = forms.ModelChoiceField(queryset=Macro.objects.none(), empty_label="Choose a macro…")

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = shortcuts.macros(scope).order_by("name")  # type: ignore[attr-defined]


BILLABLE_CHOICES = [("", "As the work type says"), ("yes", "Billable"), ("no", "Not billable")]


def billable_value(raw: str) -> bool | None:
    return {"yes": True, "no": False}.get(raw)


class TimerStopForm(PageForm):
    id_prefix = "timer"

    work_type = forms.ModelChoiceField(
        queryset=WorkType.objects.none(), required=False, empty_label="Default work type"
    )
    billable = forms.ChoiceField(choices=BILLABLE_CHOICES, required=False)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_type"].queryset = worktime.work_types(scope).order_by("name")  # type: ignore[attr-defined]


class TimeEntryForm(TimerStopForm):
    id_prefix = "time"

    minutes = MinutesField(label="Time spent")
    started_at = forms.DateTimeField(
        required=False,
        label="Started",
        help_text="Empty: just now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    field_order = ["minutes", "work_type", "billable", "started_at", "note"]

    def clean_started_at(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("started_at")
        if value is not None and value.year < 2000:
            raise ValidationError("Enter a date after the year 2000.")
        return value


class SaveViewForm(PageForm):
    id_prefix = "save-view"

    name = forms.CharField(max_length=100, label="View name")
    shared = forms.BooleanField(required=False, label="Share with the team")
    query = forms.CharField(max_length=4000, required=False, widget=forms.HiddenInput)


# ---- Configuration ------------------------------------------------------------------------


class CannedResponseForm(forms.Form):
    title = forms.CharField(max_length=150)
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="Every client",
        help_text="Offered only on that client's tickets.",
    )
    body = forms.CharField(
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Placeholders: {ticket} {subject} {requester} {client} {me}.",
    )

    def __init__(self, *args: Any, scope: Scope, canned: CannedResponse | None = None, **kwargs: Any) -> None:
        if canned is not None:
            kwargs.setdefault(
                "initial", {"title": canned.title, "client": canned.client_id, "body": canned.body}
            )
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]


NO_CHANGE = ("", "No change")
UNASSIGN = "none"


class MacroForm(forms.Form):
    """A macro's actions as fields; empty fields are not part of the macro."""

    name = forms.CharField(max_length=150)
    status = forms.ChoiceField(choices=[NO_CHANGE, *STATUS_CHOICES], required=False, label="Set status")
    priority = forms.ChoiceField(choices=[NO_CHANGE, *Priority.choices], required=False, label="Set priority")
    impact = forms.ChoiceField(choices=[NO_CHANGE, *Level.choices], required=False, label="Set impact")
    urgency = forms.ChoiceField(choices=[NO_CHANGE, *Level.choices], required=False, label="Set urgency")
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(), required=False, empty_label="No change", label="Move to queue"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No change", label="Set team"
    )
    assignee = forms.ChoiceField(choices=(), required=False, label="Assign to")
    add_tags = TagsField(label="Add tags")
    note = forms.CharField(
        max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Add internal note"
    )
    reply = forms.CharField(
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Send public reply",
        help_text="Placeholders: {ticket} {subject} {requester} {client} {me}.",
    )

    def __init__(self, *args: Any, scope: Scope, macro: Macro | None = None, **kwargs: Any) -> None:
        if macro is not None:
            actions = macro.actions if isinstance(macro.actions, dict) else {}
            assignee = actions.get("assignee_id", "")
            kwargs.setdefault(
                "initial",
                {
                    "name": macro.name,
                    **{
                        key: actions.get(key, "")
                        for key in ("status", "priority", "impact", "urgency", "note", "reply")
                    },
                    "queue": actions.get("queue_id"),
                    "team": actions.get("team_id"),
                    "assignee": UNASSIGN
                    if "assignee_id" in actions and assignee in (None, "")
                    else str(assignee or ""),
                    "add_tags": ", ".join(actions.get("add_tags") or []),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = provider_queues(scope)  # type: ignore[attr-defined]
        self.fields["team"].queryset = provider_teams(scope)  # type: ignore[attr-defined]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            NO_CHANGE,
            (UNASSIGN, "Nobody (unassign)"),
            *(
                (str(user.pk), user.full_name or user.email)
                for user in ticket_service.assignable_users(scope)
            ),
        ]

    def actions(self) -> dict[str, Any]:
        data = self.cleaned_data
        actions: dict[str, Any] = {}
        for key in ("status", "priority", "impact", "urgency"):
            if data.get(key):
                actions[key] = data[key]
        if data.get("queue") is not None:
            actions["queue_id"] = data["queue"].pk
        if data.get("team") is not None:
            actions["team_id"] = data["team"].pk
        if data.get("assignee") == UNASSIGN:
            actions["assignee_id"] = None
        elif data.get("assignee"):
            actions["assignee_id"] = int(data["assignee"])
        if data.get("add_tags"):
            actions["add_tags"] = data["add_tags"]
        for key in ("note", "reply"):
            text = str(data.get(key) or "").strip()
            if text:
                actions[key] = text
        return actions


class CsatCommentForm(forms.Form):
    comment = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything you would like to add?",
    )
