"""The outbox's database side beyond the models: `outbox.queries.SCHEMA_SQL` and the sync-mode function."""

from pathlib import Path

from django.db import migrations

from outbox.queries import SCHEMA_SQL

SYNC_MODE_SQL = (Path(__file__).resolve().parent.parent / "sql" / "sync_mode.sql").read_text()


class Migration(migrations.Migration):
    """Irreversible: part of the outbox's initial history, only ever undone by dropping the database."""

    dependencies = [("outbox", "0001_initial")]

    operations = [migrations.RunSQL(SCHEMA_SQL), migrations.RunSQL(SYNC_MODE_SQL)]
