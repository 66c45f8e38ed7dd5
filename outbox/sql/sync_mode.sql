-- The read-model sync mode the database is in: 'trigger' or 'celery', from
-- `outbox_sync_state` (no row: 'trigger'). The pharmacy's sync triggers stand
-- down in celery mode; events born in trigger mode are already projected;
-- inserts NOTIFY the relays in celery mode (outbox.models).

--
-- plpgsql, not SQL: every write in both modes asks it (the outbox's triggers, the pharmacy's), and
-- a SQL function with a subquery is never inlined, so it would be parsed and planned again in every
-- transaction; plpgsql keeps the plan for the session.
CREATE FUNCTION read_model_sync_mode() RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce((SELECT mode FROM outbox_sync_state WHERE id = 1), 'trigger');
END
$$;
