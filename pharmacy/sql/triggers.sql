-- The read-model sync triggers on the write tables (trigger mode).
--
-- What they enforce: after every statement that changes a write table, by any
-- path (commands, admin, bulk_create, queryset.update(), raw SQL), both read
-- models of the prescriptions it touched equal the source views again, inside
-- the writing transaction. A rolled-back write leaves no trace.
--
-- Statement level with transition tables (`novos` = NEW TABLE, `antigos` =
-- OLD TABLE): a bulk write costs one call however many rows it touched. One
-- function per aggregate (the prescription's two tables, the master data),
-- branching on the table and TG_OP; before refreshing anything it asks
-- read_model_sync_mode() (outbox/sql/sync_mode.sql): in celery mode the triggers
-- stand down and the Celery projector maintains the read models from the outbox,
-- except on TRUNCATE: a TRUNCATE writes no outbox event (the capture triggers
-- are row-level), so in celery mode nothing would ever tell the projector;
-- emptying the read models in the truncating transaction keeps them equal to
-- the source in both modes.
--
-- Plain SQL triggers named pharmacy_sync_<op>, installed by the pharmacy's own
-- migration: they belong to the read side, not to the write models' state, and
-- django-pgtrigger (which manages only `pgtrigger_*` triggers) leaves them alone.

-- The prescription aggregate's two tables: prescricoes (doctor, patient, date, status and
-- cancellation reason) and prescricao_medicamentos (its items). Whatever statement changed them,
-- the prescriptions whose shown columns changed are refreshed once.
CREATE FUNCTION pharmacy_trg_prescricoes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pharmacy_clear();
        RETURN NULL;
    ELSIF TG_TABLE_NAME = 'prescricoes' AND TG_OP = 'INSERT' THEN
        -- A new prescription shows up only once it has items (their trigger adds it);
        -- it can already have some only when deferred foreign keys let items come first.
        ids := ARRAY(SELECT n.id FROM novos n
                     WHERE EXISTS (SELECT 1 FROM prescricao_medicamentos pm WHERE pm.id_prescricao = n.id));
    ELSIF TG_TABLE_NAME = 'prescricoes' AND TG_OP = 'UPDATE' THEN
        ids := ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.id_medico, o.id_paciente, o.data_prescricao, o.status, o.motivo_cancelamento)
                  IS DISTINCT FROM (n.id_medico, n.id_paciente, n.data_prescricao, n.status, n.motivo_cancelamento)
            UNION
            SELECT o.id FROM antigos o WHERE NOT EXISTS (SELECT 1 FROM novos n WHERE n.id = o.id));
    ELSIF TG_TABLE_NAME = 'prescricoes' THEN -- DELETE
        ids := ARRAY(SELECT id FROM antigos);
    ELSIF TG_OP = 'INSERT' THEN -- items
        ids := ARRAY(SELECT DISTINCT id_prescricao FROM novos);
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY(
            SELECT n.id_prescricao FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.id_prescricao, o.id_medicamento, o.horario, o.dosagem)
                  IS DISTINCT FROM (n.id_prescricao, n.id_medicamento, n.horario, n.dosagem)
            UNION
            SELECT o.id_prescricao FROM antigos o
            LEFT JOIN novos n ON n.id = o.id
            WHERE n.id IS NULL OR o.id_prescricao IS DISTINCT FROM n.id_prescricao);
    ELSE -- DELETE of items
        ids := ARRAY(SELECT DISTINCT id_prescricao FROM antigos);
    END IF;
    -- The mode is asked only when there is something to refresh: a new prescription's own INSERT
    -- (no items yet) costs no lookup.
    IF cardinality(ids) > 0 AND read_model_sync_mode() = 'trigger' THEN
        PERFORM pharmacy_refresh_prescricoes(ids);
    END IF;
    RETURN NULL;
END
$$;

-- Master data: medicos, pacientes, medicamentos (TG_ARGV[0]: the table's aggregate type). An
-- INSERT can only matter when deferred foreign keys let prescriptions reference the row before it
-- existed: the prescriptions showing it are refreshed. An UPDATE rewrites the shown columns in
-- place, for the rows whose shown columns changed. A DELETE of a referenced row fails its foreign
-- key, so there is no DELETE trigger. (plpgsql plans each branch on first use, per table.) As for
-- prescriptions, the mode is asked only when there is something to refresh: a new patient, or an
-- edit of a column no read model shows, costs no lookup and no refresh.
CREATE FUNCTION pharmacy_trg_cadastro() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN -- ids of prescriptions
        ids := ARRAY(SELECT DISTINCT f.id_prescricao
                     FROM pharmacy_prescricoes_afetadas(TG_ARGV[0], ARRAY(SELECT id FROM novos)) AS f);
    ELSIF TG_ARGV[0] = 'Medico' THEN -- ids of master-data rows from here on
        ids := ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL OR (o.nome, o.especialidade, o.crm) IS DISTINCT FROM (n.nome, n.especialidade, n.crm));
    ELSIF TG_ARGV[0] = 'Paciente' THEN
        ids := ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.nome, o.data_nascimento, o.endereco) IS DISTINCT FROM (n.nome, n.data_nascimento, n.endereco));
    ELSE -- Medicamento
        ids := ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL OR (o.nome, o.descricao) IS DISTINCT FROM (n.nome, n.descricao));
    END IF;
    IF cardinality(ids) = 0 OR read_model_sync_mode() <> 'trigger' THEN
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM pharmacy_refresh_prescricoes(ids);
    ELSIF TG_ARGV[0] = 'Medico' THEN
        PERFORM pharmacy_refresh_medicos(ids);
    ELSIF TG_ARGV[0] = 'Paciente' THEN
        PERFORM pharmacy_refresh_pacientes(ids);
    ELSE
        PERFORM pharmacy_refresh_medicamentos(ids);
    END IF;
    RETURN NULL;
END
$$;

-- The triggers, pharmacy_sync_<operation> on each write table: INSERT and UPDATE on all five,
-- DELETE and TRUNCATE on the prescriptions and their items (master data cannot be deleted while
-- shown, see above).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('prescricao_medicamentos', 'pharmacy_trg_prescricoes()', true),
        ('prescricoes', 'pharmacy_trg_prescricoes()', true),
        ('medicos', 'pharmacy_trg_cadastro(''Medico'')', false),
        ('pacientes', 'pharmacy_trg_cadastro(''Paciente'')', false),
        ('medicamentos', 'pharmacy_trg_cadastro(''Medicamento'')', false)
    ) AS v(tabela, funcao, apaga) LOOP
        EXECUTE format('CREATE TRIGGER pharmacy_sync_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS novos '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %s', t.tabela, t.funcao);
        EXECUTE format('CREATE TRIGGER pharmacy_sync_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS antigos '
                       'NEW TABLE AS novos FOR EACH STATEMENT EXECUTE FUNCTION %s', t.tabela, t.funcao);
        IF t.apaga THEN
            EXECUTE format('CREATE TRIGGER pharmacy_sync_del AFTER DELETE ON %I REFERENCING OLD TABLE AS antigos '
                           'FOR EACH STATEMENT EXECUTE FUNCTION %s', t.tabela, t.funcao);
            EXECUTE format('CREATE TRIGGER pharmacy_sync_trunc AFTER TRUNCATE ON %I '
                           'FOR EACH STATEMENT EXECUTE FUNCTION %s', t.tabela, t.funcao);
        END IF;
    END LOOP;
END
$$;
