-- Read-model sync for the pharmacy: ONE place for all of it.
--
-- Installed by pharmacy/migrations/0002_sync.py (this file is versioned by its
-- name: never edit it once released; change the SQL in a new NNNN_*.sql file
-- loaded by a new migration).
--
-- Layers, bottom up:
--   1. source views    pharmacy_fonte_itens / pharmacy_fonte_documentos: the
--                      source join over the write model. Everything that writes
--                      or checks a read model selects from these.
--   2. refresh funcs   pharmacy_refresh_prescricoes(ids)  both read models of
--                                                         those prescriptions
--                      pharmacy_refresh_medicos(ids)      rows/docs showing them
--                      pharmacy_refresh_pacientes(ids)
--                      pharmacy_refresh_medicamentos(ids)
--                      Set-based, idempotent, order-independent: each makes the
--                      read rows of its scope equal to the source views
--                      (upsert only what differs, delete what must go). Called
--                      by the triggers, by pharmacy.projection (Celery
--                      projector, rebuild, repair).
--   3. trigger funcs   pharmacy_trg_<table>() on the write tables, statement
--                      level with transition tables: collect the affected ids
--                      once per statement and call layer 2.
--   4. switch          pharmacy_sync_enabled(): every trigger function asks it
--                      first; true = trigger mode. The Celery mode switch goes
--                      here (and only here).
--
-- Protection: the read tables carry a statement-level BEFORE trigger
-- (pharmacy.models.protect_read_model, django-pgtrigger) that refuses any write
-- unless the GUC pharmacy.sync_writer is 'on'. The refresh functions carry
-- `SET pharmacy.sync_writer = 'on'` in their definition: the allowance exists
-- exactly while they run and is restored when they return.

-- 1. Source views ----------------------------------------------------------

CREATE OR REPLACE FUNCTION pharmacy_iso_utc(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The API's datetime format (DRF's): UTC, 'Z', microseconds only when present.
    SELECT CASE
        WHEN date_part('microseconds', ts AT TIME ZONE 'UTC')::bigint % 1000000 = 0
            THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    END
$$;

CREATE OR REPLACE FUNCTION pharmacy_json_medico(m medicos) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('id_medico', m.id, 'nome', m.nome, 'especialidade', m.especialidade, 'crm', m.crm)
$$;

CREATE OR REPLACE FUNCTION pharmacy_json_paciente(pa pacientes) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id_paciente', pa.id, 'nome', pa.nome,
        'data_nascimento', to_char(pa.data_nascimento, 'YYYY-MM-DD'), 'endereco', pa.endereco)
$$;

-- One row per item of an ACTIVE prescription: the worklist.
CREATE OR REPLACE VIEW pharmacy_fonte_itens AS
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

-- One document per prescription with at least one item, active or cancelled.
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

-- 2. Refresh functions (the only writers of the read tables) ----------------

-- Rows of these prescriptions := source rows of these prescriptions.
CREATE OR REPLACE FUNCTION pharmacy_sync_itens(ids bigint[]) RETURNS void
LANGUAGE sql SET pharmacy.sync_writer = 'on' AS $$
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
           EXCLUDED.nome_medicamento, EXCLUDED.descricao_medicamento, EXCLUDED.horario, EXCLUDED.dosagem)
$$;

-- Documents of these prescriptions := source documents of these prescriptions.
CREATE OR REPLACE FUNCTION pharmacy_sync_documentos(ids bigint[]) RETURNS void
LANGUAGE sql SET pharmacy.sync_writer = 'on' AS $$
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
          (EXCLUDED.id_medico, EXCLUDED.id_paciente, EXCLUDED.status, EXCLUDED.data_prescricao, EXCLUDED.documento)
$$;

-- Both read models of these prescriptions. Locks (FOR SHARE) the prescriptions
-- and the doctors, patients and medications they show before reading them, so
-- a concurrent rename either commits first (and is seen here: the next
-- statement takes a fresh snapshot) or waits for this transaction (and then
-- rewrites what this one wrote).
CREATE OR REPLACE FUNCTION pharmacy_refresh_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' AS $$
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

-- Every row and document showing these doctors, rewritten from `medicos`.
CREATE OR REPLACE FUNCTION pharmacy_refresh_medicos(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
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

CREATE OR REPLACE FUNCTION pharmacy_refresh_pacientes(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
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

CREATE OR REPLACE FUNCTION pharmacy_refresh_medicamentos(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE vw_prescricoes_medicamentos_detalhadas r
    SET nome_medicamento = md.nome, descricao_medicamento = md.descricao
    FROM medicamentos md
    WHERE md.id = ANY(ids) AND r.id_medicamento = md.id
      AND (r.nome_medicamento, r.descricao_medicamento) IS DISTINCT FROM (md.nome, md.descricao);
    -- A medication sits inside the documents' item list: recompute those documents.
    PERFORM pharmacy_sync_documentos(ARRAY(
        SELECT DISTINCT pm.id_prescricao FROM prescricao_medicamentos pm WHERE pm.id_medicamento = ANY(ids)));
END
$$;

-- Both read models emptied (a write table was truncated). DELETE, not TRUNCATE:
-- the truncating statement may be truncating the read tables too (Django's flush).
CREATE OR REPLACE FUNCTION pharmacy_clear() RETURNS void
LANGUAGE sql SET pharmacy.sync_writer = 'on' AS $$
    DELETE FROM vw_prescricoes_medicamentos_detalhadas;
    DELETE FROM vw_prescricoes_documentos;
$$;

-- 4. The switch ---------------------------------------------------------------

-- True: the write-table triggers maintain the read models (READ_MODEL_SYNC=trigger).
CREATE OR REPLACE FUNCTION pharmacy_sync_enabled() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT true $$;

-- 3. Trigger functions on the write tables -------------------------------------
-- Statement level: one call per statement however many rows it touched.
-- Transition tables are named `novos` (NEW TABLE) and `antigos` (OLD TABLE).

CREATE OR REPLACE FUNCTION pharmacy_trg_itens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pharmacy_sync_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT DISTINCT id_prescricao FROM novos));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT n.id_prescricao FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.id_prescricao, o.id_medicamento, o.horario, o.dosagem)
                  IS DISTINCT FROM (n.id_prescricao, n.id_medicamento, n.horario, n.dosagem)
            UNION
            SELECT o.id_prescricao FROM antigos o
            LEFT JOIN novos n ON n.id = o.id
            WHERE n.id IS NULL OR o.id_prescricao IS DISTINCT FROM n.id_prescricao));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT DISTINCT id_prescricao FROM antigos));
    ELSE -- TRUNCATE
        PERFORM pharmacy_clear();
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION pharmacy_trg_prescricoes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pharmacy_sync_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT id FROM novos));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.id_medico, o.id_paciente, o.data_prescricao, o.status)
                  IS DISTINCT FROM (n.id_medico, n.id_paciente, n.data_prescricao, n.status)
            UNION
            SELECT o.id FROM antigos o WHERE NOT EXISTS (SELECT 1 FROM novos n WHERE n.id = o.id)));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT id FROM antigos));
    ELSE -- TRUNCATE
        PERFORM pharmacy_clear();
    END IF;
    RETURN NULL;
END
$$;

-- Master data: an INSERT can only matter when deferred foreign keys let
-- prescriptions reference the row before it existed; an UPDATE rewrites the
-- shown columns in place. (A DELETE of a referenced row fails its foreign key.)
CREATE OR REPLACE FUNCTION pharmacy_trg_medicos() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pharmacy_sync_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT p.id FROM prescricoes p WHERE p.id_medico IN (SELECT id FROM novos)));
    ELSE
        PERFORM pharmacy_refresh_medicos(ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.nome, o.especialidade, o.crm) IS DISTINCT FROM (n.nome, n.especialidade, n.crm)));
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION pharmacy_trg_pacientes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pharmacy_sync_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT p.id FROM prescricoes p WHERE p.id_paciente IN (SELECT id FROM novos)));
    ELSE
        PERFORM pharmacy_refresh_pacientes(ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.nome, o.data_nascimento, o.endereco) IS DISTINCT FROM (n.nome, n.data_nascimento, n.endereco)));
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION pharmacy_trg_medicamentos() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pharmacy_sync_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT DISTINCT pm.id_prescricao FROM prescricao_medicamentos pm
            WHERE pm.id_medicamento IN (SELECT id FROM novos)));
    ELSE
        PERFORM pharmacy_refresh_medicamentos(ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL OR (o.nome, o.descricao) IS DISTINCT FROM (n.nome, n.descricao)));
    END IF;
    RETURN NULL;
END
$$;

-- The triggers themselves. Names: pharmacy_sync_<table>_<op>.
CREATE TRIGGER pharmacy_sync_itens_ins AFTER INSERT ON prescricao_medicamentos
    REFERENCING NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_itens();
CREATE TRIGGER pharmacy_sync_itens_upd AFTER UPDATE ON prescricao_medicamentos
    REFERENCING OLD TABLE AS antigos NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_itens();
CREATE TRIGGER pharmacy_sync_itens_del AFTER DELETE ON prescricao_medicamentos
    REFERENCING OLD TABLE AS antigos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_itens();
CREATE TRIGGER pharmacy_sync_itens_trunc AFTER TRUNCATE ON prescricao_medicamentos
    FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_itens();

CREATE TRIGGER pharmacy_sync_prescricoes_ins AFTER INSERT ON prescricoes
    REFERENCING NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_prescricoes();
CREATE TRIGGER pharmacy_sync_prescricoes_upd AFTER UPDATE ON prescricoes
    REFERENCING OLD TABLE AS antigos NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_prescricoes();
CREATE TRIGGER pharmacy_sync_prescricoes_del AFTER DELETE ON prescricoes
    REFERENCING OLD TABLE AS antigos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_prescricoes();
CREATE TRIGGER pharmacy_sync_prescricoes_trunc AFTER TRUNCATE ON prescricoes
    FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_prescricoes();

CREATE TRIGGER pharmacy_sync_medicos_ins AFTER INSERT ON medicos
    REFERENCING NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_medicos();
CREATE TRIGGER pharmacy_sync_medicos_upd AFTER UPDATE ON medicos
    REFERENCING OLD TABLE AS antigos NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_medicos();

CREATE TRIGGER pharmacy_sync_pacientes_ins AFTER INSERT ON pacientes
    REFERENCING NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_pacientes();
CREATE TRIGGER pharmacy_sync_pacientes_upd AFTER UPDATE ON pacientes
    REFERENCING OLD TABLE AS antigos NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_pacientes();

CREATE TRIGGER pharmacy_sync_medicamentos_ins AFTER INSERT ON medicamentos
    REFERENCING NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_medicamentos();
CREATE TRIGGER pharmacy_sync_medicamentos_upd AFTER UPDATE ON medicamentos
    REFERENCING OLD TABLE AS antigos NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_trg_medicamentos();

-- Backfill whatever the write model already holds.
SELECT pharmacy_refresh_prescricoes(ARRAY(SELECT id FROM prescricoes));
