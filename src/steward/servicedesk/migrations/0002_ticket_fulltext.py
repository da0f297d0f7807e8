"""Full-text indexes over tickets: SQLite FTS5 (external content, kept by triggers) or PostgreSQL GIN."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE servicedesk_ticket_fts USING fts5("
    " search_public, search_internal, content='servicedesk_ticket', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER servicedesk_ticket_fts_insert AFTER INSERT ON servicedesk_ticket BEGIN"
    " INSERT INTO servicedesk_ticket_fts(rowid, search_public, search_internal)"
    " VALUES (new.id, new.search_public, new.search_internal); END",
    "CREATE TRIGGER servicedesk_ticket_fts_delete AFTER DELETE ON servicedesk_ticket BEGIN"
    " INSERT INTO servicedesk_ticket_fts(servicedesk_ticket_fts, rowid, search_public, search_internal)"
    " VALUES ('delete', old.id, old.search_public, old.search_internal); END",
    "CREATE TRIGGER servicedesk_ticket_fts_update AFTER UPDATE OF search_public, search_internal"
    " ON servicedesk_ticket"
    " WHEN old.search_public IS NOT new.search_public OR old.search_internal IS NOT new.search_internal"
    " BEGIN"
    " INSERT INTO servicedesk_ticket_fts(servicedesk_ticket_fts, rowid, search_public, search_internal)"
    " VALUES ('delete', old.id, old.search_public, old.search_internal);"
    " INSERT INTO servicedesk_ticket_fts(rowid, search_public, search_internal)"
    " VALUES (new.id, new.search_public, new.search_internal); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS servicedesk_ticket_fts_update",
    "DROP TRIGGER IF EXISTS servicedesk_ticket_fts_delete",
    "DROP TRIGGER IF EXISTS servicedesk_ticket_fts_insert",
    "DROP TABLE IF EXISTS servicedesk_ticket_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX servicedesk_ticket_public_tsv ON servicedesk_ticket"
    " USING gin (to_tsvector('simple'::regconfig, search_public))",
    "CREATE INDEX servicedesk_ticket_internal_tsv ON servicedesk_ticket"
    " USING gin (to_tsvector('simple'::regconfig, search_internal))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS servicedesk_ticket_internal_tsv",
    "DROP INDEX IF EXISTS servicedesk_ticket_public_tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
