-- The source join every read-model row and document is computed from.
--
-- pharmacy_fonte_itens and pharmacy_fonte_documentos are the read models as
-- they must be: whatever writes a read table (the refresh functions, the
-- build-and-swap rebuild) or checks one (verify_read_model) selects from
-- these views, so a change of what the pharmacy shows is made here, once.
--
-- The JSON/format helpers are STABLE like the builtins they call
-- (jsonb_build_object, to_char), so the planner inlines them into the views
-- instead of running (and planning) a SQL function per row.

-- The API's datetime format (DRF's): UTC, 'Z', microseconds only when present.
CREATE FUNCTION pharmacy_iso_utc(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN date_part('microseconds', ts AT TIME ZONE 'UTC')::bigint % 1000000 = 0
            THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    END
$$;

CREATE FUNCTION pharmacy_json_medico(m medicos) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('id_medico', m.id, 'nome', m.nome, 'especialidade', m.especialidade, 'crm', m.crm)
$$;

CREATE FUNCTION pharmacy_json_paciente(pa pacientes) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id_paciente', pa.id, 'nome', pa.nome,
        'data_nascimento', to_char(pa.data_nascimento, 'YYYY-MM-DD'), 'endereco', pa.endereco)
$$;

-- One row per item of an ACTIVE prescription: the worklist.
CREATE VIEW pharmacy_fonte_itens AS
SELECT pm.id, pm.id_prescricao, p.data_prescricao,
       p.id_medico, m.nome AS nome_medico, m.especialidade AS especialidade_medico, m.crm AS crm_medico,
       p.id_paciente, pa.nome AS nome_paciente, pa.data_nascimento AS data_nascimento_paciente,
       pa.endereco AS endereco_paciente,
       pm.id_medicamento, md.nome AS nome_medicamento, md.descricao AS descricao_medicamento,
       pm.horario, pm.dosagem
FROM prescricao_medicamentos pm
JOIN prescricoes p ON p.id = pm.id_prescricao
JOIN medicos m ON m.id = p.id_medico
JOIN pacientes pa ON pa.id = p.id_paciente
JOIN medicamentos md ON md.id = pm.id_medicamento
WHERE p.status = 'ativa';

-- One document per prescription with at least one item, active or cancelled. Each medication
-- carries its description (searched with weight C); a cancelled prescription's document carries
-- why (`motivo_cancelamento`; the key is absent while the prescription is active).
CREATE VIEW pharmacy_fonte_documentos AS
SELECT p.id AS id_prescricao, p.id_medico, p.id_paciente, p.status, p.data_prescricao,
       jsonb_build_object(
           'id_prescricao', p.id,
           'data_prescricao', pharmacy_iso_utc(p.data_prescricao),
           'status', p.status,
           'medico', pharmacy_json_medico(m),
           'paciente', pharmacy_json_paciente(pa),
           'medicamentos', i.medicamentos
       ) || CASE WHEN p.status = 'cancelada'
                 THEN jsonb_build_object('motivo_cancelamento', p.motivo_cancelamento)
                 ELSE '{}'::jsonb END AS documento
FROM prescricoes p
JOIN medicos m ON m.id = p.id_medico
JOIN pacientes pa ON pa.id = p.id_paciente
CROSS JOIN LATERAL (
    SELECT jsonb_agg(
               jsonb_build_object('id_medicamento', md.id, 'nome', md.nome, 'descricao', md.descricao,
                                  'horario', to_char(pm.horario, 'HH24:MI'), 'dosagem', pm.dosagem)
               ORDER BY pm.horario, pm.id) AS medicamentos
    FROM prescricao_medicamentos pm
    JOIN medicamentos md ON md.id = pm.id_medicamento
    WHERE pm.id_prescricao = p.id
) i
WHERE i.medicamentos IS NOT NULL;
