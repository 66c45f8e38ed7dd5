"""What the documents' generated search columns are computed with (pharmacy/sql/search.sql).

Runs before the tables: a generated column's expression must exist when the column is created.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

from hospital.migration_ops import run_sql_files


class Migration(migrations.Migration):
    dependencies = []

    operations = [UnaccentExtension(), TrigramExtension(), run_sql_files("pharmacy", "search")]
