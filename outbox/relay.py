"""The outbox relay: publishes committed outbox events to Celery (Redis broker).

One pass (`relay_batch`) is three short steps, never a broker call inside a
transaction:

1. **claim** (one statement, its own transaction): the oldest claimable
   events in position order, `FOR UPDATE SKIP LOCKED` so concurrent relays
   split the work, each stamped with a lease (`next_attempt_at = now() +
   OUTBOX_LEASE`) so no other relay takes it while this one publishes;
2. **publish** outside any transaction, `OUTBOX_MESSAGE_SIZE` events per
   Celery message (the worker applies a message in one transaction);
3. **record** the outcome: `published_at` only for messages the broker
   accepted; a failure bumps `attempts`, stores `last_error` and backs off
   exponentially; at `OUTBOX_MAX_ATTEMPTS` the event is dead-lettered. A
   broker outage is not the events' fault: it only releases the leases and
   makes the relay back off, so events wait (not dead-lettered) until the
   broker returns.

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
  before acking) goes back to unpublished (`requeue_lost`) and is published
  again. Duplicates are harmless: the projector
  recomputes rows from the write model (see `pharmacy.projector`).

The relay wakes on `LISTEN outbox_events` (an insert trigger NOTIFYs at
commit in celery mode) and polls every `OUTBOX_POLL_INTERVAL` seconds in case
a notification is missed. Beside it a `outbox.maintenance.Vacuumer` thread
vacuums the outbox when the server's autovacuum is off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from outbox.maintenance import Vacuumer, connection_params

logger = logging.getLogger(__name__)

CHANNEL = "outbox_events"
TASK_NAME = "pharmacy.apply_events"


def _unpublished(alias: str = "") -> str:
    """Waiting to be published: the predicate of the partial index `outbox_unpublished`."""
    p = f"{alias}." if alias else ""
    return f"{p}published_at IS NULL AND {p}projected_at IS NULL AND {p}dead_lettered_at IS NULL"


_UNPUBLISHED = _unpublished()

# Candidates: the first `batch` claimable events by position (index `outbox_unpublished`).
# A candidate is claimed only if no earlier unpublished event of its aggregate is left out of the
# candidates (leased by another relay, backing off, above the horizon, locked): that event goes
# first. The check is one probe of `outbox_aggregate` per candidate, forced by LATERAL ... LIMIT 1,
# so its cost is O(batch) whatever the table's statistics say. (A range scan "unpublished events
# before the last candidate" was planned, with statistics taken while a backlog was pending, as a
# walk of the primary key over every drained event: 230 ms per claim at 200,000 events.)
CLAIM_SQL = f"""
WITH candidates AS (
    SELECT e.id, e.aggregate_type, e.aggregate_id
    FROM outbox_events e
    WHERE {_UNPUBLISHED}
      AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= now())
      AND e.xid < %(horizon)s::text::xid8
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


class BrokerUnavailable(Exception):
    """The broker refused the connection: retry later, the events are not at fault."""


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


@dataclass
class RelayStats:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    dead_lettered: int = 0
    passes: int = 0
    errors: list[str] = field(default_factory=list)
    failed_ids: set[int] = field(default_factory=set)


Publisher = Callable[[Sequence[Claimed]], None]


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


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def celery_publisher(app=None) -> Publisher:
    """Publish one message per call through the Celery app; returns once Redis accepted it (LPUSH done).

    A broker that refuses, drops or (past `BROKER_SOCKET_TIMEOUT`) does not answer raises `BrokerUnavailable`.
    """
    if app is None:
        from hospital.celery import app

    policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

    def publish(events: Sequence[Claimed]) -> None:
        try:
            app.send_task(
                TASK_NAME,
                args=[[event.message() for event in events]],
                argsrepr=f"[{len(events)} eventos: {events[0].id}..{events[-1].id}]",  # not a saferepr of them all
                retry=True,
                retry_policy=policy,
            )
        except _broker_errors() as exc:
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    return publish


def _mark_published(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE outbox_events SET published_at = now(), next_attempt_at = NULL, last_error = '' WHERE id = ANY(%s)",
            [ids],
        )


def _release(ids: list[int], error: str) -> None:
    """Broker outage: give the leases back (no attempt counted) and say why in `last_error`."""
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


def _chunks(events: list[Claimed], size: int) -> list[list[Claimed]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def relay_batch(
    publish: Publisher | None = None, *, batch_size: int | None = None, stats: RelayStats | None = None
) -> int:
    """One pass: claim, publish outside the transaction, record. Returns how many events were claimed.

    Raises `BrokerUnavailable` (after recording what was published) when the broker is down.
    """
    publish = publish or celery_publisher()
    stats = stats if stats is not None else RelayStats()
    claimed = claim(batch_size)
    stats.passes += 1
    stats.claimed += len(claimed)
    if not claimed:
        return 0
    published: list[int] = []
    held: set[tuple[str, int]] = set()  # aggregates with a failed event: their later events wait behind it
    released: list[int] = []
    try:
        for chunk in _chunks(claimed, settings.OUTBOX_MESSAGE_SIZE):
            sendable = [e for e in chunk if (e.aggregate_type, e.aggregate_id) not in held]
            released += [e.id for e in chunk if (e.aggregate_type, e.aggregate_id) in held]
            if not sendable:
                continue
            try:
                publish(sendable)
            except BrokerUnavailable:
                raise
            except Exception as exc:  # a message the broker refused: isolate the offending event(s)
                _publish_one_by_one(sendable, publish, published, held, released, stats, exc)
            else:
                published.extend(event.id for event in sendable)
    except BrokerUnavailable as exc:
        if published:
            _mark_published(published)
        done = set(published) | stats.failed_ids  # failed ones keep their backoff
        _release([e.id for e in claimed if e.id not in done], f"broker indisponível: {exc}")
        stats.published += len(published)
        raise
    if published:
        _mark_published(published)
    if released:
        _release(released, "aguardando um evento anterior do mesmo agregado")
    stats.published += len(published)
    return len(claimed)


def _publish_one_by_one(
    chunk: list[Claimed],
    publish: Publisher,
    published: list[int],
    held: set[tuple[str, int]],
    released: list[int],
    stats: RelayStats,
    first_error: Exception,
) -> None:
    logger.warning("outbox: publishing %d events failed (%s); retrying them one by one", len(chunk), first_error)
    for event in chunk:
        aggregate = (event.aggregate_type, event.aggregate_id)
        if aggregate in held:
            released.append(event.id)
            continue
        try:
            publish([event])
        except BrokerUnavailable:
            raise
        except Exception as exc:
            held.add(aggregate)
            stats.failed += 1
            stats.failed_ids.add(event.id)
            stats.dead_lettered += record_failure([event.id], f"publicação falhou: {type(exc).__name__}: {exc}")
        else:
            published.append(event.id)


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


class Listener:
    """LISTEN on its own autocommit connection; `wait` returns on a NOTIFY or after `timeout`."""

    def __init__(self) -> None:
        self._conn = None

    def _connect(self):
        import psycopg

        conn = psycopg.connect(**connection_params(), autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def wait(self, timeout: float, linger: float = 0.0) -> bool:
        """True when woken by a notification, False on timeout or when LISTEN is unavailable (then it sleeps).

        Once woken, it waits `linger` seconds more and swallows the notifications
        of that time too: the pass that follows sees those commits anyway.
        """
        import psycopg

        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            woken = False
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                woken = True
            if woken and linger > 0:
                time.sleep(linger)
                for _ in self._conn.notifies(timeout=0):
                    pass
            return woken
        except psycopg.Error as exc:
            logger.warning("outbox: LISTEN unavailable (%s); polling", exc)
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def run(
    *,
    once: bool = False,
    publish: Publisher | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    purge_every: float = 3600.0,
    log: Callable[[str], None] = logger.info,
) -> RelayStats:
    """Relay until `should_stop()` (or, with `once`, until nothing is claimable).

    Full batches are followed immediately by the next one; otherwise the relay
    sleeps until a NOTIFY (then lingers `OUTBOX_LINGER` seconds so that commits
    arriving together leave in one pass and one message) or the poll interval
    -- except when committed events
    are only held back (horizon, aggregate order): the transaction holding the
    horizon may end without a NOTIFY, so the relay retries after 10 ms,
    doubling up to the poll interval while they stay held. A broker outage backs off
    exponentially up to `OUTBOX_BACKOFF_MAX` and retries; with `once` it gives
    up after a few tries and reports the error in the stats.
    """
    from django.db import close_old_connections

    publish = publish or celery_publisher()
    stats = RelayStats()
    listener = None if once else Listener()
    vacuumer = None if once or settings.OUTBOX_VACUUM_DEAD_ROWS <= 0 else Vacuumer()
    if vacuumer is not None:
        vacuumer.start()
    outage = 0
    last_purge = 0.0 if not once else time.monotonic()
    last_requeue = 0.0
    requeue_every = max(1.0, settings.OUTBOX_REPUBLISH_AFTER / 4)
    retry = 0.0  # current quick-retry delay while events are held back (0: none)
    try:
        while not should_stop():
            try:
                if time.monotonic() - last_requeue >= requeue_every:
                    last_requeue = time.monotonic()
                    requeue_lost()
                claimed = relay_batch(publish, stats=stats)
                if outage:
                    log(f"broker de volta após {outage} tentativa(s)")
                outage = 0
            except BrokerUnavailable as exc:
                outage += 1
                delay = min(settings.OUTBOX_BACKOFF_MAX, settings.OUTBOX_BACKOFF_BASE * 2 ** (outage - 1), 30.0)
                log(f"broker indisponível ({exc}); nova tentativa em {delay:.1f}s")
                if once and outage >= 3:
                    stats.errors.append(str(exc))
                    break
                _sleep(delay, should_stop)
                continue
            except Exception as exc:  # DB hiccup: reconnect on the next pass
                logger.exception("outbox relay pass failed")
                stats.errors.append(str(exc))
                close_old_connections()
                connection.close()
                if once:
                    break
                _sleep(settings.OUTBOX_POLL_INTERVAL, should_stop)
                continue
            if claimed >= settings.OUTBOX_BATCH_SIZE:
                continue
            if once:
                if claimed == 0:
                    break
                continue
            if time.monotonic() - last_purge >= purge_every:
                last_purge = time.monotonic()
                purged = purge()
                if purged:
                    log(f"{purged} evento(s) publicados há mais de {settings.OUTBOX_RETENTION_DAYS} dia(s) removidos")
            if claimed:
                retry = 0.0
            # A partial batch: what committed meanwhile has NOTIFYed (the wait returns at once) and
            # what is held back is retried shortly, so no second claim just to find nothing.
            try:
                held = held_back()
            except Exception:  # DB hiccup: the next pass reconnects
                logger.exception("outbox relay: checking held-back events failed")
                held = False
            if held:
                retry = min(settings.OUTBOX_POLL_INTERVAL, retry * 2 if retry else 0.01)
                if claimed:
                    continue  # e.g. events released behind a failed one of their aggregate: claim again now
                listener.wait(retry)
            else:
                retry = 0.0
                listener.wait(settings.OUTBOX_POLL_INTERVAL, linger=settings.OUTBOX_LINGER)
    finally:
        if listener is not None:
            listener.close()
        if vacuumer is not None:
            vacuumer.stop()
    return stats


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def notify() -> None:
    """Wake the relays now (after a redrive, for instance)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
