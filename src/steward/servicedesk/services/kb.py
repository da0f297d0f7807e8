"""Knowledge-base verbs: find, write, version, render, search, suggest and link articles.

Who sees what (every function takes the acting :class:`Scope`):

- staff see every article of their provider that is global (no client) or belongs to a
  client they cover, internal and public alike;
- client users see only *public* articles that are global or belong to their own client.

Writing needs ``kb.edit`` and the article's client inside the scope; a global article
(shown to every client) can only be written by staff who cover every client. Each save
bumps the article's version and keeps a copy in :class:`ArticleVersion`; restoring an old
version writes it again as a new version, so history is never rewritten.

Markdown is rendered with raw HTML disabled and the result is sanitised again with an
allow-list (nh3): no scripts, no event handlers, no ``style``, links only to http(s),
mailto or relative addresses, each with ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from steward.core.models import Client, Provider, User
from steward.core.scoping import Scope
from steward.servicedesk.models import Article, ArticleVersion, Ticket
from steward.servicedesk.services import tickets as ticket_services

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_SEARCH_TERMS = 8
MAX_SUGGEST_TERMS = 8
MAX_SUGGEST_TEXT = 5_000
MAX_SUGGESTIONS = 20
MAX_SEARCH_RESULTS = 200

PUBLIC = Article.Visibility.PUBLIC
INTERNAL = Article.Visibility.INTERNAL
MAX_ID = 2**63 - 1


def as_id(value: Any) -> int | None:
    """A positive 64-bit id from an int or a string of digits; ``None`` for anything else
    (a bigger number would overflow the database driver instead of matching nothing)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 19:
            return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


# ---- Who sees and writes what ----------------------------------------------------------


def is_staff(scope: Scope) -> bool:
    """Staff (provider admins and technicians) see internal articles; client users do not."""
    return ticket_services.is_staff(scope)


def visible_articles(scope: Scope) -> QuerySet[Article]:
    """Every article the scope may read (see the module docstring)."""
    scope.require("kb.view")
    queryset = Article.objects.filter(provider_id=scope.provider_id)
    if scope.client_ids is not None:
        queryset = queryset.filter(Q(client__isnull=True) | Q(client_id__in=sorted(scope.client_ids)))
    if not is_staff(scope):
        queryset = queryset.filter(visibility=PUBLIC)
    return queryset


def get_article(scope: Scope, pk: Any) -> Article:
    """One visible article; 404 for both "absent" and "not yours"."""
    number = as_id(pk)
    if number is None:
        raise Http404("No such article.")
    article = visible_articles(scope).select_related("client", "created_by").filter(pk=number).first()
    if article is None:
        raise Http404("No such article.")
    return article


def can_edit(scope: Scope, article: Article | None = None, client_id: int | None = None) -> bool:
    """May the scope write this article (or, without one, an article for ``client_id``)?"""
    if not (scope.can("kb.edit") and is_staff(scope)):
        return False
    owner = article.client_id if article is not None else client_id
    if article is not None and article.provider_id != scope.provider_id:
        return False
    return scope.covers_client(owner)


def require_edit(scope: Scope, article: Article | None = None, client_id: int | None = None) -> None:
    scope.require("kb.edit")
    if not can_edit(scope, article, client_id):
        if (article.client_id if article is not None else client_id) is None:
            raise PermissionDenied("Only staff who cover every client can write global articles.")
        raise PermissionDenied("That client is outside your access.")


# ---- Writing ---------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: "Expected text."})
    text = (value or "").replace("\x00", "").replace("\r\n", "\n")
    text = text.strip() if field == "title" else text.strip("\n")
    if required and not text.strip():
        raise ValidationError({field: "This field is required."})
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit} characters (this has {len(text)})."})
    return text


def _visibility(value: Any) -> str:
    if value not in Article.Visibility.values:
        raise ValidationError({"visibility": "Choose internal or public."})
    return str(value)


def _client(scope: Scope, value: Any) -> Client | None:
    """The article's client (``None``: global), which must lie inside the scope."""
    if value in (None, ""):
        return None
    if isinstance(value, Client):
        value = value.pk
    pk = as_id(value)
    if pk is None:
        raise ValidationError({"client": "Expected a client id."})
    client = Client.objects.for_scope(scope).filter(pk=pk).first()
    if client is None:
        raise ValidationError({"client": "No such client, or it is outside your access."})
    return client


def _snapshot(article: Article, user: User | None) -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        version=article.version,
        title=article.title,
        body=article.body,
        visibility=article.visibility,
        edited_by=user,
    )


def _user(scope: Scope) -> User | None:
    return scope.user if scope.user is not None and scope.user.pk else None


@transaction.atomic
def create_article(scope: Scope, data: dict[str, Any]) -> Article:
    """``data``: title, body (Markdown), visibility (default internal), client_id (None: global)."""
    unknown = set(data) - {"title", "body", "visibility", "client_id", "client"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    scope.require("kb.edit")
    client = _client(scope, data.get("client_id", data.get("client")))
    require_edit(scope, client_id=client.pk if client else None)
    article = Article(
        provider_id=scope.provider_id,
        client=client,
        title=_text(data.get("title"), "title", MAX_TITLE),
        body=_text(data.get("body"), "body", MAX_BODY),
        visibility=_visibility(data.get("visibility", INTERNAL)),
        version=1,
        created_by=_user(scope),
    )
    article.save()
    _snapshot(article, _user(scope))
    return article


class StaleVersion(ValidationError):
    """The article was saved by someone else since the editor loaded it."""


@transaction.atomic
def update_article(
    scope: Scope,
    article: Article,
    data: dict[str, Any],
    *,
    expected_version: int | None = None,
    force_version: bool = False,
) -> Article:
    """Change title, body, visibility and/or client; a real change makes a new version.

    ``expected_version``: the version the editor started from; if the article has moved on
    since, nothing is saved and :class:`StaleVersion` is raised. ``force_version`` records a
    new version even when nothing changed (restores).
    """
    unknown = set(data) - {"title", "body", "visibility", "client_id", "client"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    require_edit(scope, article)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            {
                "body": f"Someone saved version {locked.version} while you were editing version "
                f"{expected_version}. Reload the article and apply your changes again."
            }
        )
    changed = False
    if "title" in data:
        title = _text(data["title"], "title", MAX_TITLE)
        changed |= title != locked.title
        locked.title = title
    if "body" in data:
        body = _text(data["body"], "body", MAX_BODY)
        changed |= body != locked.body
        locked.body = body
    if "visibility" in data:
        visibility = _visibility(data["visibility"])
        changed |= visibility != locked.visibility
        locked.visibility = visibility
    if "client_id" in data or "client" in data:
        client = _client(scope, data.get("client_id", data.get("client")))
        client_id = client.pk if client else None
        if client_id != locked.client_id:
            require_edit(scope, client_id=client_id)
            if client_id is not None and locked.tickets.exclude(client_id=client_id).exists():
                raise ValidationError(
                    {"client": "The article is linked to tickets of other clients; unlink them first."}
                )
            locked.client = client
            changed = True
    if changed or force_version:
        locked.version += 1
        locked.save()
        _snapshot(locked, _user(scope))
    return locked


def delete_article(scope: Scope, article: Article) -> None:
    require_edit(scope, article)
    article.delete()


def versions(scope: Scope, article: Article) -> QuerySet[ArticleVersion]:
    """The article's saved versions, newest first: staff only, as an old version of a public
    article may hold what was taken out before it was published."""
    get_article(scope, article.pk)
    ticket_services.require_staff(scope)
    return ArticleVersion.objects.filter(article=article).select_related("edited_by").order_by("-version")


def get_version(scope: Scope, article: Article, number: Any) -> ArticleVersion:
    wanted = as_id(number)
    if wanted is None:
        raise Http404("No such version.")
    found = versions(scope, article).filter(version=wanted).first()
    if found is None:
        raise Http404("No such version.")
    return found


def restore_version(scope: Scope, article: Article, number: Any) -> Article:
    """Write an old version's title, body and visibility again, as a new version."""
    require_edit(scope, article)
    old = get_version(scope, article, number)
    return update_article(
        scope,
        article,
        {"title": old.title, "body": old.body, "visibility": old.visibility},
        force_version=True,
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    text: str


def diff(old_text: str, new_text: str, *, context: int = 3) -> list[DiffLine]:
    """A line diff (unified, with context) as plain rows; templates escape the text."""
    rows: list[DiffLine] = []
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), lineterm="", n=context, fromfile="a", tofile="b"
    )
    for line in lines:
        if line.startswith(("--- ", "+++ ")):
            continue
        if line.startswith("@@"):
            rows.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            rows.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            rows.append(DiffLine("remove", line[1:]))
        else:
            rows.append(DiffLine("context", line[1:]))
    return rows


# ---- Rendering -------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _safe_link(url: str) -> bool:
    """Relative links and http(s)/mailto only (``javascript:``, ``data:``… are refused)."""
    compact = _INVISIBLE.sub("", url)
    match = _SCHEME.match(compact)
    return match is None or match.group(1).lower() in ALLOWED_SCHEMES


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


_MD = _markdown()


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes (the second line of defence)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """Markdown → HTML that is safe to put on a page as is."""
    return mark_safe(sanitize_html(_MD.render(text or "")))  # sanitised with the allow-list above


def render(article: Article | ArticleVersion) -> SafeString:
    return render_markdown(article.body)


# ---- Search and suggestions ------------------------------------------------------------

_WORD = re.compile(r"[\w][\w.\-+#]*", re.UNICODE)

_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can cannot could did do does doing done down during each few for from
    further get gets getting got had has have having he her here hers him his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours out
    over own same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom why
    will with would you your yours yourself yourselves
    hi hello hey dear thanks thank thx cheers regards kind best please pls help need needs needed
    issue issues problem problems urgent asap today yesterday tomorrow morning afternoon still again
    working work works worked anyone someone something anything everything since ever never
    cant won wont don dont doesn doesnt isn isnt didn didnt couldn couldnt wasn wasnt
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def terms_of(text: str, limit: int = MAX_SEARCH_TERMS) -> list[str]:
    """A search's words, lower-cased, deduplicated, at least two characters."""
    words = [word.strip(".-+") for word in _WORD.findall((text or "").lower())]
    return list(dict.fromkeys(word for word in words if len(word) >= 2))[:limit]


def _stem(word: str) -> str:
    """A crude English stem, only ever a prefix of the word, so ``icontains`` still finds it."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # mapping → map, dropped → drop
            break
    return word


def keywords(text: str, limit: int = MAX_SUGGEST_TERMS) -> list[str]:
    """The words of a ticket that may say what it is about: no stop words, stemmed."""
    found: list[str] = []
    for word in _WORD.findall((text or "")[:MAX_SUGGEST_TEXT].lower()):
        word = word.strip(".-+")
        if len(word) < 3 or word in STOP_WORDS or word.isdigit():
            continue
        found.append(_stem(word))
    return list(dict.fromkeys(found))[:limit]


def _hits(field: str, terms: Sequence[str], weight: int = 1) -> Any:
    return reduce(
        add,
        (Case(When(**{f"{field}__icontains": term}, then=Value(weight)), default=Value(0)) for term in terms),
        Value(0),
    )


def search(scope: Scope, text: str, *, queryset: QuerySet[Article] | None = None) -> QuerySet[Article]:
    """Visible articles whose title or body holds every word; title hits rank first."""
    base = visible_articles(scope) if queryset is None else queryset
    terms = terms_of(text)
    if not terms:
        return base.order_by("title", "pk")
    for term in terms:
        base = base.filter(Q(title__icontains=term) | Q(body__icontains=term))
    ranked = base.annotate(title_hits=_hits("title", terms))
    return ranked.order_by("-title_hits", "title", "pk")


def suggest(scope: Scope, text: str, client_id: Any = None, limit: int = 5) -> list[Article]:
    """Articles for a ticket being written, from its subject and description.

    Only articles the viewer may read (client users: public ones of their client or global);
    with a client, only that client's articles and global ones. Ranked by how many of the
    ticket's keywords appear, a title match counting twice.
    """
    terms = keywords(text)
    queryset = visible_articles(scope)
    if not terms:
        return []
    if not is_staff(scope) and scope.user is not None and scope.user.client_id:
        client_id = scope.user.client_id
    if client_id not in (None, ""):
        # An unusable id narrows to the global articles rather than failing.
        queryset = queryset.filter(Q(client__isnull=True) | Q(client_id=as_id(client_id) or 0))
    # One pattern match per term and field: the score is computed once in the SELECT and
    # sorted by its alias; articles matching nothing are dropped here rather than in a WHERE
    # (which would scan every body a second time).
    ranked = (
        queryset.annotate(title_hits=_hits("title", terms))
        .annotate(score=_hits("title", terms, 2) + _hits("body", terms))
        .order_by("-score", "-title_hits", "title", "pk")
        .select_related("client")
        .defer("body")
    )
    wanted_count = max(1, min(limit, MAX_SUGGESTIONS))
    return [article for article in ranked[:wanted_count] if article.score > 0]


# ---- Tickets ---------------------------------------------------------------------------


def articles_for_ticket(scope: Scope, ticket: Ticket) -> QuerySet[Article]:
    """The articles linked to a ticket that the viewer may read."""
    return visible_articles(scope).filter(tickets=ticket).select_related("client").order_by("title", "pk")


def tickets_for_article(scope: Scope, article: Article) -> QuerySet[Ticket]:
    """The tickets linked to an article that the viewer may see."""
    if not scope.can("tickets.view"):
        return Ticket.objects.for_scope(scope).none()
    return ticket_services.visible_tickets(scope).filter(kb_articles=article).order_by("-pk")


def _require_linkable(scope: Scope, article: Article, ticket: Ticket) -> None:
    ticket_services.require_staff(scope)
    scope.require("kb.view")
    if article.client_id is not None and article.client_id != ticket.client_id:
        raise ValidationError({"ticket": "That article belongs to another client than the ticket."})


def link(scope: Scope, article: Article, ticket: Ticket) -> None:
    """Link an article to a ticket (staff). Both must be visible to the scope."""
    article = get_article(scope, article.pk)
    ticket = ticket_services.get_ticket(scope, ticket.pk)
    _require_linkable(scope, article, ticket)
    article.tickets.add(ticket)


def unlink(scope: Scope, article: Article, ticket: Ticket) -> None:
    article = get_article(scope, article.pk)
    ticket = ticket_services.get_ticket(scope, ticket.pk)
    ticket_services.require_staff(scope)
    article.tickets.remove(ticket)


# ---- Demo ------------------------------------------------------------------------------

# (template under servicedesk/kb/demo/, title, visibility); the Markdown lives in the templates.
DEMO_ARTICLES: list[tuple[str, str, str]] = [
    ("reset-your-multi-factor-authentication", "Reset your multi-factor authentication (MFA)", PUBLIC),
    ("map-a-network-drive-in-windows", "Map a network drive in Windows", PUBLIC),
    ("connect-to-the-vpn-from-home", "Connect to the VPN from home", PUBLIC),
    ("printer-troubleshooting", "Printer troubleshooting", PUBLIC),
    ("phishing-how-to-report-a-suspicious-e-mail", "Phishing: how to report a suspicious e-mail", PUBLIC),
    ("new-starter-checklist", "New starter checklist", INTERNAL),
    ("bitlocker-recovery-key-procedure", "BitLocker recovery key procedure", INTERNAL),
    ("offboarding-a-leaver", "Offboarding a leaver", INTERNAL),
]


def seed_demo_articles(provider: Provider, clients: Iterable[Client] = ()) -> list[Article]:
    """Realistic MSP articles for the demo (global ones plus one per client); idempotent."""
    from django.template.loader import render_to_string

    def body(name: str, **context: Any) -> str:
        return render_to_string(f"servicedesk/kb/demo/{name}.md", context).strip("\n") + "\n"

    rows: list[tuple[str, str, str, Client | None]] = [
        (title, visibility, body(name), None) for name, title, visibility in DEMO_ARTICLES
    ]
    for client in clients:
        title = f"{client.name}: printing to the office copier"
        rows.append((title, PUBLIC, body("client-copier", client=client), client))
    existing = set(Article.objects.filter(provider=provider).values_list("title", flat=True))
    created: list[Article] = []
    with transaction.atomic():
        for title, visibility, text, owner in rows:
            if title in existing:
                continue
            article = Article.objects.create(
                provider=provider, client=owner, title=title, body=text, visibility=visibility, version=1
            )
            _snapshot(article, None)
            created.append(article)
    return created
