"""The outbox's database side beyond the models: positions, the sync mode, queue vacuuming (outbox/sql/)."""

from django.db import migrations

from hospital.migration_ops import run_sql_files


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [run_sql_files("outbox", "positions", "sync_mode", "queue")]
