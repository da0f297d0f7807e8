"""Knowledge-base pages (staff and portal).

Each route is declared for the cross-tenant access harness right next to its path.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from steward.core.access import Kind, declare
from steward.servicedesk.views import kb

GET_POST = ("GET", "POST")
POST = ("POST",)
ARTICLE = "servicedesk.article"


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


urlpatterns = [
    route("kb/", kb.kb_article_list, "kb_article_list", "provider", note="client users go to the portal"),
    route(
        "kb/new/",
        kb.kb_article_create,
        "kb_article_create",
        "create",
        methods=GET_POST,
        create_fields={"client": "core.client"},
    ),
    route("kb/preview/", kb.kb_preview, "kb_preview", "provider", methods=POST),
    route(
        "kb/suggest/",
        kb.kb_suggest,
        "kb_suggest",
        "list",
        methods=GET_POST,
        note="htmx partial for the ticket forms",
    ),
    route(
        "kb/ticket-articles/",
        kb.kb_ticket_articles,
        "kb_ticket_articles",
        "list",
        note="?ticket=<number>: the articles linked to a ticket the viewer may see",
    ),
    route("kb/<int:pk>/", kb.kb_article_detail, "kb_article_detail", "object", model=ARTICLE),
    route(
        "kb/<int:pk>/edit/", kb.kb_article_edit, "kb_article_edit", "object", model=ARTICLE, methods=GET_POST
    ),
    route(
        "kb/<int:pk>/delete/",
        kb.kb_article_delete,
        "kb_article_delete",
        "object",
        model=ARTICLE,
        methods=GET_POST,
    ),
    route("kb/<int:pk>/versions/", kb.kb_article_versions, "kb_article_versions", "object", model=ARTICLE),
    route(
        "kb/<int:pk>/versions/<int:version>/",
        kb.kb_article_version,
        "kb_article_version",
        "object",
        model=ARTICLE,
    ),
    route(
        "kb/<int:pk>/versions/<int:version>/restore/",
        kb.kb_article_restore,
        "kb_article_restore",
        "object",
        model=ARTICLE,
        methods=POST,
    ),
    route("kb/<int:pk>/link/", kb.kb_article_link, "kb_article_link", "object", model=ARTICLE, methods=POST),
    route(
        "kb/<int:pk>/unlink/",
        kb.kb_article_unlink,
        "kb_article_unlink",
        "object",
        model=ARTICLE,
        methods=POST,
    ),
    route("portal/kb/", kb.portal_kb, "portal_kb", "list"),
    route("portal/kb/<int:pk>/", kb.portal_kb_article, "portal_kb_article", "object", model=ARTICLE),
]
