"""Search over the documents: extensions, generated search columns and their indexes (pharmacy/sql/0007_search.sql)."""

from pathlib import Path

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

SQL = (Path(__file__).resolve().parent.parent / "sql" / "0007_search.sql").read_text()

# Documents written before this migration lack the medications' descriptions.
REFRESH_DOCUMENTS = "SELECT pharmacy_sync_documentos(ARRAY(SELECT id_prescricao FROM vw_prescricoes_documentos))"

REVERSE_SQL = """
DROP FUNCTION pharmacy_recompute_busca(bigint[]);
CREATE OR REPLACE VIEW pharmacy_fonte_documentos AS
SELECT p.id AS id_prescricao, p.id_medico, p.id_paciente, p.status, p.data_prescricao,
       jsonb_build_object(
           'id_prescricao', p.id,
           'data_prescricao', pharmacy_iso_utc(p.data_prescricao),
           'status', p.status,
           'medico', pharmacy_json_medico(m),
           'paciente', pharmacy_json_paciente(pa),
           'medicamentos', i.medicamentos
       ) AS documento
FROM prescricoes p
JOIN medicos m ON m.id = p.id_medico
JOIN pacientes pa ON pa.id = p.id_paciente
CROSS JOIN LATERAL (
    SELECT jsonb_agg(
               jsonb_build_object('id_medicamento', md.id, 'nome', md.nome,
                                  'horario', to_char(pm.horario, 'HH24:MI'), 'dosagem', pm.dosagem)
               ORDER BY pm.horario, pm.id) AS medicamentos
    FROM prescricao_medicamentos pm
    JOIN medicamentos md ON md.id = pm.id_medicamento
    WHERE pm.id_prescricao = p.id
) i
WHERE i.medicamentos IS NOT NULL;
DROP FUNCTION pharmacy_documento_texto(jsonb);
DROP FUNCTION pharmacy_documento_vetor(jsonb);
DROP FUNCTION pharmacy_documento_registro(jsonb);
DROP FUNCTION pharmacy_documento_nomes(jsonb);
DROP FUNCTION pharmacy_unaccent(text);
DROP TEXT SEARCH CONFIGURATION pharmacy_pt;
"""


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0006_serialize_refresh")]

    operations = [
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
