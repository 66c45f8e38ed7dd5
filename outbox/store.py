"""The outbox table as a queue: which events a relay may take, and what becomes of them.

Statements only (their SQL is `outbox.queries`), each its own short
transaction under Django autocommit unless the caller opened one: claim with
a lease, mark published, release, record a failure (backoff, dead letter),
mark projected, list pending events, requeue lost messages, check for
held-back events, purge. The loop that drives them is `outbox.relay`;
publishing is `outbox.publishing`; the projector (`pharmacy.projector`) marks
events projected or failed.

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

from outbox import queries

logger = logging.getLogger(__name__)


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
        cursor.execute(queries.CLAIM_SQL, params)
        rows = cursor.fetchall()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def mark_published(ids: list[int]) -> None:
    """The broker accepted these events' messages."""
    with connection.cursor() as cursor:
        cursor.execute(queries.MARK_PUBLISHED_SQL, [ids])


def release(ids: list[int], error: str) -> None:
    """Give the leases back, no attempt counted, saying why in `last_error` (broker outage; behind a failed event)."""
    with connection.cursor() as cursor:
        cursor.execute(queries.RELEASE_SQL, [error[:2000], ids])


def record_failure(ids: Sequence[int], error: str) -> int:
    """Count a failed attempt for each event: back off exponentially, dead-letter at the limit.

    Shared by the relay (publishing) and the projector (applying): the event
    goes back to the relay's queue (`published_at` cleared) and is published
    again once its backoff has passed. Returns how many were dead-lettered.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            queries.RECORD_FAILURE_SQL,
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


def mark_projected(ids: Sequence[int]) -> None:
    """The read models reflect these events (the caller's transaction, with the refresh that vouches for it)."""
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(queries.MARK_PROJECTED_SQL, [list(ids)])


def pending_after(after: int, *, upto: int | None = None, limit: int = 500) -> list[tuple[int, str, int, str]]:
    """Pending events with positions in (`after`, `upto`], oldest first, at most `limit`.

    Rows of (position, aggregate type, aggregate id, event type), the shape of a relay message.
    """
    with connection.cursor() as cursor:
        cursor.execute(queries.PENDING_AFTER_SQL, {"after": after, "upto": upto, "limit": limit})
        return cursor.fetchall()


def held_back() -> bool:
    """True when some due event is waiting for the horizon or its aggregate: worth a quick retry."""
    with connection.cursor() as cursor:
        cursor.execute(queries.HELD_BACK_SQL)
        return cursor.fetchone() is not None


def requeue_lost() -> int:
    """Events published `OUTBOX_REPUBLISH_AFTER` ago and still not projected: their message was lost; publish again."""
    with connection.cursor() as cursor:
        cursor.execute(queries.REQUEUE_SQL, [settings.OUTBOX_REPUBLISH_AFTER])
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
                queries.PURGE_SQL,
                [days * 86400, batch_size],
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch_size:
            return total
