"""Retire the hand-written outbox triggers: django-pgtrigger's now do the same work.

`outbox.capture_triggers` (one deferred row trigger per write model, installed
by `hospital` 0003 and `prescriptions` 0002) and `OutboxEvent.Meta.triggers`
(born projected, NOTIFY; outbox 0005) replace the triggers of 0003, and run
before this migration: old and new overlap for a moment, harmlessly (the
capture skips an aggregate that already has an event in the transaction,
born-projected only fills a NULL, NOTIFYs fold per transaction). This drops
the old triggers and their functions; `read_model_sync_mode()` and the `xid`
column stay. Reversing recreates them as 0003 had them.
"""

import importlib

from django.db import migrations

positions = importlib.import_module("outbox.migrations.0003_positions_capture_notify")

CAPTURED_TABLES = [table for table, _, _ in positions.CAPTURED]

FORWARD = (
    "\n".join(f"DROP TRIGGER IF EXISTS outbox_capture_change ON {table};" for table in CAPTURED_TABLES)
    + """
DROP TRIGGER IF EXISTS outbox_notify ON outbox_events;
DROP TRIGGER IF EXISTS outbox_born_projected ON outbox_events;
DROP FUNCTION IF EXISTS outbox_notify(), outbox_born_projected(), outbox_capture_change();
"""
)


def _backward() -> str:
    forward = positions.FORWARD
    functions = forward[forward.index("CREATE OR REPLACE FUNCTION outbox_born_projected()") :]
    return functions + positions._capture_sql()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0005_pgtrigger_outbox_events"),
        ("hospital", "0003_pgtrigger_sync_capture"),
        ("prescriptions", "0002_pgtrigger_sync_capture"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=_backward())]
