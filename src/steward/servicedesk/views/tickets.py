"""The ticket list (staff and portal), saved views, and opening a ticket.

The list pages search with the full-text index (subjects and public replies; staff also
internal notes), filter on indexed columns and fetch a page in two steps: first the page's
ids from a narrow query, then those rows with their client, site and assignee in one query
and their tags in a second. The number of queries does not grow with the page size.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.core.listing import Column, Filter, build_listing, positive_int
from steward.core.models import Client, Site
from steward.core.scoping import Scope
from steward.core.views.tenancy import client_filter, is_partial, render_list, requested_client
from steward.servicedesk.forms import (
    PortalTicketForm,
    SaveViewForm,
    TicketCreateForm,
    priority_matrix_json,
    provider_queues,
    provider_teams,
    uploads_of,
)
from steward.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    Priority,
    Ticket,
    TicketStatus,
    TicketTag,
    TicketType,
)
from steward.servicedesk.services import conversation, search, shortcuts
from steward.servicedesk.services import tickets as ticket_service
from steward.servicedesk.views.common import Sla, detail_url, scope_for, sla_cell

SELECT_LIMIT = 300
STAFF_COLUMNS = [
    Column("Number", "number", ("id",), css="nowrap"),
    Column("Subject", "subject", ("subject",)),
    Column("Client", "client", ("client__name",)),
    Column("Status", "status", ("status",)),
    Column("Priority", "priority", ("priority",)),
    Column("Assignee", "assignee", ("assignee__full_name",)),
    Column("SLA", "sla", ("sla_due_at",)),
    Column("Updated", "updated", ("updated_at",), css="nowrap"),
]
PORTAL_COLUMNS = [
    Column("Number", "number", ("id",), css="nowrap"),
    Column("Subject", "subject", ("subject",)),
    Column("Status", "status", ("status",)),
    Column("Requested by", "requester", ("requester_name",)),
    Column("Updated", "updated", ("updated_at",), css="nowrap"),
]
ROW_FIELDS = (
    "pk",
    "subject",
    "status",
    "priority",
    "updated_at",
    "requester_name",
    "requester_email",
    "sla_due_at",
    "sla_warn_at",
    "sla_breached",
    "sla_paused",
    "client__name",
    "site__name",
    "assignee__full_name",
    "assignee__email",
)
STATUS_LABELS = dict(TicketStatus.choices)
PRIORITY_LABELS = dict(Priority.choices)
STATUS_OPTIONS = [
    ("open", "Any open status"),
    ("done", "Resolved or closed"),
    *TicketStatus.choices,
]
SLA_OPTIONS = [
    ("breached", "Breached"),
    ("due1h", "Due within 1 hour"),
    ("paused", "Paused"),
]
QUICK_VIEWS = [
    ("My open tickets", {"status": "open", "assignee": "me"}),
    ("Unassigned", {"status": "open", "assignee": "none"}),
    ("Breached", {"status": "open", "sla": "breached"}),
    ("Due within 1 h", {"status": "open", "sla": "due1h"}),
    ("All open", {"status": "open"}),
]
REFERENCE = re.compile(r"^(?:#|[tT]-?)(\d{1,12})$")


# ---- Search and filters -----------------------------------------------------------------


def search_tickets(queryset: QuerySet[Ticket], text: str, *, staff: bool) -> QuerySet[Ticket]:
    """Full-text search; ``T-12`` or ``#12`` finds that ticket, a bare number also matches it."""
    words = " ".join(str(text or "").split())[:100]
    if not words:
        return queryset
    match = REFERENCE.match(words)
    if match:
        return queryset.filter(pk=int(match.group(1)))
    found = search.search(queryset, words, include_internal=staff)
    if words.isdigit() and len(words) <= 12:
        return queryset.filter(Q(pk=int(words)) | Q(pk__in=found.values("pk")))
    return found


def _status_lookup(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    if value == "open":
        return queryset.filter(status__in=list(OPEN_STATUSES))
    if value == "done":
        return queryset.filter(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    return queryset.filter(status=value)


def _assignee_value(raw: str) -> str:
    if raw in ("me", "none") or (raw.isdigit() and int(raw) > 0):
        return raw
    raise ValueError(raw)


def _assignee_lookup(scope: Scope) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    def narrow(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "me":
            return queryset.filter(assignee=scope.user) if scope.user is not None else queryset.none()
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    return narrow


def _sla_lookup(now: dt.datetime) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    def narrow(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "breached":
            return queryset.filter(sla_breached=True)
        if value == "paused":
            return queryset.filter(sla_paused=True, status__in=list(OPEN_STATUSES))
        return queryset.filter(
            status__in=list(OPEN_STATUSES),
            sla_breached=False,
            sla_paused=False,
            sla_due_at__isnull=False,
            sla_due_at__lte=now + dt.timedelta(hours=1),
        )

    return narrow


def _named(queryset: QuerySet[Any], noun: str, field: str = "name") -> Callable[[Any], str]:
    # Same wording for "absent" and "not yours": the page must not confirm existence.
    return lambda pk: queryset.filter(pk=pk).values_list(field, flat=True).first() or f"Unknown {noun}"


def staff_filters(scope: Scope, params: QueryDict, now: dt.datetime) -> list[Filter]:
    sites = Site.objects.for_scope(scope)
    tags = TicketTag.objects.filter(provider_id=scope.provider_id)
    staff = ticket_service.assignable_users(scope)
    queues = provider_queues(scope)
    teams = provider_teams(scope)

    def site_options() -> list[tuple[str, str]]:
        chosen = str(params.get("client", ""))
        if not chosen.isdigit():
            return []
        rows = sites.filter(client_id=int(chosen)).order_by("name", "pk").values_list("pk", "name")
        return [(str(pk), name) for pk, name in rows[:SELECT_LIMIT]]

    def options(queryset: QuerySet[Any], field: str = "name") -> Callable[[], list[tuple[str, str]]]:
        return lambda: [
            (str(pk), str(label)) for pk, label in queryset.values_list("pk", field)[:SELECT_LIMIT]
        ]

    def assignee_options() -> list[tuple[str, str]]:
        return [("me", "Me"), ("none", "Unassigned"), *options(staff, "full_name")()]

    return [
        client_filter(scope),
        Filter(
            "site",
            "Site",
            "site_id",
            options=site_options,
            coerce=positive_int,
            describe=_named(sites, "site"),
        ),
        Filter("status", "Status", _status_lookup, options=STATUS_OPTIONS, strict=True),
        Filter("priority", "Priority", "priority", options=Priority.choices, strict=True),
        Filter("type", "Type", "ticket_type", options=TicketType.choices, strict=True),
        Filter(
            "queue",
            "Queue",
            "queue_id",
            options=options(queues),
            coerce=positive_int,
            describe=_named(queues, "queue"),
        ),
        Filter(
            "team",
            "Team",
            "team_id",
            options=options(teams),
            coerce=positive_int,
            describe=_named(teams, "team"),
        ),
        Filter(
            "assignee",
            "Assignee",
            _assignee_lookup(scope),
            options=assignee_options,
            coerce=_assignee_value,
            describe=lambda value: "Unknown person",
        ),
        Filter(
            "tag",
            "Tag",
            "tags",
            options=options(tags.order_by("name")),
            coerce=positive_int,
            describe=_named(tags, "tag"),
        ),
        Filter("sla", "SLA", _sla_lookup(now), options=SLA_OPTIONS, strict=True),
        Filter("channel", "Channel", "channel", options=Channel.choices, strict=True),
    ]


def portal_filters(scope: Scope) -> list[Filter]:
    filters = [
        Filter(
            "status",
            "Status",
            _status_lookup,
            options=[("open", "Open"), ("done", "Resolved or closed")],
            strict=True,
        )
    ]
    if scope.can("tickets.view_all_client"):
        user = scope.user

        def mine(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
            if user is None:
                return queryset.none()
            return queryset.filter(Q(requester_user=user) | Q(watchers=user)).distinct()

        filters.append(Filter("mine", "Whose", mine, options=[("yes", "Mine and watched")], strict=True))
    return filters


@dataclass(slots=True)
class TicketRow:
    """One line of the list: plain values, ready to print (no model instances per row)."""

    pk: int
    reference: str
    url: str
    subject: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    client_name: str
    site_name: str
    requester: str
    assignee: str
    updated_at: dt.datetime
    updated_ago: str
    tags: list[str] = field(default_factory=list)
    sla: Sla | None = None
    sla_when: str = ""

    @property
    def updated_title(self) -> str:
        return timezone.localtime(self.updated_at).strftime("%d %b %Y, %H:%M")


def _page_rows(
    scope: Scope, page_rows: Any, per_page: int, now: dt.datetime, *, staff: bool
) -> list[TicketRow]:
    """The page's rows in the page's order: one query for the columns, one for the tags."""
    ids = list(page_rows.values_list("pk", flat=True)[:per_page])
    values = Ticket.objects.for_scope(scope).filter(pk__in=ids).values_list(*ROW_FIELDS)
    # The detail address of every row from one reverse(): "/tickets/0/" → "/tickets/{pk}/".
    prefix, _, suffix = reverse("ticket_detail", args=[0]).rpartition("/0/")
    found: dict[int, TicketRow] = {}
    for row in values:
        (pk, subject, status, priority, updated_at, requester_name, requester_email, due, warn, breached,
         paused, client_name, site_name, assignee_name, assignee_email) = row  # fmt: skip
        found[pk] = TicketRow(
            pk=pk,
            reference=f"T-{pk}",
            url=f"{prefix}/{pk}/{suffix}",
            subject=subject,
            status=status,
            status_label=STATUS_LABELS.get(status, status),
            priority=priority,
            priority_label=PRIORITY_LABELS.get(priority, priority),
            client_name=client_name or "",
            site_name=site_name or "",
            requester=requester_name or requester_email or "",
            assignee=assignee_name or assignee_email or "",
            updated_at=updated_at,
            updated_ago=timesince(updated_at, now),
        )
        if staff:
            sla = found[pk].sla = sla_cell(status, due, warn, breached, paused, now)
            if sla is not None and sla.at is not None:
                found[pk].sla_when = (
                    f"in {timeuntil(sla.at, now)}" if sla.at > now else f"{timesince(sla.at, now)} ago"
                )
    if staff and found:
        through = Ticket.tags.through.objects.filter(ticket_id__in=list(found))
        for ticket_id, name in through.order_by("tickettag__name").values_list(
            "ticket_id", "tickettag__name"
        ):
            found[ticket_id].tags.append(name)
    return [found[pk] for pk in ids if pk in found]


def _active_query(listing: Any) -> dict[str, str]:
    query = {f.name: f.value for f in listing.filters if f.value}
    if listing.q:
        query["q"] = listing.q
    if listing.sort and listing.sort != "-number":
        query["sort"] = listing.sort
    return query


# ---- The list pages ---------------------------------------------------------------------


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("tickets.view")
    staff = ticket_service.is_staff(scope)
    now = timezone.now()
    base = ticket_service.visible_tickets(scope)
    listing = build_listing(
        request,
        search_tickets(base.only("pk"), request.GET.get("q", ""), staff=staff),
        columns=STAFF_COLUMNS if staff else PORTAL_COLUMNS,
        default_sort="-number",
        filters=staff_filters(scope, request.GET, now) if staff else portal_filters(scope),
    )
    page = listing.page
    page.object_list = _page_rows(scope, page.object_list, page.paginator.per_page, now, staff=staff)
    query = _active_query(listing)
    context: dict[str, Any] = {
        "title": "Tickets" if staff or scope.can("tickets.view_all_client") else "My tickets",
        "listing": listing,
        "now": now,
        "can_create": scope.can("tickets.create"),
        "current_query": urlencode(query),
    }
    if not staff:
        return render_list(request, "servicedesk/portal/list.html", "servicedesk/portal/_table.html", context)
    template, partial = "servicedesk/tickets/list.html", "servicedesk/tickets/_table.html"
    if is_partial(request):  # only the results are swapped: no need for the view links
        return render_list(request, template, partial, context)
    current = sorted(query.items())
    context["quick_views"] = [
        {"label": label, "query": urlencode(params), "active": sorted(params.items()) == current}
        for label, params in QUICK_VIEWS
    ]
    saved = []
    for view in shortcuts.saved_views(scope).select_related("owner").order_by("name")[:50]:
        params = view.query if isinstance(view.query, dict) else {}
        saved.append(
            {
                "view": view,
                "query": urlencode({str(k): str(v) for k, v in params.items()}),
                "active": sorted((str(k), str(v)) for k, v in params.items()) == current,
                "mine": view.owner_id == getattr(scope.user, "pk", None),
            }
        )
    context["saved_views"] = saved
    return render_list(request, template, partial, context)


VIEW_KEYS = frozenset(
    {
        "q",
        "sort",
        "client",
        "site",
        "status",
        "priority",
        "type",
        "queue",
        "team",
        "assignee",
        "tag",
        "sla",
        "channel",
    }
)


@login_required
@require_POST
def ticket_view_save(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    ticket_service.require_staff(scope)
    form = SaveViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name the view (at most 100 characters) to save it.")
        return redirect(reverse("ticket_list") + "?" + str(request.POST.get("query", ""))[:2000])
    raw = QueryDict(form.cleaned_data["query"] or "")
    query = {key: raw.get(key, "")[:200] for key in raw if key in VIEW_KEYS and raw.get(key)}
    try:
        view = shortcuts.save_view(
            scope, form.cleaned_data["name"], query, shared=form.cleaned_data["shared"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("ticket_list")
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(reverse("ticket_list") + ("?" + urlencode(query) if query else ""))


@login_required
@require_POST
def ticket_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    ticket_service.require_staff(scope)
    ticket_service.delete_saved_view(scope, pk)
    messages.success(request, "Saved view deleted.")
    return redirect("ticket_list")


# ---- Opening a ticket -------------------------------------------------------------------


def _open(scope: Scope, data: dict[str, Any], files: Any) -> Ticket:
    with transaction.atomic():
        ticket = ticket_service.open_ticket(scope, **data)
        uploads = uploads_of(files)
        if uploads:
            conversation.attach_to_first_message(scope, ticket, uploads)
    return ticket


FIELD_ALIASES = {
    "client_id": "client",
    "site_id": "site",
    "queue_id": "queue",
    "team_id": "team",
    "assignee_id": "assignee",
    "device_ids": "devices",
    "ticket_type": "ticket_type",
}


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("tickets.create")
    if not ticket_service.is_staff(scope):
        return _portal_create(request, scope)
    initial: dict[str, Any] = {}
    client = requested_client(request, scope)
    if client is None and scope.client_ids is not None and len(scope.client_ids) == 1:
        client = Client.objects.for_scope(scope).first()
    if client is not None:
        initial["client"] = client.pk
    form = TicketCreateForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        scope=scope,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _open(scope, form.service_data(), form.cleaned_data.get("attachments"))
        except ValidationError as exc:
            apply_service_errors(form, exc, FIELD_ALIASES)
        else:
            messages.success(request, f"Ticket {ticket.reference} opened.")
            return redirect(detail_url(ticket))
    return render(
        request,
        "servicedesk/tickets/create.html",
        {
            "page_title": "New ticket",
            "title": "New ticket",
            "form": form,
            "matrix": priority_matrix_json(),
            "client_fields": TicketCreateForm.CLIENT_FIELDS,
            "breadcrumbs": [("Tickets", reverse("ticket_list"))],
        },
    )


def _portal_create(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = PortalTicketForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        scope=scope,
    )
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _open(
                scope,
                {**form.service_data(), "channel": Channel.PORTAL},
                form.cleaned_data.get("attachments"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, FIELD_ALIASES)
        else:
            messages.success(request, f"Thank you: your ticket {ticket.reference} is with the support team.")
            return redirect(detail_url(ticket))
    return render(
        request,
        "servicedesk/portal/create.html",
        {"page_title": "New ticket", "title": "Ask for help", "form": form},
    )
