-- The read-model sync mode the database is in: 'trigger' or 'celery', from
-- `outbox_sync_state` (no row: 'trigger'). The pharmacy's sync triggers stand
-- down in celery mode; events born in trigger mode are already projected;
-- inserts NOTIFY the relays in celery mode (outbox.models).

CREATE FUNCTION read_model_sync_mode() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT mode FROM outbox_sync_state WHERE id = 1), 'trigger')
$$;
