"""Full-text search over tickets: SQLite FTS5 or PostgreSQL ``tsvector`` with GIN indexes.

The user's words are never passed to the database's query syntax as written: they are split
into terms, each quoted (FTS5) or turned into a lexeme (PostgreSQL), and combined with AND;
a trailing ``*`` asks for a prefix match. Staff searches cover subjects, public replies and
internal notes; customers' searches cover only subjects and public replies.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from steward.servicedesk.models import Ticket

MAX_TERMS = 8
TERM = re.compile(r"[\w@.\-]+\*?", re.UNICODE)


def terms_of(text: str) -> list[str]:
    """Words of a search, lower-cased; punctuation inside a word (e-mail, host.name) kept."""
    found: list[str] = []
    for match in TERM.findall(text.lower()):
        word = match.strip(".-")
        prefix = match.endswith("*")
        word = word.rstrip("*").strip(".-")
        if len(word) < 2 and not prefix:
            continue
        if word:
            found.append(word + ("*" if prefix else ""))
    return list(dict.fromkeys(found))[:MAX_TERMS]


def _fts5_query(terms: list[str]) -> str:
    parts = []
    for term in terms:
        prefix = term.endswith("*")
        word = term.rstrip("*").replace('"', '""')
        parts.append(f'"{word}"' + ("*" if prefix else ""))
    return " AND ".join(parts)


def _tsquery(terms: list[str]) -> str:
    parts = []
    for term in terms:
        prefix = term.endswith("*")
        # Lexemes are quoted so operators in the user's words are just characters.
        word = term.rstrip("*").replace("'", "''").replace("\\", "\\\\")
        parts.append(f"'{word}'" + (":*" if prefix else ""))
    return " & ".join(parts)


def search(queryset: QuerySet[Ticket], text: str, *, include_internal: bool) -> QuerySet[Ticket]:
    terms = terms_of(text)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        query = _tsquery(terms)
        condition = (
            "to_tsvector('simple'::regconfig, servicedesk_ticket.search_public) @@ to_tsquery('simple', %s)"
        )
        params: list[str] = [query]
        if include_internal:
            condition = (
                f"({condition} OR to_tsvector('simple'::regconfig, servicedesk_ticket.search_internal)"
                " @@ to_tsquery('simple', %s))"
            )
            params.append(query)
        return queryset.extra(where=[condition], params=params)  # noqa: S610 (parameters are bound)
    match = _fts5_query(terms)
    if not include_internal:
        match = "{search_public} : (" + match + ")"
    ids = RawSQL("SELECT rowid FROM servicedesk_ticket_fts WHERE servicedesk_ticket_fts MATCH %s", (match,))
    return queryset.filter(pk__in=ids)
