"""Database side of the outbox: gap-safe positions, mode switch, change capture, wakeups.

- `xid`: the writing transaction of each event (pg_current_xact_id()); the
  relay claims only events below `pg_snapshot_xmin(pg_current_snapshot())`.
- `read_model_sync_mode()`: 'trigger' or 'celery', from `outbox_sync_state`
  (no row: 'trigger'). The pharmacy triggers stand down in celery mode.
- events born in trigger mode are already projected (the triggers changed the
  read models in the same transaction).
- every committed change of a write table has an outbox event of its
  aggregate: a deferred (commit-time) constraint trigger appends an
  `AlteracaoDireta` event unless the transaction already wrote one for that
  aggregate (commands always do, so command writes are not doubled).
- an insert into the outbox NOTIFYs `outbox_events` in celery mode (delivered
  at commit) to wake the relays.
"""

from django.db import migrations

CAPTURED = [
    # table, aggregate type, column holding the aggregate id
    ("medicos", "Medico", "id"),
    ("pacientes", "Paciente", "id"),
    ("medicamentos", "Medicamento", "id"),
    ("prescricoes", "Prescricao", "id"),
    ("prescricao_medicamentos", "Prescricao", "id_prescricao"),
]

FORWARD = r"""
ALTER TABLE outbox_events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX outbox_xid_aggregate ON outbox_events (xid, aggregate_type, aggregate_id);

-- Everything written before this migration was applied by the triggers.
UPDATE outbox_events SET projected_at = occurred_at WHERE projected_at IS NULL;

CREATE OR REPLACE FUNCTION read_model_sync_mode() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT mode FROM outbox_sync_state WHERE id = 1), 'trigger')
$$;

CREATE OR REPLACE FUNCTION outbox_born_projected() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- In trigger mode the read models changed in this very transaction.
    IF NEW.projected_at IS NULL AND read_model_sync_mode() = 'trigger' THEN
        NEW.projected_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER outbox_born_projected BEFORE INSERT ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_born_projected();

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit, folded into one notification per transaction.
    IF read_model_sync_mode() = 'celery' THEN
        PERFORM pg_notify('outbox_events', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox_events
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE OR REPLACE FUNCTION outbox_capture_change() RETURNS trigger
LANGUAGE plpgsql AS $$
-- Deferred to commit: by then a command has appended its own event, so only
-- writes that bypassed the commands (ORM update(), bulk_create, raw SQL) get
-- an `AlteracaoDireta` event. TG_ARGV: aggregate type, aggregate id column.
DECLARE
    agg text := TG_ARGV[0];
    ids bigint[] := '{}';
    agg_id bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        ids := ids || (to_jsonb(OLD) ->> TG_ARGV[1])::bigint;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NOT ((to_jsonb(NEW) ->> TG_ARGV[1])::bigint = ANY (ids)) THEN
        ids := ids || (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
    END IF;
    FOREACH agg_id IN ARRAY ids LOOP
        IF NOT EXISTS (
            SELECT 1 FROM outbox_events
            WHERE xid = pg_current_xact_id() AND aggregate_type = agg AND aggregate_id = agg_id
        ) THEN
            INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, occurred_at, attempts, last_error)
            VALUES ('AlteracaoDireta', agg, agg_id,
                    jsonb_build_object('tabela', TG_TABLE_NAME, 'operacao', TG_OP, 'id', agg_id),
                    now(), 0, '');
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS outbox_notify ON outbox_events;
DROP TRIGGER IF EXISTS outbox_born_projected ON outbox_events;
DROP FUNCTION IF EXISTS outbox_notify();
DROP FUNCTION IF EXISTS outbox_born_projected();
DROP FUNCTION IF EXISTS outbox_capture_change() CASCADE;
DROP FUNCTION IF EXISTS read_model_sync_mode();
DROP INDEX IF EXISTS outbox_xid_aggregate;
ALTER TABLE outbox_events DROP COLUMN IF EXISTS xid;
"""


def _capture_sql() -> str:
    return "\n".join(
        f"CREATE CONSTRAINT TRIGGER outbox_capture_change AFTER INSERT OR UPDATE OR DELETE ON {table}\n"
        f"    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW\n"
        f"    EXECUTE FUNCTION outbox_capture_change('{aggregate}', '{column}');"
        for table, aggregate, column in CAPTURED
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0002_relay_state"),
        ("hospital", "0001_initial"),
        ("prescriptions", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FORWARD + _capture_sql(), BACKWARD),
    ]
