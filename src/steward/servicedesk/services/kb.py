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
from operator import add, or_
from typing import Any

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
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
MAX_SUGGEST_TERMS = 12
MAX_SUGGEST_TEXT = 5_000
MAX_SUGGESTIONS = 20
MAX_SEARCH_RESULTS = 200

PUBLIC = Article.Visibility.PUBLIC
INTERNAL = Article.Visibility.INTERNAL


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
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such article.") from None
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
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"client": "Expected a client id."}) from None
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
    """The article's saved versions, newest first (the article must be visible)."""
    get_article(scope, article.pk)
    return ArticleVersion.objects.filter(article=article).select_related("edited_by").order_by("-version")


def get_version(scope: Scope, article: Article, number: Any) -> ArticleVersion:
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
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
        try:
            wanted = int(client_id)
        except (TypeError, ValueError):
            wanted = 0
        queryset = queryset.filter(Q(client__isnull=True) | Q(client_id=wanted))
    matching = reduce(or_, (Q(title__icontains=term) | Q(body__icontains=term) for term in terms))
    ranked = (
        queryset.filter(matching)
        .annotate(title_hits=_hits("title", terms), body_hits=_hits("body", terms))
        .annotate(score=F("title_hits") * 2 + F("body_hits"))
        .order_by("-score", "-title_hits", "title", "pk")
    )
    return list(ranked.select_related("client")[: max(1, min(limit, MAX_SUGGESTIONS))])


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

DEMO_ARTICLES: list[tuple[str, str, str]] = [
    (
        "Reset your multi-factor authentication (MFA)",
        PUBLIC,
        """When you get a new phone or lose the old one, your sign-in codes stop working.

## What you need
- Your work e-mail address and password
- The new phone, with **Microsoft Authenticator** installed

## Steps
1. Call or e-mail the service desk and ask for an *MFA reset*. We confirm who you are with a
   call back to the number we have on file — we never ask for your password.
2. Once we confirm the reset, sign in at <https://aka.ms/mysecurityinfo>.
3. Choose **Add sign-in method → Authenticator app** and scan the QR code with the new phone.
4. Approve the test notification.

> Keep the old phone until the new one works, if you still have it.
""",
    ),
    (
        "Map a network drive in Windows",
        PUBLIC,
        """Shared folders on the office file server appear as drive letters (for example `S:`).

1. Open **File Explorer** and select **This PC**.
2. Choose **Map network drive** in the toolbar (or under the `…` menu).
3. Pick the drive letter your team uses and enter the folder, for example
   `\\\\fileserver\\shared`.
4. Tick **Reconnect at sign-in** and click **Finish**.

If Windows asks for a password, use your normal work account. If the drive shows a red
cross, connect to the VPN first when you are away from the office.
""",
    ),
    (
        "Connect to the VPN from home",
        PUBLIC,
        """The VPN lets you reach office systems (file shares, the accounts package) from anywhere.

## First time
1. Install the VPN client from the **Company Portal** app.
2. Start it and enter the server address your welcome e-mail gave you.
3. Sign in with your work account and approve the MFA prompt.

## Every day
- Connect before opening mapped drives.
- Disconnect when you are done; the VPN also disconnects after 12 hours.

| Symptom | Try this |
|---|---|
| "Authentication failed" | Check Caps Lock; reset your password if it expired |
| Connected but no drives | Sign out and back in to Windows |
| Very slow | Move closer to your Wi-Fi router or use a cable |
""",
    ),
    (
        "Printer troubleshooting",
        PUBLIC,
        """Most printing problems are solved by these checks, in order:

1. Is the printer on, with paper and no flashing error light?
2. Did the document go to the **right printer**? Check *Settings → Bluetooth & devices → Printers*.
3. Open the printer's queue and **cancel stuck jobs**, then print again.
4. Restart the printer, then your computer.

Still stuck? Open a ticket with the printer's name (on its label) and a photo of any error
message on its display.
""",
    ),
    (
        "Phishing: how to report a suspicious e-mail",
        PUBLIC,
        """Not sure whether an e-mail is genuine? **Don't click, don't reply, don't open attachments.**

- In Outlook, choose **Report → Phishing**. That sends it to us and removes it from your inbox.
- If you already clicked a link or entered your password, call the service desk **now**;
  we will reset your password and check your account.

Warning signs: urgency ("within 24 hours"), a sender address that does not match the name,
requests to pay or change bank details, unexpected attachments.
""",
    ),
    (
        "New starter checklist",
        INTERNAL,
        """Internal: the steps for a new employee at a managed client. Tick each in the ticket.

- [ ] Account created in the directory, licence assigned, added to the right groups
- [ ] MFA registration enforced at first sign-in
- [ ] Laptop enrolled in device management, BitLocker on, agent checked in
- [ ] Mailbox, shared mailboxes and distribution lists
- [ ] Mapped drives / SharePoint sites for the department
- [ ] Printer and phone extension
- [ ] Security awareness training assigned
- [ ] Welcome e-mail with the portal link and the service desk number sent to the manager
""",
    ),
    (
        "BitLocker recovery key procedure",
        INTERNAL,
        """Internal. A user whose laptop asks for a recovery key is locked out; treat as P2.

1. **Verify identity** with a call back to the number in the directory. Never read a key to
   someone calling from an unknown number.
2. Note the *Key ID* (first 8 characters) shown on the laptop's blue screen.
3. Find the key in the device-management console under the device's **Recovery keys**,
   matching the Key ID.
4. Read the key in groups of six digits; the user types it.
5. After sign-in, **rotate the key** from the console and record the reason in the ticket.

Repeated prompts usually follow a BIOS or firmware update: suspend BitLocker before such
updates.
""",
    ),
    (
        "Offboarding a leaver",
        INTERNAL,
        """Internal. Run on the leaver's last day, at the agreed time.

1. Block sign-in and revoke sessions; reset the password.
2. Convert the mailbox to a shared mailbox and grant the manager access if requested.
3. Remove licences, group memberships and MFA methods.
4. Wipe or collect company devices; update the asset record.
5. Record what was done in the ticket for the client's audit trail.
""",
    ),
]


def seed_demo_articles(provider: Provider, clients: Iterable[Client] = ()) -> list[Article]:
    """Realistic MSP articles for the demo (global ones plus one per client); idempotent."""
    created: list[Article] = []
    existing = set(Article.objects.filter(provider=provider).values_list("title", flat=True))
    rows: list[tuple[str, str, str, Client | None]] = [(*row, None) for row in DEMO_ARTICLES]
    for client in clients:
        rows.append(
            (
                f"{client.name}: printing to the office copier",
                PUBLIC,
                f"""The office copier for **{client.name}** is installed on every managed PC.

1. Choose the printer named *Copier* in the print dialog.
2. For colour or stapling, open **Printer properties** before printing.
3. Secure print: enter your PIN at the copier to release the job.

If the copier is missing, open a ticket and we will reinstall it remotely.
""",
                client,
            )
        )
    with transaction.atomic():
        for title, visibility, body, owner in rows:
            if title in existing:
                continue
            article = Article.objects.create(
                provider=provider, client=owner, title=title, body=body, visibility=visibility, version=1
            )
            _snapshot(article, None)
            created.append(article)
    return created
