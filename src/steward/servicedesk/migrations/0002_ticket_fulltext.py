"""Full-text indexes over tickets (see steward.servicedesk.fulltext)."""

from django.db import migrations

from steward.servicedesk import fulltext


def forward(apps, schema_editor):
    for statement in fulltext.create(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in fulltext.drop(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
