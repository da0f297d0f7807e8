"""Knowledge-base pages: the staff list, article page, editor and history; the portal's
search and reading pages; article suggestions while a ticket is written; and the box of
articles linked to a ticket.

Every view reads articles through ``services.kb``, so an article outside the viewer's
reach answers 404 exactly like one that does not exist, and client users only ever see
public articles of their own client or global ones.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.tenancy import apply_service_errors
from steward.core.listing import Column, Filter, build_listing
from steward.core.models import Client
from steward.core.scoping import Scope
from steward.core.views.tenancy import CLIENT_SELECT_LIMIT, is_partial, render_list, scope_for
from steward.servicedesk.models import Article, Ticket
from steward.servicedesk.services import kb
from steward.servicedesk.services import tickets as ticket_services
from steward.web.navigation import NavItem, register

register(NavItem("Service desk", "Knowledge base", "kb_article_list", "kb.view", "provider", 47, "book"))
register(NavItem("Support", "Knowledge base", "portal_kb", "kb.view", "client", 17, "book"))

ARTICLE_COLUMNS = [
    Column("Title", "title"),
    Column("Client", "client", ("client__name", "title")),
    Column("Visibility", "visibility", ("visibility", "title")),
    Column("Version", "version", css="num"),
    Column("Updated", "updated", ("updated_at",)),
]
PORTAL_PER_PAGE = 20
TICKET_BOX_CANDIDATES = 5
GLOBAL = "global"


def _is_client_user(request: HttpRequest) -> bool:
    return not request.user.is_provider_staff  # type: ignore[union-attr]


def _detail_url(article: Article) -> str:
    return reverse("kb_article_detail", args=[article.pk])


def _breadcrumbs(article: Article | None = None) -> list[tuple[str, str]]:
    crumbs = [("Knowledge base", reverse("kb_article_list"))]
    if article is not None:
        crumbs.append((article.title, _detail_url(article)))
    return crumbs


def _staff_article(request: HttpRequest, pk: Any) -> tuple[Scope, Article]:
    """The article for a staff page (404 if out of reach, 403 for client users)."""
    scope = scope_for(request)
    article = kb.get_article(scope, pk)
    ticket_services.require_staff(scope)
    return scope, article


# ---- Staff list ------------------------------------------------------------------------


def _client_filter(scope: Scope) -> Filter:
    """The client filter, with "global" for articles of every client."""
    clients = Client.objects.for_scope(scope)

    def options() -> list[tuple[str, str]]:
        rows = list(clients.order_by("name", "pk").values_list("pk", "name")[: CLIENT_SELECT_LIMIT + 1])
        listed = [] if len(rows) > CLIENT_SELECT_LIMIT else [(str(pk), name) for pk, name in rows]
        return [(GLOBAL, "Global (every client)"), *listed]

    def coerce(raw: str) -> Any:
        if raw == GLOBAL:
            return GLOBAL
        number = kb.as_id(raw)
        if number is None:
            raise ValueError(raw)
        return number

    def lookup(queryset: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value == GLOBAL:
            return queryset.filter(client__isnull=True)
        return queryset.filter(client_id=value)

    def describe(value: Any) -> str:
        return clients.filter(pk=value).values_list("name", flat=True).first() or "Unknown client"

    return Filter("client", "Client", lookup, options=options, coerce=coerce, describe=describe)


@login_required
def kb_article_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("kb.view")
    if _is_client_user(request):
        return redirect("portal_kb")
    ticket_services.require_staff(scope)
    listing = build_listing(
        request,
        kb.visible_articles(scope).select_related("client"),
        columns=ARTICLE_COLUMNS,
        default_sort="title",
        search=("title", "body"),
        filters=[
            _client_filter(scope),
            Filter("visibility", "Visibility", "visibility", options=Article.Visibility.choices, strict=True),
        ],
    )
    return render_list(
        request,
        "servicedesk/kb/list.html",
        "servicedesk/kb/_table.html",
        {"title": "Knowledge base", "listing": listing, "can_add": scope.can("kb.edit")},
    )


# ---- Article page ----------------------------------------------------------------------


@login_required
def kb_article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    article = kb.get_article(scope, pk)
    if _is_client_user(request):
        return redirect("portal_kb_article", pk=article.pk)
    ticket_services.require_staff(scope)
    tickets = kb.tickets_for_article(scope, article)
    return render(
        request,
        "servicedesk/kb/detail.html",
        {
            "page_title": article.title,
            "article": article,
            "html": kb.render(article),
            "can_edit": kb.can_edit(scope, article),
            "linked_tickets": list(tickets.select_related("client")[:50]),
            "linked_total": tickets.count(),
            "can_link": scope.can("tickets.view"),
            "breadcrumbs": _breadcrumbs(),
        },
    )


# ---- Editor ----------------------------------------------------------------------------


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=kb.MAX_TITLE)
    client = forms.ChoiceField(required=False, help_text="Global articles apply to every client.")
    visibility = forms.ChoiceField(
        choices=Article.Visibility.choices,
        initial=Article.Visibility.INTERNAL,
        help_text="Public articles appear in the client portal and in suggestions for clients.",
    )
    body = forms.CharField(
        max_length=kb.MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22, "class": "mono kb-editor", "spellcheck": "true"}),
        help_text="Markdown: # headings, **bold**, *italic*, - lists, 1. steps, [links](https://…), "
        "`code`, tables. Raw HTML is shown as text.",
    )
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs.update(
            {
                "hx-post": reverse("kb_preview"),
                "hx-trigger": "keyup changed delay:800ms",
                "hx-target": "#kb-preview",
                "hx-swap": "innerHTML",
            }
        )
        choices: list[tuple[str, str]] = []
        if scope.all_clients:
            choices.append(("", "Global — every client"))
        else:
            choices.append(("", "Choose a client…"))
            self.fields["client"].required = True
            self.fields["client"].help_text = "Only staff who cover every client can write global articles."
        clients = Client.objects.for_scope(scope).order_by("name", "pk").values_list("pk", "name")
        choices.extend((str(pk), name) for pk, name in clients[:2000])
        field: Any = self.fields["client"]
        field.choices = choices

    def clean_body(self) -> str:
        body = str(self.cleaned_data.get("body") or "")
        if not body.strip():
            raise ValidationError("This field is required.")
        return body

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "visibility": data["visibility"],
            "client_id": int(data["client"]) if data.get("client") else None,
        }


def _editor(
    request: HttpRequest, form: ArticleForm, *, title: str, submit: str, cancel: str, article: Article | None
) -> HttpResponse:
    preview = None
    if request.method == "POST" and "preview" in request.POST:
        preview = kb.render_markdown(str(request.POST.get("body", ""))[: kb.MAX_BODY])
    crumbs = _breadcrumbs(article)
    return render(
        request,
        "servicedesk/kb/form.html",
        {
            "page_title": title,
            "title": title,
            "form": form,
            "article": article,
            "submit_label": submit,
            "cancel_url": cancel,
            "preview": preview,
            "breadcrumbs": crumbs,
        },
    )


def _wants_preview(request: HttpRequest) -> bool:
    return request.method == "POST" and "preview" in request.POST


@login_required
@require_http_methods(["GET", "POST"])
def kb_article_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    scope.require("kb.edit")
    ticket_services.require_staff(scope)
    initial: dict[str, Any] = {}
    wanted = kb.as_id(request.GET.get("client", ""))
    if wanted is not None and Client.objects.for_scope(scope).filter(pk=wanted).exists():
        initial["client"] = str(wanted)
    form = ArticleForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and not _wants_preview(request) and form.is_valid():
        try:
            article = kb.create_article(scope, form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Article “{article.title}” published as version 1.")
            return redirect(_detail_url(article))
    return _editor(
        request,
        form,
        title="New article",
        submit="Save article",
        cancel=reverse("kb_article_list"),
        article=None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def kb_article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope, article = _staff_article(request, pk)
    kb.require_edit(scope, article)
    initial = {
        "title": article.title,
        "client": str(article.client_id or ""),
        "visibility": article.visibility,
        "body": article.body,
        "base_version": article.version,
    }
    form = ArticleForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and not _wants_preview(request) and form.is_valid():
        try:
            saved = kb.update_article(
                scope, article, form.service_data(), expected_version=form.cleaned_data.get("base_version")
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if saved.version == article.version:
                messages.info(request, f"Nothing changed; the article stays at version {saved.version}.")
            else:
                messages.success(request, f"Saved “{saved.title}” as version {saved.version}.")
            return redirect(_detail_url(saved))
    return _editor(
        request,
        form,
        title=f"Edit {article.title}",
        submit="Save new version",
        cancel=_detail_url(article),
        article=article,
    )


@login_required
@require_POST
def kb_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown of the editor rendered as it will appear (htmx)."""
    scope = scope_for(request)
    scope.require("kb.edit")
    ticket_services.require_staff(scope)
    body = str(request.POST.get("body", ""))[: kb.MAX_BODY]
    return render(request, "servicedesk/kb/_preview.html", {"preview": kb.render_markdown(body)})


@login_required
@require_http_methods(["GET", "POST"])
def kb_article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope, article = _staff_article(request, pk)
    kb.require_edit(scope, article)
    if request.method == "POST":
        title = article.title
        kb.delete_article(scope, article)
        messages.success(request, f"Article “{title}” deleted with its history.")
        return redirect("kb_article_list")
    consequences = [
        (kb.versions(scope, article).count(), "saved version"),
        (article.tickets.count(), "link to a ticket"),
    ]
    return render(
        request,
        "core/confirm_delete.html",
        {
            "page_title": f"Delete {article.title}",
            "object": article,
            "kind": "article",
            "consequences": [row for row in consequences if row[0]],
            "consequences_note": "The tickets stay; only their links to this article go.",
            "breadcrumbs": _breadcrumbs(article),
            "cancel_url": _detail_url(article),
        },
    )


# ---- History ---------------------------------------------------------------------------


@login_required
def kb_article_versions(request: HttpRequest, pk: int) -> HttpResponse:
    scope, article = _staff_article(request, pk)
    return render(
        request,
        "servicedesk/kb/versions.html",
        {
            "page_title": f"History of {article.title}",
            "article": article,
            "versions": list(kb.versions(scope, article)[:500]),
            "can_edit": kb.can_edit(scope, article),
            "breadcrumbs": _breadcrumbs(article),
        },
    )


@login_required
def kb_article_version(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """One version, compared with another (by default the one before it)."""
    scope, article = _staff_article(request, pk)
    shown = kb.get_version(scope, article, version)
    wanted = kb.as_id(request.GET.get("against", ""))
    against = None
    if wanted is not None:
        against = kb.versions(scope, article).filter(version=wanted).first()
    if against is None:
        against = kb.versions(scope, article).filter(version__lt=shown.version).first()
    old_body = against.body if against is not None else ""
    return render(
        request,
        "servicedesk/kb/version.html",
        {
            "page_title": f"{article.title}: version {shown.version}",
            "article": article,
            "shown": shown,
            "against": against,
            "diff": kb.diff(old_body, shown.body),
            "title_changed": against is not None and against.title != shown.title,
            "visibility_changed": against is not None and against.visibility != shown.visibility,
            "html": kb.render(shown),
            "other_versions": list(kb.versions(scope, article).exclude(version=shown.version)[:200]),
            "can_edit": kb.can_edit(scope, article),
            "breadcrumbs": [*_breadcrumbs(article), ("History", reverse("kb_article_versions", args=[pk]))],
        },
    )


@login_required
@require_POST
def kb_article_restore(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    scope, article = _staff_article(request, pk)
    kb.require_edit(scope, article)
    restored = kb.restore_version(scope, article, version)
    messages.success(request, f"Version {version} restored as version {restored.version}.")
    return redirect(_detail_url(restored))


# ---- Suggestions while a ticket is written ---------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def kb_suggest(request: HttpRequest) -> HttpResponse:
    """A short list of articles for the ticket being written (htmx partial).

    Reads ``q``, or ``subject`` with ``body``/``description``, and ``client``/``client_id``
    (ignored for client users, who only get their own client's and global articles).
    """
    scope = scope_for(request)
    scope.require("kb.view")
    data = request.POST if request.method == "POST" else request.GET
    parts = [data.get(name, "") for name in ("q", "subject", "body", "description")]
    text = " ".join(str(part) for part in parts if part)[: kb.MAX_SUGGEST_TEXT]
    client_id = kb.as_id(data.get("client_id") or data.get("client") or "")
    suggestions = kb.suggest(scope, text, client_id) if text.strip() else []
    return render(
        request,
        "servicedesk/kb/_suggestions.html",
        {"suggestions": suggestions, "portal": _is_client_user(request), "searched": bool(text.strip())},
    )


# ---- Articles linked to a ticket -------------------------------------------------------


def ticket_articles_context(request: HttpRequest, ticket: Ticket, q: str = "") -> dict[str, Any]:
    """What ``servicedesk/kb/_ticket_articles.html`` needs, for the ticket page to include."""
    scope = scope_for(request)
    if not scope.can("kb.view"):
        return {"ticket": ticket, "kb_hidden": True}
    staff = ticket_services.is_staff(scope)
    linked = list(kb.articles_for_ticket(scope, ticket))
    candidates: list[Article] = []
    q = " ".join(q.split())[:100]
    if staff:
        linked_ids = {article.pk for article in linked}
        same_client = Q(client__isnull=True) | Q(client_id=ticket.client_id)
        if q:
            found = kb.search(scope, q).filter(same_client).exclude(pk__in=linked_ids)
            candidates = list(found[:TICKET_BOX_CANDIDATES])
        else:
            suggested = kb.suggest(scope, ticket.subject, ticket.client_id, limit=TICKET_BOX_CANDIDATES * 2)
            candidates = [a for a in suggested if a.pk not in linked_ids][:TICKET_BOX_CANDIDATES]
    return {
        "ticket": ticket,
        "kb_linked": linked,
        "kb_candidates": candidates,
        "kb_staff": staff,
        "kb_q": q,
        "kb_hidden": False,
        "kb_next": _current_path(request),
    }


def _current_path(request: HttpRequest) -> str:
    """Where to come back to after a link without htmx: the page showing the box."""
    if is_partial(request):
        return str(getattr(request.htmx, "current_url_abs_path", "") or "")  # type: ignore[attr-defined]
    return request.get_full_path()


def _ticket_from(scope: Scope, raw: Any) -> Ticket:
    """The ticket named by a form field: "123" or "T-123"."""
    number = kb.as_id(str(raw or "").strip().upper().removeprefix("T-"))
    if number is None:
        raise Http404("No such ticket.")
    return ticket_services.get_ticket(scope, number)


@login_required
def kb_ticket_articles(request: HttpRequest) -> HttpResponse:
    """The box of a ticket's articles (``?ticket=<number>``; ``q`` searches articles to link)."""
    scope = scope_for(request)
    ticket = _ticket_from(scope, request.GET.get("ticket"))
    context = ticket_articles_context(request, ticket, request.GET.get("q", ""))
    return render(request, "servicedesk/kb/_ticket_articles.html", context)


def _after_link(
    request: HttpRequest, article: Article, ticket: Ticket | None, *, done: str, error: str
) -> HttpResponse:
    """htmx: the ticket's article box again (with the error, if any); else back to the page."""
    if is_partial(request) and ticket is not None:
        context = ticket_articles_context(request, ticket)
        context["kb_error"] = error
        return render(request, "servicedesk/kb/_ticket_articles.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    target = str(request.POST.get("next", ""))
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(_detail_url(article))


@login_required
@require_POST
def kb_article_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the article to the ticket named by ``ticket`` (a number, "T-12" works too)."""
    scope, article = _staff_article(request, pk)
    ticket: Ticket | None = None
    error = ""
    try:
        ticket = _ticket_from(scope, request.POST.get("ticket"))
        kb.link(scope, article, ticket)
    except Http404:
        error = "No such ticket, or it is outside your access."
    except ValidationError as exc:
        error = " ".join(exc.messages)
    done = f"Linked “{article.title}” to T-{ticket.pk}." if ticket is not None else ""
    return _after_link(request, article, ticket, done=done, error=error)


@login_required
@require_POST
def kb_article_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    scope, article = _staff_article(request, pk)
    ticket: Ticket | None = None
    error = ""
    try:
        ticket = _ticket_from(scope, request.POST.get("ticket"))
        kb.unlink(scope, article, ticket)
    except Http404:
        error = "No such ticket, or it is outside your access."
    done = f"Removed the link between “{article.title}” and T-{ticket.pk}." if ticket is not None else ""
    return _after_link(request, article, ticket, done=done, error=error)


# ---- Portal ----------------------------------------------------------------------------


@login_required
def portal_kb(request: HttpRequest) -> HttpResponse:
    """The client's knowledge base: search, then read (public articles only)."""
    scope = scope_for(request)
    scope.require("kb.view")
    q = " ".join(request.GET.get("q", "").split())[:100]
    if not _is_client_user(request):
        return redirect(reverse("kb_article_list") + (f"?{urlencode({'q': q})}" if q else ""))
    articles = kb.search(scope, q) if q else kb.visible_articles(scope).order_by("title", "pk")
    page = Paginator(articles.select_related("client"), PORTAL_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "servicedesk/kb/portal_list.html",
        {"page_title": "Knowledge base", "q": q, "page": page, "articles": list(page.object_list)},
    )


@login_required
def portal_kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request)
    article = kb.get_article(scope, pk)
    if not _is_client_user(request):
        return redirect(_detail_url(article))
    return render(
        request,
        "servicedesk/kb/portal_detail.html",
        {"page_title": article.title, "article": article, "html": kb.render(article)},
    )
