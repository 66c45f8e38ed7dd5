-- The lock protocol of every refresh of prescriptions, in one place.
--
-- Whoever recomputes prescriptions -- a trigger-mode write, the Celery
-- projector, the mode switch's catch-up, rebuild --in-place, verify --repair --
-- goes through pharmacy_refresh_prescricoes, and it takes its locks through
-- pharmacy_lock_prescricoes below, in ONE order:
--
--   1. the coarse advisory lock (7171, 0): shared for a refresh of at most 64
--      prescriptions, exclusive above (advisory locks live in the server's
--      shared lock table, so a big refresh takes one lock, not one per
--      prescription, and excludes every small one);
--   2. for a small refresh, one exclusive advisory lock per prescription,
--      (7171, pharmacy_lock_key(id)), in key order;
--   3. FOR SHARE on the doctor, patient and medications shown, in id order.
--
-- Two refreshes therefore never wait for each other in a cycle. (The projector
-- used to take its per-prescription locks itself before calling the refresh,
-- which then took the coarse lock: for more than 64 prescriptions that was
-- step 2 before step 1, and a trigger-mode writer holding the coarse lock
-- shared while waiting for one of those prescriptions deadlocked with it.)
-- Nothing else takes locks in namespace 7171 (session-level ones in tests
-- apart).
--
-- pharmacy_lock_key maps an id onto the int4 key space without ever giving 0
-- (the coarse key): ids 1 .. 2^31-1 map to themselves.

CREATE OR REPLACE FUNCTION pharmacy_lock_key(id bigint) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (1 + mod(abs(id - 1), 2147483647))::int
$$;

CREATE OR REPLACE FUNCTION pharmacy_lock_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(ids) <= 64 THEN
        PERFORM pg_advisory_xact_lock_shared(7171, 0);
        PERFORM pg_advisory_xact_lock(7171, k)
            FROM (SELECT DISTINCT pharmacy_lock_key(id) AS k FROM unnest(ids) AS id ORDER BY 1) AS keys;
    ELSE
        PERFORM pg_advisory_xact_lock(7171, 0);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pharmacy_refresh_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql SET pharmacy.sync_writer = 'on' SET plan_cache_mode = force_generic_plan AS $$
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
        WHERE md.id IN (SELECT pm.id_medicamento FROM prescricao_medicamentos pm WHERE pm.id_prescricao = ANY(ids))
        ORDER BY md.id
        FOR SHARE;
    PERFORM pharmacy_sync_itens(ids);
    PERFORM pharmacy_sync_documentos(ids);
END
$$;
