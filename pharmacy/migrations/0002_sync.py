"""The read-model sync: source views, lock protocol, fan-out, refresh functions, write-table triggers (pharmacy/sql/)."""

from django.db import migrations

from hospital.migration_ops import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("pharmacy", "0001_initial"),
        ("hospital", "0001_initial"),
        ("prescriptions", "0001_initial"),
        ("outbox", "0002_sql"),
    ]

    operations = [run_sql_files("pharmacy", "sources", "locks", "fanout", "refresh", "triggers")]
