-- The refresh functions: the only writers of the read tables.
--
--   pharmacy_refresh_prescricoes(ids)   both read models of those prescriptions
--   pharmacy_refresh_medicos(ids)       rows/documents showing those doctors
--   pharmacy_refresh_pacientes(ids)     ... patients
--   pharmacy_refresh_medicamentos(ids)  ... medications
--   pharmacy_clear()                    both read models emptied
--   pharmacy_recompute_busca(ids)       documents rewritten as they are
--
-- Set-based, idempotent, order-independent: each makes the read rows of its
-- scope equal to the source views (sources.sql), upserting only what differs
-- and deleting what must go. Called by the write-table triggers
-- (triggers.sql), by pharmacy.projection (Celery projector, rebuild --in-place,
-- repair).
--
-- Protection: the read tables carry a statement-level BEFORE trigger,
-- pharmacy_protect (below), that refuses any write unless the GUC
-- pharmacy.sync_writer is 'on'. These functions run with
-- `SET pharmacy.sync_writer = 'on'` (declared once, at the end of this file):
-- the allowance exists exactly while they run and is restored when they return.
--
-- Speed: the workhorses are plpgsql and every refresh plans generically once
-- per session (plan_cache_mode = force_generic_plan) instead of re-planning
-- the source join on every write. The generic plan is made for a handful of
-- prescriptions (a command's write) with index lookups priced as what they
-- are here, hits in memory (random_page_cost = 1.1): otherwise the planner
-- hashes the whole `medicamentos` table to join three items. The flat table
-- keeps free space per page (fillfactor) so a rename's UPDATE can be HOT (no
-- index writes). The documents stay packed (the default fillfactor): a rename rewrites their
-- indexed search columns, so it could not be HOT anyway, and a search reads fewer pages.

ALTER TABLE vw_prescricoes_medicamentos_detalhadas SET (fillfactor = 70);

-- No planner statistics for the typo-tolerant search text (search.sql): pg_trgm estimates `%>` by
-- running word_similarity over every sampled value, milliseconds of planning in every search with a
-- long word. The default estimate serves: the full-text condition drives the plans (the bench's name,
-- typo and faceted searches keep theirs, bench/scenarios/search.py).
ALTER TABLE vw_prescricoes_documentos ALTER COLUMN busca_texto SET STATISTICS 0;

-- The guard. Plain plpgsql with no exception block: it runs before every statement that writes a read
-- table, so it must cost next to nothing (no subtransaction).
CREATE FUNCTION pharmacy_protect_read_model() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(current_setting('pharmacy.sync_writer', true), '') <> 'on' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('%s is a read model: only the sync triggers, rebuild_read_model and '
                             'verify_read_model --repair write it.', TG_TABLE_NAME),
            HINT = 'Change the write model (prescriptions/hospital commands) instead; the triggers '
                   'propagate the change. For an emergency fix run manage.py verify_read_model --repair.';
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE is left out on purpose: it needs the table owner's privilege anyway, and Django's test runner
-- flushes every table with one TRUNCATE.
CREATE TRIGGER pharmacy_protect BEFORE INSERT OR UPDATE OR DELETE ON vw_prescricoes_medicamentos_detalhadas
    FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_protect_read_model();
CREATE TRIGGER pharmacy_protect BEFORE INSERT OR UPDATE OR DELETE ON vw_prescricoes_documentos
    FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_protect_read_model();

-- Rows of these prescriptions := source rows of these prescriptions. Called only by the refresh
-- functions below, under their settings.
CREATE FUNCTION pharmacy_sync_itens(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH src AS MATERIALIZED (
        SELECT * FROM pharmacy_fonte_itens s WHERE s.id_prescricao = ANY(ids)
    ), gone AS (
        DELETE FROM vw_prescricoes_medicamentos_detalhadas r
        WHERE r.id_prescricao = ANY(ids) AND NOT EXISTS (SELECT 1 FROM src WHERE src.id = r.id)
    )
    INSERT INTO vw_prescricoes_medicamentos_detalhadas AS r (
        id, id_prescricao, data_prescricao, id_medico, nome_medico, especialidade_medico, crm_medico,
        id_paciente, nome_paciente, data_nascimento_paciente, endereco_paciente,
        id_medicamento, nome_medicamento, descricao_medicamento, horario, dosagem)
    SELECT id, id_prescricao, data_prescricao, id_medico, nome_medico, especialidade_medico, crm_medico,
           id_paciente, nome_paciente, data_nascimento_paciente, endereco_paciente,
           id_medicamento, nome_medicamento, descricao_medicamento, horario, dosagem
    FROM src
    ON CONFLICT (id) DO UPDATE SET
        id_prescricao = EXCLUDED.id_prescricao, data_prescricao = EXCLUDED.data_prescricao,
        id_medico = EXCLUDED.id_medico, nome_medico = EXCLUDED.nome_medico,
        especialidade_medico = EXCLUDED.especialidade_medico, crm_medico = EXCLUDED.crm_medico,
        id_paciente = EXCLUDED.id_paciente, nome_paciente = EXCLUDED.nome_paciente,
        data_nascimento_paciente = EXCLUDED.data_nascimento_paciente,
        endereco_paciente = EXCLUDED.endereco_paciente, id_medicamento = EXCLUDED.id_medicamento,
        nome_medicamento = EXCLUDED.nome_medicamento, descricao_medicamento = EXCLUDED.descricao_medicamento,
        horario = EXCLUDED.horario, dosagem = EXCLUDED.dosagem
    WHERE (r.id_prescricao, r.data_prescricao, r.id_medico, r.nome_medico, r.especialidade_medico,
           r.crm_medico, r.id_paciente, r.nome_paciente, r.data_nascimento_paciente, r.endereco_paciente,
           r.id_medicamento, r.nome_medicamento, r.descricao_medicamento, r.horario, r.dosagem)
          IS DISTINCT FROM
          (EXCLUDED.id_prescricao, EXCLUDED.data_prescricao, EXCLUDED.id_medico, EXCLUDED.nome_medico,
           EXCLUDED.especialidade_medico, EXCLUDED.crm_medico, EXCLUDED.id_paciente, EXCLUDED.nome_paciente,
           EXCLUDED.data_nascimento_paciente, EXCLUDED.endereco_paciente, EXCLUDED.id_medicamento,
           EXCLUDED.nome_medicamento, EXCLUDED.descricao_medicamento, EXCLUDED.horario, EXCLUDED.dosagem);
END
$$;

-- Documents of these prescriptions := source documents of these prescriptions (called as the one above).
CREATE FUNCTION pharmacy_sync_documentos(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH src AS MATERIALIZED (
        SELECT * FROM pharmacy_fonte_documentos s WHERE s.id_prescricao = ANY(ids)
    ), gone AS (
        DELETE FROM vw_prescricoes_documentos d
        WHERE d.id_prescricao = ANY(ids) AND NOT EXISTS (SELECT 1 FROM src WHERE src.id_prescricao = d.id_prescricao)
    )
    INSERT INTO vw_prescricoes_documentos AS d (id_prescricao, id_medico, id_paciente, status, data_prescricao, documento)
    SELECT id_prescricao, id_medico, id_paciente, status, data_prescricao, documento FROM src
    ON CONFLICT (id_prescricao) DO UPDATE SET
        id_medico = EXCLUDED.id_medico, id_paciente = EXCLUDED.id_paciente, status = EXCLUDED.status,
        data_prescricao = EXCLUDED.data_prescricao, documento = EXCLUDED.documento
    WHERE (d.id_medico, d.id_paciente, d.status, d.data_prescricao, d.documento)
          IS DISTINCT FROM
          (EXCLUDED.id_medico, EXCLUDED.id_paciente, EXCLUDED.status, EXCLUDED.data_prescricao, EXCLUDED.documento);
END
$$;

-- Both read models of these prescriptions, under the lock protocol (locks.sql): the advisory
-- locks first, then FOR SHARE on the doctors, patients and medications shown, so a concurrent
-- rename either commits first (and is seen here: the next statement takes a fresh snapshot) or
-- waits for this transaction (and then rewrites what this one wrote).
CREATE FUNCTION pharmacy_refresh_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM pharmacy_lock_prescricoes(ids);
    PERFORM 1 FROM prescricoes p
        JOIN medicos m ON m.id = p.id_medico
        JOIN pacientes pa ON pa.id = p.id_paciente
        WHERE p.id = ANY(ids)
        ORDER BY p.id
        FOR SHARE OF m, pa;
    PERFORM 1 FROM medicamentos md
        WHERE md.id = ANY(ARRAY(SELECT pm.id_medicamento FROM prescricao_medicamentos pm WHERE pm.id_prescricao = ANY(ids)))
        ORDER BY md.id
        FOR SHARE;
    PERFORM pharmacy_sync_itens(ids);
    PERFORM pharmacy_sync_documentos(ids);
END
$$;

-- Every row and document showing these doctors, rewritten from `medicos`.
CREATE FUNCTION pharmacy_refresh_medicos(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE vw_prescricoes_medicamentos_detalhadas r
    SET nome_medico = m.nome, especialidade_medico = m.especialidade, crm_medico = m.crm
    FROM medicos m
    WHERE m.id = ANY(ids) AND r.id_medico = m.id
      AND (r.nome_medico, r.especialidade_medico, r.crm_medico) IS DISTINCT FROM (m.nome, m.especialidade, m.crm);
    UPDATE vw_prescricoes_documentos d
    SET documento = jsonb_set(d.documento, '{medico}', pharmacy_json_medico(m))
    FROM medicos m
    WHERE m.id = ANY(ids) AND d.id_medico = m.id
      AND d.documento -> 'medico' IS DISTINCT FROM pharmacy_json_medico(m);
END
$$;

-- Every row and document showing these patients, rewritten from `pacientes`.
CREATE FUNCTION pharmacy_refresh_pacientes(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE vw_prescricoes_medicamentos_detalhadas r
    SET nome_paciente = pa.nome, data_nascimento_paciente = pa.data_nascimento, endereco_paciente = pa.endereco
    FROM pacientes pa
    WHERE pa.id = ANY(ids) AND r.id_paciente = pa.id
      AND (r.nome_paciente, r.data_nascimento_paciente, r.endereco_paciente)
          IS DISTINCT FROM (pa.nome, pa.data_nascimento, pa.endereco);
    UPDATE vw_prescricoes_documentos d
    SET documento = jsonb_set(d.documento, '{paciente}', pharmacy_json_paciente(pa))
    FROM pacientes pa
    WHERE pa.id = ANY(ids) AND d.id_paciente = pa.id
      AND d.documento -> 'paciente' IS DISTINCT FROM pharmacy_json_paciente(pa);
END
$$;

-- Every row showing these medications rewritten in place; the documents listing them recomputed
-- (a medication sits inside the documents' item list).
CREATE FUNCTION pharmacy_refresh_medicamentos(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE vw_prescricoes_medicamentos_detalhadas r
    SET nome_medicamento = md.nome, descricao_medicamento = md.descricao
    FROM medicamentos md
    WHERE md.id = ANY(ids) AND r.id_medicamento = md.id
      AND (r.nome_medicamento, r.descricao_medicamento) IS DISTINCT FROM (md.nome, md.descricao);
    PERFORM pharmacy_sync_documentos(ARRAY(
        SELECT DISTINCT f.id_prescricao FROM pharmacy_prescricoes_afetadas('Medicamento', ids) AS f));
END
$$;

-- Both read models emptied (a write table was truncated). DELETE, not TRUNCATE:
-- the truncating statement may be truncating the read tables too (Django's flush).
CREATE FUNCTION pharmacy_clear() RETURNS void
LANGUAGE sql SET pharmacy.sync_writer = 'on' AS $$
    DELETE FROM vw_prescricoes_medicamentos_detalhadas;
    DELETE FROM vw_prescricoes_documentos;
$$;

-- Rewrite these documents as they are, so their generated search columns (search.sql) are
-- recomputed with the current functions (verify_read_model --repair).
CREATE FUNCTION pharmacy_recompute_busca(ids bigint[]) RETURNS void
LANGUAGE sql SET pharmacy.sync_writer = 'on' AS $$
    UPDATE vw_prescricoes_documentos SET documento = documento WHERE id_prescricao = ANY(ids)
$$;

-- What every refresh runs under, declared once (the reasons are at the top of this file): the
-- writer's allowance and generic plans made for a handful of prescriptions. The two pharmacy_sync_*
-- helpers inherit them from their caller.
DO $$
DECLARE
    refresh regprocedure;
BEGIN
    FOREACH refresh IN ARRAY ARRAY[
        'pharmacy_refresh_prescricoes(bigint[])', 'pharmacy_refresh_medicos(bigint[])',
        'pharmacy_refresh_pacientes(bigint[])', 'pharmacy_refresh_medicamentos(bigint[])'
    ]::regprocedure[] LOOP
        EXECUTE format('ALTER FUNCTION %s SET pharmacy.sync_writer = on SET plan_cache_mode = force_generic_plan '
                       'SET random_page_cost = 1.1', refresh);
    END LOOP;
END
$$;
