"""Cached plans for the sync functions and HOT-friendly read tables (pharmacy/sql/0004_faster_sync.sql)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "0004_faster_sync.sql").read_text()

REVERSE_SQL = """
ALTER TABLE vw_prescricoes_medicamentos_detalhadas RESET (fillfactor);
ALTER TABLE vw_prescricoes_documentos RESET (fillfactor);
"""  # the plpgsql functions stay: same semantics as 0002's


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0003_celery_mode_switch")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
