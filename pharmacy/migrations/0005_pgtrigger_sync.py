"""Retire the hand-written sync triggers: django-pgtrigger's now do the same work.

The sync triggers are `pharmacy.sync_triggers` (pgtrigger objects with the
same bodies), installed on the write tables by `hospital` 0003 and
`prescriptions` 0002, which run before this migration: the old and the new
triggers overlap for a moment (both refresh idempotently), so no write is
ever left unsynced. This drops the `pharmacy_sync_<table>_<op>` triggers of
pharmacy/sql/0002_sync.sql and their `pharmacy_trg_<table>()` functions; the
non-trigger functions (source views, refresh functions, pharmacy_clear(),
pharmacy_sync_enabled()) stay where they are.

Reversing recreates the old triggers and functions from the released SQL
files (their latest definitions: 0002's, with 0004's pharmacy_trg_prescricoes).
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

OLD_TRIGGERS = {
    "prescricao_medicamentos": ["ins", "upd", "del", "trunc"],
    "prescricoes": ["ins", "upd", "del", "trunc"],
    "medicos": ["ins", "upd"],
    "pacientes": ["ins", "upd"],
    "medicamentos": ["ins", "upd"],
}
SHORT = {"prescricao_medicamentos": "itens"}

FORWARD = (
    "\n".join(
        f"DROP TRIGGER IF EXISTS pharmacy_sync_{SHORT.get(table, table)}_{op} ON {table};"
        for table, ops in OLD_TRIGGERS.items()
        for op in ops
    )
    + """
DROP FUNCTION IF EXISTS pharmacy_trg_itens(), pharmacy_trg_prescricoes(), pharmacy_trg_medicos(),
    pharmacy_trg_pacientes(), pharmacy_trg_medicamentos();
"""
)


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def _backward() -> str:
    sync = (SQL_DIR / "0002_sync.sql").read_text()
    faster = (SQL_DIR / "0004_faster_sync.sql").read_text()
    return _between(sync, "-- 3. Trigger functions on the write tables", "-- Backfill") + _between(
        faster, "CREATE OR REPLACE FUNCTION pharmacy_trg_prescricoes()", "ALTER FUNCTION pharmacy_sync_itens"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pharmacy", "0004_faster_sync"),
        ("hospital", "0003_pgtrigger_sync_capture"),
        ("prescriptions", "0002_pgtrigger_sync_capture"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=_backward())]
