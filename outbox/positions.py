"""Where the projection stands, in outbox positions (read-your-writes, status)."""

from django.db import connection

PENDING_SQL = "projected_at IS NULL AND dead_lettered_at IS NULL"

# The first pending event, found by walking the partial index outbox_pending_v2; not NOT EXISTS (... id <= p):
# with a range on id the planner may walk the primary key over the whole projected history instead.
IS_PROJECTED_SQL = f"""
SELECT coalesce((SELECT max(id) FROM outbox_events), 0) >= %(p)s
   AND coalesce((SELECT id FROM outbox_events WHERE {PENDING_SQL} ORDER BY id LIMIT 1) > %(p)s, true)
"""


def is_projected(position: int) -> bool:
    """True once the read models reflect every committed event up to `position`.

    An event at or before `position` still waiting (not projected, not
    dead-lettered) means no. An event not committed yet is invisible here and
    cannot be one the caller has seen, so it does not hold the answer back.
    A position beyond the last event is not projected (yet).
    """
    with connection.cursor() as cursor:
        cursor.execute(IS_PROJECTED_SQL, {"p": position})
        return bool(cursor.fetchone()[0])


def highest_assigned_position() -> int:
    """The highest position the outbox has ever handed out (committed, in flight or rolled back); 0 if none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox_events', 'id')::regclass), 0)"
        )
        return int(cursor.fetchone()[0])


def projection_position() -> int:
    """The highest position P such that every committed event up to P has been projected (or dead-lettered)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT coalesce(
                (SELECT id - 1 FROM outbox_events WHERE {PENDING_SQL} ORDER BY id LIMIT 1),
                (SELECT max(id) FROM outbox_events),
                0)
            """
        )
        return int(cursor.fetchone()[0])
