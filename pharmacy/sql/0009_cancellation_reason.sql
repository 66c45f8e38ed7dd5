-- A cancelled prescription's document carries why: `motivo_cancelamento` (the
-- key is absent while the prescription is active). Same view as 0008_search.sql otherwise;
-- every writer and checker of the documents (refresh functions, rebuild, verify)
-- selects from it, so they all follow.

CREATE OR REPLACE VIEW pharmacy_fonte_documentos AS
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
