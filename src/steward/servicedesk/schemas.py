"""Request and response schemas of the service-desk API (``steward.servicedesk.api``).

Inputs follow the API's conventions (``steward.core.api.common``): unknown fields are an
error, text has the models' length limits and no NUL characters, ids in bodies are JSON
integers, enums are closed lists whose 422 message names the allowed values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, get_args

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from steward.core.api.common import (
    MAX_ID,
    BodyId,
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    QueryId,
    SearchText,
    StrictBool,
)
from steward.servicedesk.models import Attachment, Reply, TimeEntry
from steward.servicedesk.services.tickets import MAX_BODY, MAX_SUBJECT, MAX_TAGS
from steward.servicedesk.services.worktime import MAX_ENTRY_MINUTES

# ---- Closed value lists (kept equal to the models' choices; a test checks) --------------

TicketStatusName = Literal[
    "new",
    "open",
    "in_progress",
    "waiting_on_customer",
    "waiting_on_third_party",
    "resolved",
    "closed",
    "merged",
]
# "merged" is reached only through POST /tickets/{id}/merge.
SettableStatus = Literal[
    "new", "open", "in_progress", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"
]
# In filters (as on the ticket page), "open" means every open status (new, open, in progress,
# waiting on the customer or a third party) and "done" resolved or closed.
StatusFilter = Literal[
    "open",
    "done",
    "new",
    "in_progress",
    "waiting_on_customer",
    "waiting_on_third_party",
    "resolved",
    "closed",
    "merged",
]
PriorityName = Literal["p1", "p2", "p3", "p4"]
TicketTypeName = Literal["incident", "service_request", "problem", "change", "proactive", "project_task"]
LevelName = Literal["high", "medium", "low"]
ChannelName = Literal["email", "portal", "web", "api", "phone", "proactive"]
LinkKind = Literal["relates", "duplicates", "blocks", "caused_by"]
TicketOrdering = Literal[
    "-id",
    "id",
    "-created_at",
    "created_at",
    "-updated_at",
    "updated_at",
    "priority",
    "-priority",
    "sla_due_at",
    "-sla_due_at",
    "status",
    "-status",
]

STATUS_VALUES = frozenset(get_args(TicketStatusName))


# ---- Text and value types ----------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter a valid e-mail address.") from None
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """Read naive times as UTC and refuse ones that cannot be stored (year 1 minus an offset…)."""
    try:
        aware = value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
        result = aware.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError("Date and time out of range.") from None
    if not 1900 <= result.year <= 9000:
        raise ValueError("Date and time out of range (years 1900 to 9000).")
    return result


_CLEAN = AfterValidator(_no_nul)


def _chars(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Str50 = Annotated[str, _chars(50), _CLEAN]
Str200 = Annotated[str, _chars(200), _CLEAN]
Str255 = Annotated[str, _chars(MAX_SUBJECT), _CLEAN]
Str500 = Annotated[str, _chars(500), _CLEAN]
Subject = Annotated[str, _chars(MAX_SUBJECT, 1), _CLEAN]
ViewName = Annotated[str, _chars(100, 1), _CLEAN]
ViewKey = Annotated[str, _chars(40, 1), _CLEAN]
TagName = Annotated[str, _chars(50, 1), _CLEAN]
BodyText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY), _CLEAN]
Email = Annotated[str, _chars(254), _CLEAN, AfterValidator(_email)]
When = Annotated[dt.datetime, AfterValidator(_utc)]
Minutes = Annotated[int, Strict(), Field(ge=1, le=MAX_ENTRY_MINUTES)]
DeviceIds = Annotated[list[BodyId], Field(max_length=100)]
TagList = Annotated[list[TagName], Field(max_length=MAX_TAGS)]
EmailList = Annotated[list[Email], Field(max_length=50)]


def _split_commas(value: Any) -> Any:
    """``?status=new&status=open`` and ``?status=new,open`` mean the same."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    parts: list[Any] = []
    for item in items:
        if isinstance(item, str):
            parts.extend(part.strip() for part in item.split(",") if part.strip())
        else:
            parts.append(item)
    return parts


def _enum_items(kind: Any) -> dict[str, Any]:
    return {"items": {"type": "string", "enum": list(get_args(kind))}}


MULTI_FILTERS: dict[str, tuple[str, ...]] = {
    "status": get_args(StatusFilter),
    "priority": get_args(PriorityName),
    "ticket_type": get_args(TicketTypeName),
    "channel": get_args(ChannelName),
}


def _assignee(value: str) -> str:
    if value in ("me", "none") or (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID):
        return value
    raise ValueError('Expected a user id, "me" or "none".')


AssigneeFilter = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_assignee)
]


# ---- Tickets -----------------------------------------------------------------------------


class TicketOut(Schema):
    id: int = Field(description="The ticket number; shown to people as `reference`.")
    reference: str = Field(description='"T-" and the number, e.g. "T-42".')
    subject: str
    status: str
    priority: str
    impact: str
    urgency: str
    ticket_type: str
    channel: str
    client_id: int
    site_id: int | None
    queue_id: int
    team_id: int | None
    assignee_id: int | None
    requester_user_id: int | None
    requester_name: str
    requester_email: str
    parent_id: int | None
    merged_into_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    sla_due_at: dt.datetime | None = Field(description="The next SLA target's due time (cached).")
    sla_warn_at: dt.datetime | None
    sla_breached: bool
    sla_paused: bool
    tags: list[str]

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


# The columns the list reads (never the full-text columns, which can hold 200 KB each).
TICKET_LIST_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "impact",
    "urgency",
    "ticket_type",
    "channel",
    "client_id",
    "site_id",
    "queue_id",
    "team_id",
    "assignee_id",
    "requester_user_id",
    "requester_name",
    "requester_email",
    "parent_id",
    "merged_into_id",
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "sla_due_at",
    "sla_warn_at",
    "sla_breached",
    "sla_paused",
)


class LinkOut(Schema):
    id: int = Field(description="The link's id (to remove it).")
    kind: str = Field(description="relates, duplicates, blocks or caused_by, as stored (source → target).")
    label: str = Field(description='Read from this ticket, e.g. "Blocks" or "Blocked by".')
    direction: str = Field(description="outgoing: this ticket is the link's source; incoming: its target.")
    ticket_id: int = Field(description="The other ticket.")
    reference: str
    subject: str
    status: str


class LinkPage(Page):
    results: list[LinkOut]


class TicketDetailOut(TicketOut):
    client_name: str
    site_name: str | None
    queue_name: str
    team_name: str | None
    assignee_name: str | None
    requester_contact_id: int | None
    cc_emails: list[str]
    watcher_ids: list[int]
    device_ids: list[int]
    sla_policy_id: int | None
    reopen_count: int
    created_by_id: int | None
    links: list[LinkOut]

    @staticmethod
    def resolve_client_name(obj: Any) -> str:
        return str(obj.client.name)

    @staticmethod
    def resolve_site_name(obj: Any) -> str | None:
        return obj.site.name if obj.site_id else None

    @staticmethod
    def resolve_queue_name(obj: Any) -> str:
        return str(obj.queue.name)

    @staticmethod
    def resolve_team_name(obj: Any) -> str | None:
        return obj.team.name if obj.team_id else None

    @staticmethod
    def resolve_assignee_name(obj: Any) -> str | None:
        return obj.assignee.full_name if obj.assignee_id else None

    @staticmethod
    def resolve_cc_emails(obj: Any) -> list[str]:
        return [str(address) for address in obj.cc_emails] if isinstance(obj.cc_emails, list) else []

    @staticmethod
    def resolve_watcher_ids(obj: Any) -> list[int]:
        return sorted(user.pk for user in obj.watchers.all())

    @staticmethod
    def resolve_device_ids(obj: Any) -> list[int]:
        return sorted(device.pk for device in obj.devices.all())

    @staticmethod
    def resolve_links(obj: Any) -> list[Any]:
        return list(getattr(obj, "api_links", []))


class TicketPage(Page):
    results: list[TicketOut]


class TicketFilters(PageParams):
    client_id: QueryId | None = None
    site_id: QueryId | None = None
    # Plain lists (so ?status=a&status=b arrive as a list); items are checked as a whole so
    # an error names the filter ("status"), not "status.0".
    status: list[str] | None = Field(
        None,
        description="Several: repeat or comma-separate. open: every open status; done: resolved or closed.",
        json_schema_extra=_enum_items(StatusFilter),
    )
    priority: list[str] | None = Field(
        None, description="Repeat or comma-separate.", json_schema_extra=_enum_items(PriorityName)
    )
    ticket_type: list[str] | None = Field(
        None, description="Repeat or comma-separate.", json_schema_extra=_enum_items(TicketTypeName)
    )
    channel: list[str] | None = Field(
        None, description="Repeat or comma-separate.", json_schema_extra=_enum_items(ChannelName)
    )
    queue_id: QueryId | None = None
    team_id: QueryId | None = None
    assignee_id: AssigneeFilter | None = Field(None, description='A technician\'s id, "me" or "none".')
    tag: Str50 | None = Field(None, description="Tickets with this tag (case-insensitive).")
    sla_breached: bool | None = None
    q: SearchText | None = Field(
        None,
        description="Full text over subject and public replies (staff: also notes); every word must match.",
    )
    created_after: When | None = Field(None, description="ISO 8601; without an offset it is read as UTC.")
    created_before: When | None = Field(None, description="ISO 8601, exclusive.")
    updated_after: When | None = None
    ordering: TicketOrdering = "-id"

    @field_validator("status", "priority", "ticket_type", "channel", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("status", "priority", "ticket_type", "channel")
    @classmethod
    def _known(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if values is None:
            return None
        allowed = MULTI_FILTERS[str(info.field_name)]
        if len(values) > 20:
            raise ValueError("At most 20 values.")
        for value in values:
            if value not in allowed:
                raise ValueError(f"{value[:40]!r} is not one of: {', '.join(allowed)}.")
        return values


class TicketCreate(InputSchema):
    subject: Subject
    body: BodyText = Field(description="The request: the ticket's first message.")
    client_id: BodyId | None = Field(
        None, description="Required for staff; customers open tickets for their own client only."
    )
    site_id: BodyId | None = None
    ticket_type: TicketTypeName = Field("incident", description="Customers: incident or service_request.")
    impact: LevelName = "medium"
    urgency: LevelName = "medium"
    priority: PriorityName | None = Field(None, description="Staff only; default: from impact and urgency.")
    channel: ChannelName | None = Field(
        None,
        description="Staff only. Default: api with a token, web (staff) or portal (customers) in a session.",
    )
    queue_id: BodyId | None = Field(None, description="Staff only.")
    team_id: BodyId | None = Field(None, description="Staff only.")
    assignee_id: BodyId | None = Field(None, description="Staff only: a technician.")
    requester_user_id: BodyId | None = Field(None, description="Staff only: a user of the client.")
    requester_contact_id: BodyId | None = Field(None, description="Staff only: a contact of the client.")
    requester_email: Email = Field("", description="Staff only.")
    requester_name: Str200 = Field("", description="Staff only.")
    cc_emails: EmailList = Field(default_factory=list)
    device_ids: DeviceIds = Field(default_factory=list, description="Devices of the client.")
    tags: TagList = Field(default_factory=list, description="Staff only.")

    STAFF_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "priority",
            "channel",
            "queue_id",
            "team_id",
            "assignee_id",
            "requester_user_id",
            "requester_contact_id",
            "requester_email",
            "requester_name",
            "tags",
        }
    )


class TicketPatch(PatchSchema):
    nullable_fields = frozenset({"site_id", "team_id", "assignee_id", "sla_policy_id"})

    subject: Subject | None = None
    status: SettableStatus | None = Field(None, description="Customers may only set resolved or open.")
    ticket_type: TicketTypeName | None = None
    impact: LevelName | None = None
    urgency: LevelName | None = None
    priority: PriorityName | None = None
    site_id: BodyId | None = Field(None, description="null: no site.")
    queue_id: BodyId | None = None
    team_id: BodyId | None = Field(None, description="null: no team.")
    assignee_id: BodyId | None = Field(None, description="null: unassigned.")
    sla_policy_id: BodyId | None = Field(None, description="null: the client's or provider's default SLA.")
    cc_emails: EmailList | None = None
    device_ids: DeviceIds | None = None
    tags: TagList | None = Field(None, description="Replaces the ticket's tags.")


class StatusIn(InputSchema):
    status: SettableStatus


class MergeIn(InputSchema):
    target_id: BodyId = Field(description="The ticket this one is merged into (same client).")


class SplitIn(InputSchema):
    reply_ids: Annotated[list[BodyId], Field(min_length=1, max_length=500)]
    subject: Str255 = Field("", description='Default: "Split from T-…: <subject>".')


class LinkIn(InputSchema):
    target_id: BodyId
    kind: LinkKind = "relates"


class UnlinkIn(InputSchema):
    link_id: BodyId = Field(description="The link's id from GET /tickets/{id}/links.")


class ParentIn(InputSchema):
    parent_id: BodyId | None = Field(description="The parent ticket (same client), or null to detach.")


class WatchersIn(InputSchema):
    user_ids: Annotated[list[BodyId], Field(max_length=100)] = Field(
        description="Replaces the watchers: staff, or users of the ticket's client."
    )


class WatcherOut(Schema):
    id: int
    full_name: str


class WatchingOut(Schema):
    watching: bool


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    status: str = Field(description="The ticket's status after the event.")
    priority: str
    ticket_type: str
    actor_id: int | None
    detail: str


class EventPage(Page):
    results: list[EventOut]


class SlaOut(Schema):
    sla_policy_id: int | None = Field(
        description="Set on the ticket; null: the client's or provider's default."
    )
    state: dict[str, Any] = Field(description="Per target (first response, next update, resolution), cached.")
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    breached: bool
    paused: bool
    computed_at: dt.datetime | None

    @staticmethod
    def resolve_state(obj: Any) -> dict[str, Any]:
        return obj.sla_state if isinstance(obj.sla_state, dict) else {}

    @staticmethod
    def resolve_due_at(obj: Any) -> dt.datetime | None:
        return obj.sla_due_at

    @staticmethod
    def resolve_warn_at(obj: Any) -> dt.datetime | None:
        return obj.sla_warn_at

    @staticmethod
    def resolve_breached(obj: Any) -> bool:
        return bool(obj.sla_breached)

    @staticmethod
    def resolve_paused(obj: Any) -> bool:
        return bool(obj.sla_paused)

    @staticmethod
    def resolve_computed_at(obj: Any) -> dt.datetime | None:
        return obj.sla_computed_at


# ---- Replies and attachments -----------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    ticket_id: int
    reply_id: int | None
    filename: str
    content_type: str
    size: int = Field(description="Bytes.")
    sha256: str
    inline: bool
    uploaded_by_id: int | None
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        return reverse(
            "api:ticket_attachment_download", kwargs={"ticket_id": obj.ticket_id, "attachment_id": obj.pk}
        )


class AttachmentPage(Page):
    results: list[AttachmentOut]


class ReplyOut(Schema):
    id: int
    ticket_id: int
    internal: bool = Field(description="An internal note (staff only; never shown to customers).")
    channel: str
    from_customer: bool
    author_user_id: int | None
    author_name: str
    author_email: str
    body_text: str
    body_html: str = Field(description="Sanitized HTML as received by e-mail; usually empty.")
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_internal(obj: Reply) -> bool:
        return obj.visibility == Reply.Visibility.INTERNAL

    @staticmethod
    def resolve_attachments(obj: Reply) -> list[Attachment]:
        return list(obj.attachments.all())


class ReplyPage(Page):
    results: list[ReplyOut]


class ReplyFilters(PageParams):
    internal: bool | None = Field(
        None, description="Staff: only notes (true) or only public replies (false)."
    )


class ReplyCreate(InputSchema):
    body: BodyText
    internal: StrictBool = Field(False, description="An internal note (staff only).")
    status: SettableStatus | None = Field(None, description="Also move the ticket to this status.")


# ---- Time --------------------------------------------------------------------------------------


class TimeEntryOut(Schema):
    id: int
    ticket_id: int
    user_id: int
    user_name: str
    work_type_id: int
    work_type_name: str
    started_at: dt.datetime
    minutes: int
    billable: bool
    note: str
    from_timer: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_user_name(obj: TimeEntry) -> str:
        return obj.user.full_name

    @staticmethod
    def resolve_work_type_name(obj: TimeEntry) -> str:
        return obj.work_type.name


class TimePage(Page):
    results: list[TimeEntryOut]
    total_minutes: int = Field(description="All entries of the ticket, over all pages.")
    billable_minutes: int


class TimeEntryCreate(InputSchema):
    minutes: Minutes = Field(description=f"1 to {MAX_ENTRY_MINUTES}.")
    work_type_id: BodyId | None = Field(None, description="Default: the first active work type.")
    billable: StrictBool | None = Field(None, description="Default: the work type's.")
    started_at: When | None = Field(None, description="Default: `minutes` ago. Not in the future.")
    note: Str500 = ""


class TimerStart(InputSchema):
    ticket_id: BodyId


class TimerStop(InputSchema):
    work_type_id: BodyId | None = None
    billable: StrictBool | None = None
    note: Str500 = ""


class TimerOut(Schema):
    running: bool
    ticket_id: int | None = None
    reference: str | None = None
    started_at: dt.datetime | None = None
    elapsed_seconds: int | None = None


class TimerStarted(Schema):
    timer: TimerOut
    stopped: TimeEntryOut | None = Field(
        description="The entry booked for a timer that was running elsewhere."
    )


class TimerStopped(Schema):
    entry: TimeEntryOut | None = Field(description="The booked entry; null when no timer was running.")


class WorkTypeOut(Schema):
    id: int
    name: str
    billable_by_default: bool


class WorkTypePage(Page):
    results: list[WorkTypeOut]


# ---- Shortcuts, views, CSAT -----------------------------------------------------------------------


class CannedResponseOut(Schema):
    id: int
    title: str
    body: str = Field(description="Placeholders: {ticket} {subject} {requester} {client} {me}.")
    client_id: int | None = Field(description="Null: for every client.")
    created_at: dt.datetime


class CannedResponsePage(Page):
    results: list[CannedResponseOut]


class CannedFilters(PageParams):
    ticket_id: QueryId | None = Field(None, description="Only those usable on this ticket.")


class RenderQuery(Schema):
    ticket_id: QueryId = Field(description="The ticket whose values fill the placeholders.")


class RenderedOut(Schema):
    text: str


class MacroOut(Schema):
    id: int
    name: str
    actions: dict[str, Any]


class MacroPage(Page):
    results: list[MacroOut]


class TicketViewOut(Schema):
    id: int
    name: str
    query: dict[str, Any] = Field(
        description="The ticket page's filters (its query string) the view applies."
    )
    shared: bool
    owner_id: int
    created_at: dt.datetime


class TicketViewPage(Page):
    results: list[TicketViewOut]


class TicketViewCreate(InputSchema):
    name: ViewName
    query: Annotated[dict[ViewKey, Str200], Field(max_length=20)] = Field(
        default_factory=dict,
        description='The ticket page\'s filters, as in its address: {"status": "open", "assignee": "me"}.',
    )
    shared: StrictBool = Field(False, description="Staff only: visible to every technician.")


class CsatQuery(Schema):
    client_id: QueryId | None = None


class CsatOut(Schema):
    answered: int
    counts: dict[str, int] = Field(description="Answers per rating: good, okay, bad.")
    score: int | None = Field(description="Percent of answers that are good; null without answers.")
