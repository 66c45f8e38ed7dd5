"""What the documents' generated search columns and search index are computed with (pharmacy/sql/search.sql).

Runs before the tables: a generated column's expression must exist when the column is created, and
the search index (full text and specialty in one GIN index) needs btree_gin.
"""

from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension, UnaccentExtension
from django.db import migrations

from hospital.migration_ops import run_sql_files


class Migration(migrations.Migration):
    dependencies = []

    operations = [UnaccentExtension(), TrigramExtension(), BtreeGinExtension(), run_sql_files("pharmacy", "search")]
