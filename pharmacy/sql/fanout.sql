-- Which prescriptions a change touches: the one definition of the fan-out.
--
-- A change is named as the outbox names it, by aggregate type and ids: a
-- `Prescricao` (the prescription itself, or one of its items) touches that
-- prescription; a `Medico`, `Paciente` or `Medicamento` touches every
-- prescription that shows it. The write-table triggers, the Celery projector
-- and the build-and-swap rebuild's catch-up all ask this function; an unknown
-- type touches nothing (the projector refuses unknown types before asking).
--
-- One SELECT of plain SQL, STABLE and not STRICT: PostgreSQL inlines it into
-- the calling query, and with a constant type the other branches are pruned,
-- so calling it costs no more than writing the branch's query in place.

CREATE FUNCTION pharmacy_prescricoes_afetadas(tipo text, ids bigint[])
RETURNS TABLE (id_agregado bigint, id_prescricao bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.id, a.id FROM unnest(ids) AS a(id) WHERE tipo = 'Prescricao'
    UNION ALL
    SELECT p.id_medico, p.id FROM prescricoes p WHERE tipo = 'Medico' AND p.id_medico = ANY(ids)
    UNION ALL
    SELECT p.id_paciente, p.id FROM prescricoes p WHERE tipo = 'Paciente' AND p.id_paciente = ANY(ids)
    UNION ALL
    SELECT pm.id_medicamento, pm.id_prescricao FROM prescricao_medicamentos pm
    WHERE tipo = 'Medicamento' AND pm.id_medicamento = ANY(ids)
$$;
