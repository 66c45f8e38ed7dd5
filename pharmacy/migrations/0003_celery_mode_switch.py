"""The celery-mode switch of the pharmacy triggers (pharmacy/sql/0002_sync.sql, layer 4).

`pharmacy_sync_enabled()` now follows the database's sync mode
(`read_model_sync_mode()`, outbox app): true in trigger mode, false in celery
mode, where the write-table triggers stand down and the Celery projector
(`pharmacy.projector`) maintains the read models from the outbox instead.
Switch with `manage.py switch_sync_mode`, never by editing the row by hand.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION pharmacy_sync_enabled() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT read_model_sync_mode() = 'trigger' $$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION pharmacy_sync_enabled() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT true $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pharmacy", "0002_sync"),
        ("outbox", "0003_positions_capture_notify"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
