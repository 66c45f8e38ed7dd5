"""Serialize refreshes of one prescription with an advisory lock (pharmacy/sql/0006_serialize_refresh.sql)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "0006_serialize_refresh.sql").read_text()

# 0002's definition (FOR SHARE on the prescription rows too), with 0004's cached plans.
REVERSE_SQL = """
CREATE OR REPLACE FUNCTION pharmacy_refresh_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM prescricoes p
        JOIN medicos m ON m.id = p.id_medico
        JOIN pacientes pa ON pa.id = p.id_paciente
        WHERE p.id = ANY(ids)
        ORDER BY p.id
        FOR SHARE;
    PERFORM 1 FROM medicamentos md
        WHERE md.id IN (SELECT pm.id_medicamento FROM prescricao_medicamentos pm WHERE pm.id_prescricao = ANY(ids))
        ORDER BY md.id
        FOR SHARE;
    PERFORM pharmacy_sync_itens(ids);
    PERFORM pharmacy_sync_documentos(ids);
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0005_pgtrigger_sync")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
