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

Which events may be claimed (gap-safe positions, per-aggregate order, leases,
at-least-once) is `outbox.store`; the Celery side is `outbox.publishing`.

The relay wakes on `LISTEN` of `outbox.queries.CHANNEL` (an insert trigger
NOTIFYs it at commit in celery mode) and polls every `OUTBOX_POLL_INTERVAL` seconds in case
a notification is missed. Beside it a `outbox.maintenance.Vacuumer` thread
vacuums the outbox when the server's autovacuum is off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from outbox.maintenance import Vacuumer
from outbox.metrics import counting_relay_pass
from outbox.pg import connection_params
from outbox.publishing import BrokerUnavailable, Publisher, broker_queue_empty, celery_publisher
from outbox.queries import CHANNEL
from outbox.store import Claimed, claim, held_back, mark_published, purge, record_failure, release, requeue_lost

logger = logging.getLogger(__name__)

# Longest wait between two tries of a broker that is down: trying is one failed connect, so a Redis that
# comes back is used within this many seconds.
BROKER_RETRY_MAX = 10.0


@dataclass
class RelayStats:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    dead_lettered: int = 0
    passes: int = 0
    errors: list[str] = field(default_factory=list)
    failed_ids: set[int] = field(default_factory=set)


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
            mark_published(published)
        done = set(published) | stats.failed_ids  # failed ones keep their backoff
        release([e.id for e in claimed if e.id not in done], f"broker unavailable: {exc}")
        stats.published += len(published)
        raise
    if published:
        mark_published(published)
    if released:
        release(released, "waiting for an earlier event of the same aggregate")
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
            stats.dead_lettered += record_failure([event.id], f"publishing failed: {type(exc).__name__}: {exc}")
        else:
            published.append(event.id)


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
    queue_empty: Callable[[], bool | None] = broker_queue_empty,
) -> RelayStats:
    """Relay until `should_stop()` (or, with `once`, until nothing is claimable).

    Full batches are followed immediately by the next one; otherwise the relay
    sleeps until a NOTIFY (then lingers `OUTBOX_LINGER` seconds so that commits
    arriving together leave in one pass and one message) or the poll interval
    -- except when committed events
    are only held back (horizon, aggregate order): the transaction holding the
    horizon may end without a NOTIFY, so the relay retries after 10 ms,
    doubling up to the poll interval while they stay held. A broker outage backs off
    exponentially (at most `BROKER_RETRY_MAX` between tries) and retries; with `once`
    it gives up after a few tries and reports the error in the stats.

    Every `OUTBOX_REPUBLISH_AFTER / 4` seconds it also republishes lost messages
    (`requeue_lost`), but only while `queue_empty()` says the broker's queue is
    empty: an event published that long ago and still unprojected, with nothing
    left queued, is either in a live worker's hands (a harmless duplicate) or
    lost with a killed worker or a restarted Redis. While a legitimate backlog
    is queued nothing is republished, so recovery never adds to it.
    """
    loop = _Loop(
        once=once,
        publish=publish or celery_publisher(),
        should_stop=should_stop,
        purge_every=purge_every,
        log=log,
        queue_empty=queue_empty,
    )
    vacuumer = None if once or settings.OUTBOX_VACUUM_DEAD_ROWS <= 0 else Vacuumer()
    if vacuumer is not None:
        vacuumer.start()
    try:
        while not should_stop() and loop.step():
            pass
    finally:
        if loop.listener is not None:
            loop.listener.close()
        if vacuumer is not None:
            vacuumer.stop()
    return loop.stats


class _Loop:
    """A running relay between passes: its outage count, quick-retry delay and timers (see `run`)."""

    def __init__(self, *, once, publish, should_stop, purge_every, log, queue_empty) -> None:
        self.once, self.publish, self.should_stop, self.log = once, publish, should_stop, log
        self.purge_every, self.queue_empty = purge_every, queue_empty
        self.stats = RelayStats()
        self.listener = None if once else Listener()
        self.outage = 0  # consecutive passes the broker refused
        self.last_purge = 0.0
        self.last_requeue = 0.0
        self.requeue_every = max(1.0, settings.OUTBOX_REPUBLISH_AFTER / 4)
        self.retry = 0.0  # current quick-retry delay while events are held back (0: none)

    def step(self) -> bool:
        """One pass, then the wait before the next; False once the relay is done (`once`: drained or failing)."""
        try:
            claimed = self._relay_pass()
        except BrokerUnavailable as exc:
            return self._broker_outage(exc)
        except Exception as exc:  # DB hiccup: reconnect on the next pass
            return self._pass_failed(exc)
        if claimed >= settings.OUTBOX_BATCH_SIZE:
            return True
        if self.once:
            return claimed > 0
        self._purge_if_due()
        self._wait(claimed)
        return True

    def _relay_pass(self) -> int:
        if time.monotonic() - self.last_requeue >= self.requeue_every:
            self.last_requeue = time.monotonic()
            if self.queue_empty():
                requeue_lost()
        with counting_relay_pass(self.stats):
            claimed = relay_batch(self.publish, stats=self.stats)
        if self.outage:
            self.log(f"broker back after {self.outage} attempt(s)")
        self.outage = 0
        return claimed

    def _broker_outage(self, exc: BrokerUnavailable) -> bool:
        self.outage += 1
        delay = min(
            settings.OUTBOX_BACKOFF_MAX, settings.OUTBOX_BACKOFF_BASE * 2 ** (self.outage - 1), BROKER_RETRY_MAX
        )
        self.log(f"broker unavailable ({exc}); retrying in {delay:.1f}s")
        if self.once and self.outage >= 3:
            self.stats.errors.append(str(exc))
            return False
        _sleep(delay, self.should_stop)
        return True

    def _pass_failed(self, exc: Exception) -> bool:
        from django.db import close_old_connections

        logger.exception("outbox relay pass failed")
        self.stats.errors.append(str(exc))
        close_old_connections()
        connection.close()
        if self.once:
            return False
        _sleep(settings.OUTBOX_POLL_INTERVAL, self.should_stop)
        return True

    def _purge_if_due(self) -> None:
        if time.monotonic() - self.last_purge >= self.purge_every:
            self.last_purge = time.monotonic()
            purged = purge()
            if purged:
                self.log(f"{purged} event(s) projected more than {settings.OUTBOX_RETENTION_DAYS} day(s) ago purged")

    def _wait(self, claimed: int) -> None:
        """After a partial batch: what committed meanwhile has NOTIFYed (the wait returns at once) and what
        is held back is retried shortly, so no second claim just to find nothing."""
        if claimed:
            self.retry = 0.0
        try:
            held = held_back()
        except Exception:  # DB hiccup: the next pass reconnects
            logger.exception("outbox relay: checking held-back events failed")
            held = False
        if held:
            self.retry = min(settings.OUTBOX_POLL_INTERVAL, self.retry * 2 if self.retry else 0.01)
            if claimed:
                return  # e.g. events released behind a failed one of their aggregate: claim again now
            self.listener.wait(self.retry)
        else:
            self.retry = 0.0
            self.listener.wait(settings.OUTBOX_POLL_INTERVAL, linger=settings.OUTBOX_LINGER)


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def notify() -> None:
    """Wake the relays now (after a redrive, for instance)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
