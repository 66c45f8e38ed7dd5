"""The outbox's database functions for appending events (`outbox.queries.APPEND_FUNCTIONS_SQL`).

The write tables' capture triggers call them, so that only the outbox names its table.
"""

from django.db import migrations

from outbox.queries import APPEND_FUNCTIONS_SQL, DROP_APPEND_FUNCTIONS_SQL


class Migration(migrations.Migration):
    dependencies = [("outbox", "0008_sync_state_broker")]

    operations = [migrations.RunSQL(APPEND_FUNCTIONS_SQL, reverse_sql=DROP_APPEND_FUNCTIONS_SQL)]
