"""Search over the documents: extensions, generated search columns and their indexes (pharmacy/sql/0008_search.sql)."""

import re
from pathlib import Path

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SQL = (SQL_DIR / "0008_search.sql").read_text()

# Documents written before this migration lack the medications' descriptions.
REFRESH_DOCUMENTS = "SELECT pharmacy_sync_documentos(ARRAY(SELECT id_prescricao FROM vw_prescricoes_documentos))"

# Back to the document without descriptions: the view as 0002 defined it (no migration since changed it).
PREVIOUS_VIEW = re.search(
    r"CREATE OR REPLACE VIEW pharmacy_fonte_documentos AS.*?;\n", (SQL_DIR / "0002_sync.sql").read_text(), re.S
).group(0)

REVERSE_SQL = f"""
DROP FUNCTION pharmacy_recompute_busca(bigint[]);
{PREVIOUS_VIEW}
DROP FUNCTION pharmacy_documento_texto(jsonb);
DROP FUNCTION pharmacy_documento_vetor(jsonb);
DROP FUNCTION pharmacy_documento_registro(jsonb);
DROP FUNCTION pharmacy_documento_nomes(jsonb);
DROP FUNCTION pharmacy_unaccent(text);
DROP TEXT SEARCH CONFIGURATION pharmacy_pt;
"""


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0007_one_lock_protocol")]

    operations = [
        # Reversed last, once the old view is back: documents without descriptions again.
        migrations.RunSQL(migrations.RunSQL.noop, reverse_sql=REFRESH_DOCUMENTS),
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL),
        migrations.AddField(
            model_name="prescricaodocumento",
            name="busca",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("documento"),
                    function="pharmacy_documento_vetor",
                    output_field=django.contrib.postgres.search.SearchVectorField(),
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
                verbose_name="vetor de busca",
            ),
        ),
        migrations.AddField(
            model_name="prescricaodocumento",
            name="busca_texto",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("documento"), function="pharmacy_documento_texto", output_field=models.TextField()
                ),
                output_field=models.TextField(),
                verbose_name="texto de busca (sem acentos)",
            ),
        ),
        migrations.AddIndex(
            model_name="prescricaodocumento",
            index=django.contrib.postgres.indexes.GinIndex(fields=["busca"], name="vw_docs_busca"),
        ),
        migrations.AddIndex(
            model_name="prescricaodocumento",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(models.F("busca_texto"), name="gin_trgm_ops"),
                name="vw_docs_busca_trgm",
            ),
        ),
        migrations.RunSQL(REFRESH_DOCUMENTS, reverse_sql=migrations.RunSQL.noop),
    ]
