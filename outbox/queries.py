"""Every SQL statement that names the outbox table, and the database functions that write it.

Only the outbox reads or writes its table, and only through this module:
`outbox.store` (the relay's queue, the projector's outcome), `outbox.positions`
(where the projection stands), `outbox.maintenance` (vacuum) and the capture
triggers (through `outbox_append`) run these statements; other apps call those
functions, or embed a fragment from here in a statement of their own when it
must run in the same snapshot (`AGGREGATES_AFTER_SQL`, `IS_PROJECTED_SQL`).

Why each statement is written the way it is (gap-safe claims, per-aggregate
order, index-friendly shapes) is explained next to it; the life of an event is
in `outbox.models`.
"""

from outbox.types import EventType

# The outbox table (`outbox.models.OutboxEvent`), for the few statements outside the outbox that must name it
# (benchmarks filling or vacuuming it); every statement of the outbox's own spells it out below.
TABLE = "outbox_events"

# The relays LISTEN on this channel; the outbox's insert trigger (`outbox.models.NOTIFY`) NOTIFYs it.
CHANNEL = "outbox_relay_wakeup"


def pending(alias: str = "") -> str:
    """Not yet reflected by the read models: neither projected nor dead-lettered.

    The predicate of the partial index `outbox_pending` (`outbox.models.PENDING`): a statement
    spelling it this way may walk that small index instead of the whole history.
    """
    p = f"{alias}." if alias else ""
    return f"{p}projected_at IS NULL AND {p}dead_lettered_at IS NULL"


def unpublished(alias: str = "") -> str:
    """Pending and not handed to the broker: the predicate of the partial index `outbox_unpublished`."""
    p = f"{alias}." if alias else ""
    return f"{pending(alias)} AND {p}published_at IS NULL"


def _unpublished_unindexed(alias: str) -> str:
    """`unpublished`, spelt so that the planner cannot match it with `outbox_unpublished`'s predicate.

    For a probe per event through `outbox_aggregate`: walking `outbox_unpublished` from the queue's head for
    every scanned event made each claim quadratic in the batch.
    """
    return f"coalesce({alias}.published_at, {alias}.projected_at, {alias}.dead_lettered_at) IS NULL"


# Candidates: the first `batch` claimable events by position (index `outbox_unpublished`), skipping every
# event that has an earlier unpublished event of its aggregate which this claim cannot take (leased by
# another relay, live or dead; backing off; above the horizon): such an event is blocked until that one
# goes, and counting it against `batch` let a batch's worth of blocked events hide the claimable ones
# behind them (a relay killed with leases on the heads of 1,000 aggregates stalled every relay until the
# leases ran out). The `heads` step then keeps a candidate only if no earlier unpublished event of its
# aggregate was left out of the candidates anyway (locked by a concurrent claim, past the LIMIT): that
# event goes first. Each check is one probe of `outbox_aggregate` per event, forced by LATERAL ... LIMIT 1,
# so the cost is O(events scanned) whatever the table's statistics say. (A range scan "unpublished events
# before the last candidate" was planned, with statistics taken while a backlog was pending, as a walk of
# the primary key over every drained event: 230 ms per claim at 200,000 events.)
#
# `SKIP_BLOCKED` is that no-starvation condition on its own (`bench.claim` measures the claim without it).
SKIP_BLOCKED = f"""AND NOT EXISTS (  -- LIMIT 1: a probe per event, never planned as a join over the outbox
          SELECT FROM outbox_events b
          WHERE b.aggregate_type = e.aggregate_type AND b.aggregate_id = e.aggregate_id AND b.id < e.id
            AND {_unpublished_unindexed("b")}
            AND (b.next_attempt_at > now() OR b.xid >= %(horizon)s::text::xid8)
          LIMIT 1
      )"""

CLAIM_SQL = f"""
WITH candidates AS (
    SELECT e.id, e.aggregate_type, e.aggregate_id
    FROM outbox_events e
    WHERE {unpublished("e")}
      AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= now())
      AND e.xid < %(horizon)s::text::xid8
      {SKIP_BLOCKED}
    ORDER BY e.id
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
), heads AS (
    SELECT c.id FROM candidates c
    LEFT JOIN LATERAL (
        SELECT b.id FROM outbox_events b
        WHERE b.aggregate_type = c.aggregate_type AND b.aggregate_id = c.aggregate_id AND b.id < c.id
          AND {unpublished("b")}
          AND b.id NOT IN (SELECT id FROM candidates)
        ORDER BY b.id LIMIT 1
    ) blocker ON true
    WHERE blocker.id IS NULL
)
UPDATE outbox_events e
SET next_attempt_at = now() + make_interval(secs => %(lease)s)
FROM heads WHERE e.id = heads.id
RETURNING e.id, e.event_type, e.aggregate_type, e.aggregate_id, e.attempts
"""

# After a claim that took nothing: is an event due that the claim could not take yet -- written by a
# transaction above the horizon (still waiting on an older transaction that sends no NOTIFY when it
# ends, e.g. a projector's) or behind an earlier event of its aggregate? Leased events are not due.
# A plain ORDER BY id LIMIT 1, like the claim, so it walks the small partial index `outbox_unpublished`.
# Not wrapped in EXISTS: PostgreSQL drops the ORDER BY/LIMIT of an EXISTS subquery, and with statistics
# taken while a backlog was pending the planner then chose a sequential scan of the whole outbox
# (measured 180-280 ms per call at 1M rows, against 2-3 ms for this form).
HELD_BACK_SQL = f"""
SELECT id FROM outbox_events
WHERE {unpublished()} AND (next_attempt_at IS NULL OR next_attempt_at <= now())
ORDER BY id LIMIT 1
"""

REQUEUE_SQL = f"""
UPDATE outbox_events SET published_at = NULL, next_attempt_at = NULL
WHERE {pending()} AND published_at < now() - make_interval(secs => %s)
"""

MARK_PUBLISHED_SQL = (
    "UPDATE outbox_events SET published_at = now(), next_attempt_at = NULL, last_error = '' WHERE id = ANY(%s)"
)

RELEASE_SQL = "UPDATE outbox_events SET next_attempt_at = NULL, last_error = %s WHERE id = ANY(%s)"

# Backoff: base * 2^(attempts before this one), capped; dead letter at the limit.
RECORD_FAILURE_SQL = f"""
UPDATE outbox_events SET
    attempts = attempts + 1,
    last_error = %(error)s,
    published_at = NULL,
    next_attempt_at = now() + make_interval(secs => least(%(cap)s, %(base)s * 2 ^ attempts)),
    dead_lettered_at = CASE WHEN attempts + 1 >= %(max)s THEN now() END
WHERE id = ANY(%(ids)s) AND {pending()}
RETURNING dead_lettered_at IS NOT NULL
"""

MARK_PROJECTED_SQL = (
    "UPDATE outbox_events SET projected_at = now(), next_attempt_at = NULL, last_error = '', "
    "dead_lettered_at = NULL WHERE id = ANY(%s) AND projected_at IS NULL"
)

PENDING_AFTER_SQL = f"""
SELECT id, aggregate_type, aggregate_id, event_type FROM outbox_events
WHERE {pending()} AND id > %(after)s AND (%(upto)s::bigint IS NULL OR id <= %(upto)s)
ORDER BY id LIMIT %(limit)s
"""

PURGE_SQL = """
DELETE FROM outbox_events WHERE id IN (
    SELECT id FROM outbox_events
    WHERE projected_at < now() - make_interval(secs => %s) AND dead_lettered_at IS NULL
    ORDER BY id LIMIT %s
)
"""

# Projected up to position %(p)s? Also embedded by statements that check it together with something else on
# their own connection (a replica's replay position, `pharmacy.replica_routing`).
# The first pending event, found by walking the partial index outbox_pending; not NOT EXISTS (... id <= p):
# with a range on id the planner may walk the primary key over the whole projected history instead.
IS_PROJECTED_SQL = f"""
SELECT coalesce((SELECT max(id) FROM outbox_events), 0) >= %(p)s
   AND coalesce((SELECT id FROM outbox_events WHERE {pending()} ORDER BY id LIMIT 1) > %(p)s, true)
"""

LAST_POSITION_SQL = "SELECT coalesce(max(id), 0) FROM outbox_events"

POSITION_SEQUENCE_SQL = "SELECT pg_get_serial_sequence('outbox_events', 'id')"

HIGHEST_ASSIGNED_SQL = (
    "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox_events', 'id')::regclass), 0)"
)

# One statement, one scalar subquery per figure so each walks its own small partial index (pending,
# unpublished, dead letters) or the primary key. As FILTER aggregates of a single scan they read the
# whole outbox, projected history included: 150-300 ms per call at a few hundred thousand events.
FEED_STATUS_SQL = f"""
SELECT
    (SELECT count(*) FROM outbox_events WHERE {pending()}),
    (SELECT count(*) FROM outbox_events WHERE {unpublished()}),
    (SELECT min(id) FROM outbox_events WHERE {pending()}),
    (SELECT min(occurred_at) FROM outbox_events WHERE {pending()}),
    (SELECT count(*) FROM outbox_events WHERE dead_lettered_at IS NOT NULL),
    (SELECT max(id) FROM outbox_events),
    (SELECT mode FROM outbox_sync_state WHERE id = 1)
"""

# The aggregates with an event after position %(after)s, as the calling statement's snapshot sees them:
# a fragment for a statement that joins them with what shows them (`pharmacy.swap_rebuild`).
AGGREGATES_AFTER_SQL = "SELECT DISTINCT aggregate_type, aggregate_id FROM outbox_events WHERE id > %(after)s"

NEEDS_VACUUM_SQL = """
SELECT NOT current_setting('autovacuum')::boolean AND coalesce(s.n_dead_tup, 0) >= %s
FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = 'outbox_events'::regclass
"""

VACUUM_SQL = "VACUUM (ANALYZE) outbox_events"

# The outbox's database side: the writing transaction of each event (gap-safe positions, see
# docs/architecture.md "Gap safety"), autovacuum settings for a queue table, and the functions the write
# tables' capture triggers (`outbox.capture_triggers`) call so that no trigger names this table.
#
# Autovacuum: every event is updated two or three times (leased, published, projected), and each update
# leaves a dead entry in the small partial index the relay walks; a fixed threshold keeps that head short
# whatever the retention makes the table's size.
#
# The "already has an event" check runs for every captured row, so its plan is made once per session
# (force_generic_plan) and is always an index scan: a generic plan made while the outbox is small would
# otherwise be a sequential scan kept as the outbox grows (enable_seqscan = off rules it out; the
# (xid, aggregate) and (aggregate, id) indexes both narrow it to one aggregate's few events).
SCHEMA_SQL = f"""
ALTER TABLE outbox_events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX outbox_xid_aggregate ON outbox_events (xid, aggregate_type, aggregate_id);

ALTER TABLE outbox_events SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 20000
);

CREATE OR REPLACE FUNCTION outbox_has_event_in_transaction(p_aggregate_type text, p_aggregate_id bigint)
RETURNS boolean LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM outbox_events
                   WHERE xid = pg_current_xact_id() AND aggregate_type = p_aggregate_type
                     AND aggregate_id = p_aggregate_id);
END
$$;

CREATE OR REPLACE FUNCTION outbox_append(
    p_event_type text, p_aggregate_type text, p_aggregate_id bigint, p_payload jsonb
) RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO outbox_events
        (event_type, aggregate_type, aggregate_id, payload, occurred_at, attempts, last_error)
    VALUES (p_event_type, p_aggregate_type, p_aggregate_id, p_payload, now(), 0, '')
    RETURNING id
$$;

-- A row of a write table changed outside the commands: one `{EventType.ALTERACAO_DIRETA}` event for the
-- aggregate the old row belonged to and one for the new row's, unless this transaction already has one.
CREATE OR REPLACE FUNCTION outbox_capture(
    p_aggregate_type text, p_old_id bigint, p_new_id bigint, p_table text, p_operation text
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    agg_id bigint;
BEGIN
    FOREACH agg_id IN ARRAY array_remove(ARRAY[p_old_id, nullif(p_new_id, p_old_id)], NULL) LOOP
        IF NOT outbox_has_event_in_transaction(p_aggregate_type, agg_id) THEN
            PERFORM outbox_append('{EventType.ALTERACAO_DIRETA}', p_aggregate_type, agg_id,
                                  jsonb_build_object('tabela', p_table, 'operacao', p_operation, 'id', agg_id));
        END IF;
    END LOOP;
END
$$;
"""
