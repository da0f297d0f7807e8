# ruff: noqa: S608  (table names are constants of this module; nothing here takes input)
"""The full-text index over tickets, as SQL per database.

SQLite: an FTS5 table with external content (the ticket row's ``search_public`` and
``search_internal``), kept current by triggers. PostgreSQL: GIN indexes on the two columns'
``tsvector`` (the ``simple`` configuration: no stemming, any language). A bulk load can
suspend the index and build it once at the end (:func:`statements`).
"""

from __future__ import annotations

FTS_TABLE = "servicedesk_ticket_fts"

_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    " search_public, search_internal, content='servicedesk_ticket', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')"
)
_SQLITE_DELETE_OLD = (
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_public, search_internal)"
    " VALUES ('delete', old.id, old.search_public, old.search_internal);"
)
_SQLITE_INSERT_NEW = (
    f"INSERT INTO {FTS_TABLE}(rowid, search_public, search_internal)"
    " VALUES (new.id, new.search_public, new.search_internal);"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON servicedesk_ticket BEGIN {_SQLITE_INSERT_NEW} END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON servicedesk_ticket BEGIN {_SQLITE_DELETE_OLD} END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF search_public, search_internal ON servicedesk_ticket"
    " WHEN old.search_public IS NOT new.search_public OR old.search_internal IS NOT new.search_internal"
    f" BEGIN {_SQLITE_DELETE_OLD} {_SQLITE_INSERT_NEW} END",
]
SQLITE_DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{name}" for name in ("update", "delete", "insert")
]
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"

POSTGRES_INDEXES = [
    "CREATE INDEX IF NOT EXISTS servicedesk_ticket_public_tsv ON servicedesk_ticket"
    " USING gin (to_tsvector('simple'::regconfig, search_public))",
    "CREATE INDEX IF NOT EXISTS servicedesk_ticket_internal_tsv ON servicedesk_ticket"
    " USING gin (to_tsvector('simple'::regconfig, search_internal))",
]
POSTGRES_DROP_INDEXES = [
    "DROP INDEX IF EXISTS servicedesk_ticket_internal_tsv",
    "DROP INDEX IF EXISTS servicedesk_ticket_public_tsv",
]


def create(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [_SQLITE_TABLE, *SQLITE_TRIGGERS]
    if vendor == "postgresql":
        return list(POSTGRES_INDEXES)
    return []


def drop(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [*SQLITE_DROP_TRIGGERS, f"DROP TABLE IF EXISTS {FTS_TABLE}"]
    if vendor == "postgresql":
        return list(POSTGRES_DROP_INDEXES)
    return []


def statements(vendor: str, *, build: bool) -> list[str]:
    """``build=False``: suspend index upkeep before a bulk load; ``build=True``: rebuild it."""
    if vendor == "sqlite":
        return [SQLITE_REBUILD, *SQLITE_TRIGGERS] if build else list(SQLITE_DROP_TRIGGERS)
    if vendor == "postgresql":
        return list(POSTGRES_INDEXES) if build else list(POSTGRES_DROP_INDEXES)
    return []
