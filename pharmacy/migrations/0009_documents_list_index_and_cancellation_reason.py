"""Cancelled prescriptions' documents carry `motivo_cancelamento` (pharmacy/sql/0009_cancellation_reason.sql); an index for their list.

Existing documents of cancelled prescriptions are recomputed here, so `verify_read_model` finds them
equal to the new source view right after the upgrade.
"""

from pathlib import Path

from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SQL = (SQL_DIR / "0009_cancellation_reason.sql").read_text()
RECOMPUTE = "SELECT pharmacy_sync_documentos(ARRAY(SELECT id FROM prescricoes WHERE status = 'cancelada'));"


def _view_of_0008() -> str:
    """0008's definition of the source view (the reverse of this migration)."""
    text = (SQL_DIR / "0008_search.sql").read_text()
    start = text.index("CREATE OR REPLACE VIEW pharmacy_fonte_documentos")
    return text[start : text.index("WHERE i.medicamentos IS NOT NULL;", start)] + "WHERE i.medicamentos IS NOT NULL;"


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0008_search")]

    operations = [
        migrations.AddIndex(
            model_name="prescricaodocumento",
            index=models.Index(fields=["-data_prescricao", "-id_prescricao"], name="vw_docs_cursor"),
        ),
        migrations.RunSQL(SQL + RECOMPUTE, reverse_sql=_view_of_0008() + RECOMPUTE),
    ]
