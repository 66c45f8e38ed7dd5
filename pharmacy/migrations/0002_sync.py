"""Install the read-model sync: source views, refresh functions, write-table triggers.

The SQL lives in pharmacy/sql/0002_sync.sql (one place, commented there);
this file only runs it. Reversing drops every object the SQL created.
"""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "0002_sync.sql").read_text()

TRIGGERS = {
    "prescricao_medicamentos": ["ins", "upd", "del", "trunc"],
    "prescricoes": ["ins", "upd", "del", "trunc"],
    "medicos": ["ins", "upd"],
    "pacientes": ["ins", "upd"],
    "medicamentos": ["ins", "upd"],
}
SHORT = {"prescricao_medicamentos": "itens"}

REVERSE_SQL = (
    "\n".join(
        f"DROP TRIGGER IF EXISTS pharmacy_sync_{SHORT.get(table, table)}_{op} ON {table};"
        for table, ops in TRIGGERS.items()
        for op in ops
    )
    + """
DROP FUNCTION IF EXISTS pharmacy_trg_itens(), pharmacy_trg_prescricoes(), pharmacy_trg_medicos(),
    pharmacy_trg_pacientes(), pharmacy_trg_medicamentos(), pharmacy_sync_enabled(), pharmacy_clear(),
    pharmacy_refresh_medicamentos(bigint[]), pharmacy_refresh_pacientes(bigint[]),
    pharmacy_refresh_medicos(bigint[]), pharmacy_refresh_prescricoes(bigint[]),
    pharmacy_sync_documentos(bigint[]), pharmacy_sync_itens(bigint[]);
DROP VIEW IF EXISTS pharmacy_fonte_documentos, pharmacy_fonte_itens;
DROP FUNCTION IF EXISTS pharmacy_json_paciente(pacientes), pharmacy_json_medico(medicos), pharmacy_iso_utc(timestamptz);
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("pharmacy", "0001_initial"),
        ("hospital", "0001_initial"),
        ("prescriptions", "0001_initial"),
    ]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
