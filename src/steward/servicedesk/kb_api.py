"""/kb/…: the knowledge base in the REST API, and links between articles and tickets.

Every operation that names an article first checks that the caller may read it (404
otherwise, whether it exists or not), then the permission for the method (403), then
validates the input (422). Client users only ever see public articles of their own client
or global ones; writes need ``kb.edit`` (staff). Writes go through
``steward.servicedesk.services.kb`` like the web pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import Strict, StringConstraints

from steward.core.access import declare
from steward.core.api.auth import guarded
from steward.core.api.common import (
    BodyId,
    Check,
    InputSchema,
    Page,
    PageParams,
    PatchSchema,
    Principal,
    QueryId,
    SearchText,
    Str200,
    needs,
    paginate,
    parse_id,
    path_id,
    scope_of,
    target,
)
from steward.core.api.errors import responses
from steward.servicedesk.models import Article
from steward.servicedesk.services import kb
from steward.servicedesk.services import tickets as ticket_services

router = Router(tags=["Knowledge base"])

Visibility = Literal["internal", "public"]
Title = Annotated[Str200, Field(min_length=1)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=kb.MAX_BODY)]
SuggestText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


# ---- Schemas -------------------------------------------------------------------------


class ArticleOut(Schema):
    id: int
    client_id: int | None = Field(description="Null: a global article, for every client.")
    title: str
    visibility: str = Field(description="internal (staff only) or public (client portal).")
    version: int
    created_at: datetime
    updated_at: datetime


class ArticleDetailOut(ArticleOut):
    body: str = Field(description="Markdown.")
    html: str = Field(description="The body rendered to sanitised HTML.")

    @staticmethod
    def resolve_html(obj: Article) -> str:
        return str(kb.render(obj))


class ArticlePage(Page):
    results: list[ArticleOut]


class ArticleFilters(PageParams):
    q: SearchText | None = Field(None, description="Words in the title or body; title matches first.")
    client_id: QueryId | None = Field(None, description="Articles of this client (global ones excluded).")
    is_global: bool | None = Field(None, description="true: only global articles; false: only per-client.")
    visibility: Visibility | None = None
    ticket_id: QueryId | None = Field(None, description="Only the articles linked to this ticket.")


class ArticleCreate(InputSchema):
    title: Title
    body: Body = Field(description=f"Markdown, at most {kb.MAX_BODY} characters.")
    visibility: Visibility = "internal"
    client_id: BodyId | None = Field(None, description="Null: global (staff covering every client).")


class ArticlePatch(PatchSchema):
    nullable_fields = frozenset({"client_id"})

    title: Title | None = None
    body: Body | None = None
    visibility: Visibility | None = None
    client_id: BodyId | None = Field(None, description="A client, or null for a global article.")
    expected_version: Annotated[int, Strict(), Field(ge=1)] | None = Field(
        None, description="Refuse the change (422) if the article is no longer at this version."
    )


class VersionOut(Schema):
    version: int
    title: str
    visibility: str
    body: str
    edited_by_id: int | None
    created_at: datetime


class SearchQuery(Schema):
    q: Annotated[SearchText, Field(min_length=1)]
    limit: int = Field(20, ge=1, le=100)


class SuggestQuery(Schema):
    q: Annotated[SuggestText, Field(min_length=1, description="The ticket's subject and description.")]
    client_id: QueryId | None = Field(None, description="The ticket's client: its articles and global ones.")
    limit: int = Field(5, ge=1, le=kb.MAX_SUGGESTIONS)


ARTICLE_ID = path_id("The article's id.")
TICKET_ID = path_id("The ticket's number.")


# ---- Checks --------------------------------------------------------------------------


def needs_article(permission: str | None = None, *, edit: bool = False) -> Check:
    """The article named by the path is readable by the caller (404), who holds
    ``permission`` (403) and, with ``edit``, may write this article (403)."""

    def check(request: HttpRequest, who: Principal) -> None:
        match = request.resolver_match
        pk = parse_id(match.kwargs.get("article_id") if match else None)
        if pk is None:
            raise Http404
        who.scope.require("kb.view")
        article = kb.get_article(who.scope, pk)
        if permission:
            who.scope.require(permission)
        if edit:
            kb.require_edit(who.scope, article)
        request.api_object = article  # type: ignore[attr-defined]

    return check


# ---- Articles ------------------------------------------------------------------------


@router.get(
    "/kb/articles",
    response={200: ArticlePage, **responses(403, 422)},
    url_name="kb_article_list",
    auth=guarded(needs("kb.view")),
    operation_id="listArticles",
    summary="List knowledge-base articles",
)
def list_articles(request: HttpRequest, filters: Query[ArticleFilters]) -> Any:
    scope = scope_of(request)
    articles = kb.visible_articles(scope)
    if filters.client_id is not None:
        articles = articles.filter(client_id=filters.client_id)
    if filters.is_global is not None:
        articles = articles.filter(client__isnull=filters.is_global)
    if filters.visibility:
        articles = articles.filter(visibility=filters.visibility)
    if filters.ticket_id is not None:
        if not scope.can("tickets.view"):
            articles = articles.none()
        else:
            tickets = ticket_services.visible_tickets(scope).filter(pk=filters.ticket_id)
            articles = articles.filter(tickets__in=tickets.values("pk"))
    if filters.q:
        articles = kb.search(scope, filters.q, queryset=articles)
    else:
        articles = articles.order_by("title", "pk")
    return paginate(articles, filters)


@router.post(
    "/kb/articles",
    response={201: ArticleDetailOut, **responses(403, 422)},
    url_name="kb_article_create",
    auth=guarded(needs("kb.edit")),
    operation_id="createArticle",
    summary="Write an article",
)
def create_article(request: HttpRequest, payload: ArticleCreate) -> Any:
    """Version 1 of a new article. Needs `kb.edit`; a global article (no `client_id`) needs
    access to every client."""
    return Status(201, kb.create_article(scope_of(request), payload.model_dump()))


@router.get(
    "/kb/articles/{article_id}",
    response={200: ArticleDetailOut, **responses(403, 404, 422)},
    url_name="kb_article_detail",
    auth=guarded(needs_article()),
    operation_id="getArticle",
    summary="Get an article, with its body rendered to HTML",
)
def get_article(request: HttpRequest, article_id: int = ARTICLE_ID) -> Any:
    return target(request, Article)


@router.patch(
    "/kb/articles/{article_id}",
    response={200: ArticleDetailOut, **responses(403, 404, 422)},
    url_name="kb_article_detail",
    auth=guarded(needs_article("kb.edit", edit=True)),
    operation_id="updateArticle",
    summary="Change an article (a new version)",
)
def update_article(request: HttpRequest, payload: ArticlePatch, article_id: int = ARTICLE_ID) -> Any:
    """Send only the fields to change; a real change bumps the version. Needs `kb.edit`."""
    changes = payload.changes()
    expected = changes.pop("expected_version", None)
    return kb.update_article(scope_of(request), target(request, Article), changes, expected_version=expected)


@router.delete(
    "/kb/articles/{article_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="kb_article_detail",
    auth=guarded(needs_article("kb.edit", edit=True)),
    operation_id="deleteArticle",
    summary="Delete an article and its history",
)
def delete_article(request: HttpRequest, article_id: int = ARTICLE_ID) -> Any:
    kb.delete_article(scope_of(request), target(request, Article))
    return Status(204, None)


@router.get(
    "/kb/articles/{article_id}/versions",
    response={200: list[VersionOut], **responses(403, 404, 422)},
    url_name="kb_article_versions",
    auth=guarded(needs_article("tickets.note")),
    operation_id="listArticleVersions",
    summary="An article's versions, newest first",
)
def article_versions(request: HttpRequest, article_id: int = ARTICLE_ID) -> Any:
    """Staff only: an old version of a public article may hold what was removed before it
    was published."""
    return list(kb.versions(scope_of(request), target(request, Article)))


@router.post(
    "/kb/articles/{article_id}/restore/{version}",
    response={200: ArticleDetailOut, **responses(403, 404, 422)},
    url_name="kb_article_restore",
    auth=guarded(needs_article("kb.edit", edit=True)),
    operation_id="restoreArticleVersion",
    summary="Restore an old version (saved as a new version)",
)
def restore_version(
    request: HttpRequest,
    article_id: int = ARTICLE_ID,
    version: int = path_id("The version to bring back."),
) -> Any:
    return kb.restore_version(scope_of(request), target(request, Article), version)


# ---- Search and suggestions ----------------------------------------------------------


@router.get(
    "/kb/search",
    response={200: list[ArticleOut], **responses(403, 422)},
    url_name="kb_search",
    auth=guarded(needs("kb.view")),
    operation_id="searchArticles",
    summary="Search the articles you may read",
)
def search_articles(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    """Every word must appear in the title or body; articles with title matches come first."""
    return list(kb.search(scope_of(request), query.q)[: query.limit])


@router.get(
    "/kb/suggest",
    response={200: list[ArticleOut], **responses(403, 422)},
    url_name="kb_suggest",
    auth=guarded(needs("kb.view")),
    operation_id="suggestArticles",
    summary="Articles that may answer a ticket being written",
)
def suggest_articles(request: HttpRequest, query: Query[SuggestQuery]) -> Any:
    """Ranked by how many of the text's keywords (no stop words) appear; a title match counts
    twice. Client users get only public articles of their own client or global ones."""
    return kb.suggest(scope_of(request), query.q, query.client_id, limit=query.limit)


# ---- Tickets -------------------------------------------------------------------------


def _ticket_and_article(request: HttpRequest, who: Principal) -> None:
    needs_article()(request, who)
    match = request.resolver_match
    ticket_services.get_ticket(who.scope, parse_id(match.kwargs.get("ticket_id") if match else None))
    ticket_services.require_staff(who.scope)


@router.post(
    "/tickets/{ticket_id}/articles/{article_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="kb_ticket_article",
    auth=guarded(_ticket_and_article),
    operation_id="linkArticleToTicket",
    summary="Link an article to a ticket",
    tags=["Knowledge base", "Tickets"],
)
def link_article(request: HttpRequest, ticket_id: int = TICKET_ID, article_id: int = ARTICLE_ID) -> Any:
    """Staff only. A client's article can only be linked to that client's tickets."""
    scope = scope_of(request)
    kb.link(scope, target(request, Article), ticket_services.get_ticket(scope, ticket_id))
    return Status(204, None)


@router.delete(
    "/tickets/{ticket_id}/articles/{article_id}",
    response={204: None, **responses(403, 404, 422)},
    url_name="kb_ticket_article",
    auth=guarded(_ticket_and_article),
    operation_id="unlinkArticleFromTicket",
    summary="Remove an article's link to a ticket",
    tags=["Knowledge base", "Tickets"],
)
def unlink_article(request: HttpRequest, ticket_id: int = TICKET_ID, article_id: int = ARTICLE_ID) -> Any:
    scope = scope_of(request)
    kb.unlink(scope, target(request, Article), ticket_services.get_ticket(scope, ticket_id))
    return Status(204, None)


ARTICLE = "servicedesk.article"
declare("api:kb_article_list", "list", methods=("GET",))
declare("api:kb_article_create", "create", methods=("POST",), create_fields={"client_id": "core.client"})
declare("api:kb_article_detail", "object", model=ARTICLE, methods=("GET", "PATCH", "DELETE"))
declare("api:kb_article_versions", "object", model=ARTICLE, methods=("GET",))
declare("api:kb_article_restore", "object", model=ARTICLE, methods=("POST",))
declare("api:kb_search", "list", methods=("GET",))
declare("api:kb_suggest", "list", methods=("GET",))
declare(
    "api:kb_ticket_article",
    "object",
    model=ARTICLE,
    methods=("POST", "DELETE"),
    note="Both ids must be visible to the caller; the harness points both at client B's article.",
)
