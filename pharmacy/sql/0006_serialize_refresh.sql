-- Refreshes of one prescription are serialized, in trigger mode as in the projector.
--
-- A refresh reads the write model as committed so far, then upserts. Two
-- transactions writing the same prescription without a command (which would
-- lock it FOR UPDATE) each computed the document before the other committed;
-- the second upsert waited on the first's row and then wrote its own, stale,
-- document over it: an item missing from the pharmacy's document
-- (tests/pharmacy/test_concurrency.py). The FOR SHARE lock this function
-- took on the prescription row did not help: shared locks do not exclude each
-- other. It now takes the projector's transaction-scoped advisory lock per
-- prescription (namespace 7171, `pharmacy.projector.LOCK_CLASS`), in id order,
-- before reading anything: a second refresh of the same prescription waits
-- for the first transaction to end and then reads what it committed. Advisory
-- locks live in the server's shared lock table (max_locks_per_transaction x
-- connections), so a refresh of more than 64 prescriptions (a bulk SQL
-- statement, a rebuild batch, a repair) takes one exclusive lock on key
-- (7171, 0) instead, which every smaller refresh holds shared: it waits for
-- them and they for it. The
-- doctor, patient and medications are still locked FOR SHARE so that a
-- concurrent rename waits for the new rows (or they wait for the rename).

CREATE OR REPLACE FUNCTION pharmacy_refresh_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(ids) <= 64 THEN
        PERFORM pg_advisory_xact_lock_shared(7171, 0);
        PERFORM pg_advisory_xact_lock(7171, k)
            FROM (SELECT DISTINCT (id % 2147483647)::int AS k FROM unnest(ids) AS id ORDER BY 1) AS keys;
    ELSE
        PERFORM pg_advisory_xact_lock(7171, 0);
    END IF;
    PERFORM 1 FROM prescricoes p
        JOIN medicos m ON m.id = p.id_medico
        JOIN pacientes pa ON pa.id = p.id_paciente
        WHERE p.id = ANY(ids)
        ORDER BY p.id
        FOR SHARE OF m, pa;
    PERFORM 1 FROM medicamentos md
        WHERE md.id IN (SELECT pm.id_medicamento FROM prescricao_medicamentos pm WHERE pm.id_prescricao = ANY(ids))
        ORDER BY md.id
        FOR SHARE;
    PERFORM pharmacy_sync_itens(ids);
    PERFORM pharmacy_sync_documentos(ids);
END
$$;
