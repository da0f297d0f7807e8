"""Service-desk pages (staff and portal).

Each route is declared for the cross-tenant access harness right next to its path. The
ticket pages serve staff and client users on the same addresses (different templates).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from steward.core.access import Kind, declare
from steward.servicedesk.views import actions, config, csat, detail, tickets

GET_POST = ("GET", "POST")
POST = ("POST",)
TICKET = "servicedesk.ticket"


def route(
    pattern: str,
    view: Any,
    name: str,
    kind: Kind,
    *,
    model: str = "",
    methods: tuple[str, ...] = ("GET",),
    create_fields: dict[str, str] | None = None,
    note: str = "",
) -> URLPattern:
    declare(name, kind, model=model, methods=methods, create_fields=create_fields, note=note)
    return path(pattern, view, name=name)


def ticket_route(suffix: str, view: Any, name: str, methods: tuple[str, ...] = POST) -> URLPattern:
    return route(f"tickets/<int:pk>/{suffix}", view, name, "object", model=TICKET, methods=methods)


urlpatterns = [
    route("tickets/", tickets.ticket_list, "ticket_list", "list"),
    route(
        "tickets/new/",
        tickets.ticket_create,
        "ticket_create",
        "create",
        methods=GET_POST,
        create_fields={"client": "core.client", "site": "core.site"},
    ),
    route("tickets/views/save/", tickets.ticket_view_save, "ticket_view_save", "self", methods=POST),
    route(
        "tickets/views/<int:pk>/delete/",
        tickets.ticket_view_delete,
        "ticket_view_delete",
        "object",
        model="servicedesk.savedview",
        methods=POST,
    ),
    route(
        "tickets/attachments/<int:pk>/",
        detail.ticket_attachment,
        "ticket_attachment",
        "object",
        model="servicedesk.attachment",
    ),
    ticket_route("", detail.ticket_detail, "ticket_detail", ("GET",)),
    ticket_route("canned/", detail.ticket_canned, "ticket_canned", ("GET",)),
    ticket_route("reply/", detail.ticket_reply, "ticket_reply"),
    ticket_route("attach/", detail.ticket_attach, "ticket_attach"),
    ticket_route("status/", detail.ticket_status, "ticket_status"),
    ticket_route("edit/", detail.ticket_edit, "ticket_edit", GET_POST),
    ticket_route("assign/", detail.ticket_assign, "ticket_assign"),
    ticket_route("watch/", detail.ticket_watch, "ticket_watch"),
    ticket_route("link/", actions.ticket_link, "ticket_link"),
    ticket_route("unlink/", actions.ticket_unlink, "ticket_unlink"),
    ticket_route("parent/", actions.ticket_parent, "ticket_parent"),
    ticket_route("merge/", actions.ticket_merge, "ticket_merge", GET_POST),
    ticket_route("split/", actions.ticket_split, "ticket_split", GET_POST),
    ticket_route("macro/", actions.ticket_macro, "ticket_macro"),
    ticket_route("timer/", actions.ticket_timer, "ticket_timer"),
    ticket_route("time/", actions.ticket_time_add, "ticket_time_add"),
    ticket_route("time/delete/", actions.ticket_time_delete, "ticket_time_delete"),
    # Configuration (servicedesk.configure).
    route("servicedesk/canned-responses/", config.canned_response_list, "canned_response_list", "provider"),
    route(
        "servicedesk/canned-responses/new/",
        config.canned_response_create,
        "canned_response_create",
        "create",
        methods=GET_POST,
        create_fields={"client": "core.client"},
    ),
    route(
        "servicedesk/canned-responses/<int:pk>/edit/",
        config.canned_response_edit,
        "canned_response_edit",
        "object",
        model="servicedesk.cannedresponse",
        methods=GET_POST,
    ),
    route(
        "servicedesk/canned-responses/<int:pk>/delete/",
        config.canned_response_delete,
        "canned_response_delete",
        "object",
        model="servicedesk.cannedresponse",
        methods=GET_POST,
    ),
    route("servicedesk/macros/", config.macro_list, "macro_list", "provider"),
    route("servicedesk/macros/new/", config.macro_create, "macro_create", "provider", methods=GET_POST),
    route(
        "servicedesk/macros/<int:pk>/edit/",
        config.macro_edit,
        "macro_edit",
        "object",
        model="servicedesk.macro",
        methods=GET_POST,
    ),
    route(
        "servicedesk/macros/<int:pk>/delete/",
        config.macro_delete,
        "macro_delete",
        "object",
        model="servicedesk.macro",
        methods=GET_POST,
    ),
    # The satisfaction survey link from the resolution mail: no sign-in, the token decides.
    route(
        "csat/<str:token>/<str:rating>/",
        csat.csat_answer,
        "csat_answer",
        "public",
        methods=GET_POST,
        note="one-click satisfaction rating from the resolution mail; a secret token identifies the survey",
    ),
]
