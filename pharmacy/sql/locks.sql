-- The pharmacy's advisory locks: every key and the one order they are taken in.
--
-- Whoever recomputes prescriptions -- a trigger-mode write, the Celery
-- projector, the mode switch's catch-up, rebuild --in-place, verify --repair --
-- goes through pharmacy_refresh_prescricoes, which takes its locks through
-- pharmacy_lock_prescricoes below, in ONE order:
--
--   1. the coarse advisory lock (namespace, 0): shared for a refresh of at most
--      64 prescriptions, exclusive above (advisory locks live in the server's
--      shared lock table, max_locks_per_transaction x connections, so a big
--      refresh takes one lock, not one per prescription, and excludes every
--      small one);
--   2. for a small refresh, one exclusive advisory lock per prescription,
--      (namespace, pharmacy_lock_key(id)), in key order;
--   3. FOR SHARE on the doctor, patient and medications shown, in id order
--      (pharmacy_refresh_prescricoes).
--
-- Two refreshes therefore never wait for each other in a cycle, and a second
-- refresh of a prescription waits for the first transaction to end and then
-- reads what it committed. Nothing else takes locks in the namespace; code
-- that needs to see or take them (tests, diagnostics) asks
-- pharmacy_lock_namespace() instead of repeating the number.
--
-- The build-and-swap rebuild holds one session-level lock of its own,
-- pharmacy_rebuild_lock_key(), so two rebuilds never run at once.

CREATE FUNCTION pharmacy_lock_namespace() RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 7171
$$;

-- Maps an id onto the int4 key space without ever giving 0 (the coarse key): ids 1 .. 2^31-1 map to themselves.
CREATE FUNCTION pharmacy_lock_key(id bigint) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (1 + mod(abs(id - 1), 2147483647))::int
$$;

-- The locks of a refresh of these prescriptions (a non-empty list: pharmacy_refresh_prescricoes asks).
CREATE FUNCTION pharmacy_lock_prescricoes(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) <= 64 THEN
        PERFORM pg_advisory_xact_lock_shared(pharmacy_lock_namespace(), 0);
        PERFORM pg_advisory_xact_lock(pharmacy_lock_namespace(), k)
            FROM (SELECT DISTINCT pharmacy_lock_key(id) AS k FROM unnest(ids) AS id ORDER BY 1) AS keys;
    ELSE
        PERFORM pg_advisory_xact_lock(pharmacy_lock_namespace(), 0);
    END IF;
END
$$;

-- "PHARMA": one build-and-swap rebuild at a time (a session-level lock, single bigint key).
CREATE FUNCTION pharmacy_rebuild_lock_key() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT x'504841524D41'::bigint
$$;
