"""Setup pages of the desk (provider admins): service levels, mailboxes, the mail review queue.

Each route is declared for the cross-tenant access harness next to its path; all are
provider-only (client roles get 403/404).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from steward.core.access import declare
from steward.servicedesk import setup_views as views
from steward.web.navigation import NavItem, register

GET_POST = ("GET", "POST")


def route(pattern: str, view: Any, name: str, methods: tuple[str, ...] = ("GET",)) -> URLPattern:
    declare(name, "provider", methods=methods, note="Service-desk setup: provider admins only.")
    return path(pattern, view, name=name)


urlpatterns = [
    route("servicedesk/service-levels/", views.sla_setup, "sla_setup"),
    route("servicedesk/slas/new/", views.sla_policy_edit, "sla_policy_create", GET_POST),
    route("servicedesk/slas/<int:pk>/", views.sla_policy_edit, "sla_policy_edit", GET_POST),
    route("servicedesk/calendars/new/", views.calendar_edit, "calendar_create", GET_POST),
    route("servicedesk/calendars/<int:pk>/", views.calendar_edit, "calendar_edit", GET_POST),
    route("servicedesk/<str:kind>/<int:pk>/delete/", views.sla_row_delete, "sla_row_delete", ("POST",)),
    route(
        "servicedesk/clients/<int:client_id>/service/",
        views.service_profile_edit,
        "service_profile_edit",
        GET_POST,
    ),
    route("servicedesk/mailboxes/", views.mailbox_list, "mailbox_list"),
    route("servicedesk/mailboxes/new/", views.mailbox_edit, "mailbox_create", GET_POST),
    route("servicedesk/mailboxes/<int:pk>/", views.mailbox_edit, "mailbox_edit", GET_POST),
    route("servicedesk/mail/", views.inbound_mail_list, "inbound_mail_list"),
    route("servicedesk/mail/<int:pk>/", views.inbound_mail_detail, "inbound_mail_detail", GET_POST),
    route("servicedesk/mail/<int:pk>/raw/", views.inbound_mail_raw, "inbound_mail_raw"),
]

for item in (
    NavItem("Service desk", "Service levels", "sla_setup", "servicedesk.configure", "provider", 49, "clock"),
    NavItem("Service desk", "Mailboxes", "mailbox_list", "servicedesk.configure", "provider", 50, "mail"),
    NavItem(
        "Service desk", "Received mail", "inbound_mail_list", "servicedesk.configure", "provider", 51, "inbox"
    ),
):
    register(item)
