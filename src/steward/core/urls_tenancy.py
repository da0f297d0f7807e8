"""Directory pages: clients, sites, contacts, users and the audit trail.

Each route is declared for the cross-tenant access harness right next to its path.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from steward.core.access import Kind, declare
from steward.core.views import audit, clients, contacts, sites, users

GET_POST = ("GET", "POST")
CLIENT_FIELD = {"client": "core.client"}


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
    route("clients/", clients.client_list, "client_list", "list"),
    route("clients/new/", clients.client_create, "client_create", "provider", methods=GET_POST),
    route("clients/<int:pk>/", clients.client_detail, "client_detail", "object", model="core.client"),
    route(
        "clients/<int:pk>/edit/",
        clients.client_edit,
        "client_edit",
        "object",
        model="core.client",
        methods=GET_POST,
    ),
    route(
        "clients/<int:pk>/delete/",
        clients.client_delete,
        "client_delete",
        "object",
        model="core.client",
        methods=GET_POST,
    ),
    route("sites/", sites.site_list, "site_list", "list"),
    route(
        "sites/new/", sites.site_create, "site_create", "create", methods=GET_POST, create_fields=CLIENT_FIELD
    ),
    route("sites/<int:pk>/", sites.site_detail, "site_detail", "object", model="core.site"),
    route(
        "sites/<int:pk>/edit/", sites.site_edit, "site_edit", "object", model="core.site", methods=GET_POST
    ),
    route(
        "sites/<int:pk>/delete/",
        sites.site_delete,
        "site_delete",
        "object",
        model="core.site",
        methods=GET_POST,
    ),
    route("contacts/", contacts.contact_list, "contact_list", "list"),
    route(
        "contacts/new/",
        contacts.contact_create,
        "contact_create",
        "create",
        methods=GET_POST,
        create_fields=CLIENT_FIELD,
    ),
    route("contacts/<int:pk>/", contacts.contact_detail, "contact_detail", "object", model="core.contact"),
    route(
        "contacts/<int:pk>/edit/",
        contacts.contact_edit,
        "contact_edit",
        "object",
        model="core.contact",
        methods=GET_POST,
    ),
    route(
        "contacts/<int:pk>/delete/",
        contacts.contact_delete,
        "contact_delete",
        "object",
        model="core.contact",
        methods=GET_POST,
    ),
    route("users/", users.user_list, "user_list", "list"),
    route(
        "users/new/", users.user_create, "user_create", "create", methods=GET_POST, create_fields=CLIENT_FIELD
    ),
    route("users/<int:pk>/", users.user_detail, "user_detail", "object", model="core.user"),
    route(
        "users/<int:pk>/edit/", users.user_edit, "user_edit", "object", model="core.user", methods=GET_POST
    ),
    route(
        "users/<int:pk>/mfa-reset/",
        users.user_mfa_reset,
        "user_mfa_reset",
        "object",
        model="core.user",
        methods=("POST",),
    ),
    route("audit/", audit.audit_list, "audit_list", "list"),
    route("audit/<int:pk>/", audit.audit_detail, "audit_detail", "object", model="core.auditentry"),
]
