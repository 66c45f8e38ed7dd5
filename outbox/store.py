"""The outbox table as a queue: which events a relay may take, and what becomes of them.

Statements only, each its own short transaction (Django autocommit): claim
with a lease, mark published, release, record a failure (backoff, dead
letter), requeue lost messages, check for held-back events, purge. The loop
that drives them is `outbox.relay`; publishing is `outbox.publishing`.

Gap-safe positions
------------------
Positions come from a sequence, so an event can commit after events with
higher positions (its transaction took the number first, committed later) --
the bug that makes cursor-based relays ("everything after the last position I
published") skip events forever. This relay has no cursor and never skips:

- it claims by **state** (`published_at IS NULL`, not projected, not
  dead-lettered, not leased), so a late-committing event is simply claimed by the next pass
  whatever its position;
- it claims only events whose writing transaction id (`xid`, recorded per
  event) is below the **horizon**: the oldest transaction of this database
  still running (`pg_snapshot_xip` of the current snapshot, narrowed with
  `pg_locks` to this database -- like `pg_snapshot_xmin` but not held back by
  other databases on the server; see `horizon()`). Every transaction below
  the horizon has ended, so the set of claimable events is closed -- nothing
  can appear in it later, with a lower position or otherwise. The relay
  therefore publishes events in position order within a horizon that never
  moves back, and an event of a still-running
  transaction is never overtaken by a relay that later sees it. (Price: a
  long-running writing transaction delays relaying until it ends; it never
  loses anything.)
- **per-aggregate order**: an event is claimed only while no earlier event
  of its aggregate (e.g. the same prescription) is still waiting to be
  published -- leased by another relay, backing off, or not yet below the
  horizon. Several relays may run at once; each aggregate's events leave in
  position order, and a dead-lettered event does not block its successors.
- at-least-once end to end: an event published but not projected after
  `OUTBOX_REPUBLISH_AFTER` (message lost with a Redis restart, worker killed
  before acking) goes back to unpublished (`requeue_lost`, which the relay
  calls only while the broker's queue is empty) and is published again.
  Duplicates are harmless: the projector
  recomputes rows from the write model (see `pharmacy.projector`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def _unpublished(alias: str = "") -> str:
    """Waiting to be published: the predicate of the partial index `outbox_unpublished`."""
    p = f"{alias}." if alias else ""
    return f"{p}published_at IS NULL AND {p}projected_at IS NULL AND {p}dead_lettered_at IS NULL"


_UNPUBLISHED = _unpublished()

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
CLAIM_SQL = f"""
WITH candidates AS (
    SELECT e.id, e.aggregate_type, e.aggregate_id
    FROM outbox_events e
    WHERE {_UNPUBLISHED}
      AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= now())
      AND e.xid < %(horizon)s::text::xid8
      AND NOT EXISTS (  -- LIMIT 1: a probe per event, never planned as a join over the outbox
          SELECT FROM outbox_events b
          WHERE b.aggregate_type = e.aggregate_type AND b.aggregate_id = e.aggregate_id AND b.id < e.id
            -- "unpublished", spelt so that it cannot match outbox_unpublished's predicate: walking that index
            -- from the queue's head for every scanned event made each claim quadratic in the batch
            AND coalesce(b.published_at, b.projected_at, b.dead_lettered_at) IS NULL
            AND (b.next_attempt_at > now() OR b.xid >= %(horizon)s::text::xid8)
          LIMIT 1
      )
    ORDER BY e.id
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
), heads AS (
    SELECT c.id FROM candidates c
    LEFT JOIN LATERAL (
        SELECT b.id FROM outbox_events b
        WHERE b.aggregate_type = c.aggregate_type AND b.aggregate_id = c.aggregate_id AND b.id < c.id
          AND {_unpublished("b")}
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

# The horizon: the oldest transaction *of this database* still running (else the
# next xid to be assigned). Every transaction with an xid holds a lock on some
# relation of its database and an ExclusiveLock on its own transactionid until
# it ends, so pg_locks names them; transactions of other databases on the same
# server (which cannot write this outbox) do not hold the relay back.
HORIZON_SQL = """
WITH s AS (SELECT pg_current_snapshot() AS snap),
ours AS (
    SELECT t.transactionid::text::bigint AS xid32
    FROM pg_locks t
    WHERE t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
      AND t.pid <> pg_backend_pid()
      AND t.pid IN (
          SELECT l.pid FROM pg_locks l
          WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      )
)
SELECT coalesce(
    (SELECT min(x) FROM s, pg_snapshot_xip(s.snap) AS x
     WHERE mod(x::text::bigint, 4294967296) IN (SELECT xid32 FROM ours)),
    (SELECT pg_snapshot_xmax(snap) FROM s)
)::text::bigint
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
WHERE {_UNPUBLISHED} AND (next_attempt_at IS NULL OR next_attempt_at <= now())
ORDER BY id LIMIT 1
"""

REQUEUE_SQL = """
UPDATE outbox_events SET published_at = NULL, next_attempt_at = NULL
WHERE projected_at IS NULL AND dead_lettered_at IS NULL
  AND published_at < now() - make_interval(secs => %s)
"""


@dataclass(frozen=True)
class Claimed:
    id: int
    event_type: str
    aggregate_type: str
    aggregate_id: int
    attempts: int

    def message(self) -> list:
        """What the worker receives per event: it recomputes from the write model, so no payload."""
        return [self.id, self.aggregate_type, self.aggregate_id, self.event_type]


def backoff_seconds(attempts: int) -> float:
    """Delay before retry number `attempts` (1-based): base * 2**(attempts-1), capped."""
    base, cap = settings.OUTBOX_BACKOFF_BASE, settings.OUTBOX_BACKOFF_MAX
    return min(cap, base * (2 ** max(0, attempts - 1)))


def horizon() -> int:
    """The xid (as a 64-bit integer) below which every transaction of this database has ended.

    Computed in its own statement, before the claim: a transaction below it
    that is still running when the claim takes its snapshot was running
    while this statement read pg_locks, so it would have lowered the horizon.
    Hence no event below the horizon can become visible after the claim.
    """
    with connection.cursor() as cursor:
        cursor.execute(HORIZON_SQL)
        return int(cursor.fetchone()[0])


def claim(batch_size: int | None = None) -> list[Claimed]:
    """Claim (lease) the next claimable events in position order; a short transaction of its own."""
    params = {"batch": batch_size or settings.OUTBOX_BATCH_SIZE, "lease": settings.OUTBOX_LEASE, "horizon": horizon()}
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, params)
        rows = cursor.fetchall()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def mark_published(ids: list[int]) -> None:
    """The broker accepted these events' messages."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE outbox_events SET published_at = now(), next_attempt_at = NULL, last_error = '' WHERE id = ANY(%s)",
            [ids],
        )


def release(ids: list[int], error: str) -> None:
    """Give the leases back, no attempt counted, saying why in `last_error` (broker outage; behind a failed event)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE outbox_events SET next_attempt_at = NULL, last_error = %s WHERE id = ANY(%s)", [error[:2000], ids]
        )


def record_failure(ids: Sequence[int], error: str) -> int:
    """Count a failed attempt for each event: back off exponentially, dead-letter at the limit.

    Shared by the relay (publishing) and the projector (applying): the event
    goes back to the relay's queue (`published_at` cleared) and is published
    again once its backoff has passed. Returns how many were dead-lettered.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE outbox_events SET
                attempts = attempts + 1,
                last_error = %(error)s,
                published_at = NULL,
                next_attempt_at = now() + make_interval(secs => least(%(cap)s, %(base)s * 2 ^ attempts)),
                dead_lettered_at = CASE WHEN attempts + 1 >= %(max)s THEN now() END
            WHERE id = ANY(%(ids)s) AND dead_lettered_at IS NULL AND projected_at IS NULL
            RETURNING dead_lettered_at IS NOT NULL
            """,
            {
                "ids": list(ids),
                "error": error[:2000],
                "cap": settings.OUTBOX_BACKOFF_MAX,
                "base": settings.OUTBOX_BACKOFF_BASE,
                "max": settings.OUTBOX_MAX_ATTEMPTS,
            },
        )
        dead = sum(1 for (is_dead,) in cursor.fetchall() if is_dead)
    if dead:
        logger.error("outbox: %d event(s) dead-lettered: %s", dead, error[:200])
    return dead


def held_back() -> bool:
    """True when some due event is waiting for the horizon or its aggregate: worth a quick retry."""
    with connection.cursor() as cursor:
        cursor.execute(HELD_BACK_SQL)
        return cursor.fetchone() is not None


def requeue_lost() -> int:
    """Events published `OUTBOX_REPUBLISH_AFTER` ago and still not projected: their message was lost; publish again."""
    with connection.cursor() as cursor:
        cursor.execute(REQUEUE_SQL, [settings.OUTBOX_REPUBLISH_AFTER])
        count = cursor.rowcount
    if count:
        logger.warning("outbox: %d published event(s) never projected; publishing them again", count)
    return count


def purge(*, older_than_days: float | None = None, batch_size: int = 10_000) -> int:
    """Delete projected (or, in trigger mode, born-projected) events older than the retention; dead letters stay."""
    days = settings.OUTBOX_RETENTION_DAYS if older_than_days is None else older_than_days
    total = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                DELETE FROM outbox_events WHERE id IN (
                    SELECT id FROM outbox_events
                    WHERE projected_at < now() - make_interval(secs => %s) AND dead_lettered_at IS NULL
                    ORDER BY id LIMIT %s
                )
                """,
                [days * 86400, batch_size],
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch_size:
            return total
