"""The relay against the real database: order, leases, per-aggregate order, late commits, failures, purge."""

import datetime as dt
import json
import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from outbox import pg, publishing, queries, relay, store
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _add(aggregate_id: int, aggregate_type: str = "Prescricao") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT outbox_append('Teste', %s, %s, '{}')",
            [aggregate_type, aggregate_id],
        )
        return cursor.fetchone()[0]


def _other_connection() -> psycopg.Connection:
    return pg.connect()


def test_publishes_in_position_order_in_batches_and_marks_published(celery_mode, publisher, settings):
    settings.OUTBOX_MESSAGE_SIZE = 3
    ids = [_add(n) for n in range(7)]
    assert relay.relay_batch(publisher) == 7
    assert publisher.messages == [ids[0:3], ids[3:6], ids[6:7]]
    assert not OutboxEvent.objects.filter(pk__in=ids, published_at__isnull=True).exists()
    assert relay.relay_batch(publisher) == 0  # nothing twice


def test_broker_down_publishes_nothing_counts_no_attempt_and_later_delivers(celery_mode, publisher):
    ids = [_add(n) for n in range(3)]
    publisher.fail_with = publishing.BrokerUnavailable("connection refused")
    with pytest.raises(publishing.BrokerUnavailable):
        relay.relay_batch(publisher)
    events = OutboxEvent.objects.filter(pk__in=ids)
    assert all(e.published_at is None and e.attempts == 0 and e.next_attempt_at is None for e in events)
    assert "broker" in events[0].last_error
    publisher.fail_with = None
    assert relay.relay_batch(publisher) == 3
    assert publisher.published == ids


def test_a_late_committing_transaction_is_never_skipped(celery_mode, publisher):
    """Position p1 taken by a transaction that commits after p2: p2 waits at the horizon, then both go, in order."""
    late = _other_connection()
    try:
        late.execute("SELECT outbox_append('Tardio', 'Prescricao', 1, '{}')")
        p2 = _add(2)  # commits now, with a higher position
        assert relay.relay_batch(publisher) == 0  # p2's transaction is above the horizon while p1's is open
        late.commit()
    finally:
        late.close()
    p1 = OutboxEvent.objects.get(event_type="Tardio").pk
    assert p1 < p2
    assert relay.relay_batch(publisher) == 2
    assert publisher.published == [p1, p2]


def test_two_relays_split_the_work_but_never_overtake_within_an_aggregate(celery_mode, publisher):
    first_x = _add(1)
    other = _add(2)
    second_x = _add(1)
    # Relay A leases the first event of aggregate 1 and has not published it yet.
    leased = store.claim(batch_size=1)
    assert [c.id for c in leased] == [first_x]
    # Relay B: takes aggregate 2, but not aggregate 1's second event while the first is in flight.
    assert relay.relay_batch(publisher) == 1
    assert publisher.published == [other]
    # Relay A publishes: now B may go on with aggregate 1.
    OutboxEvent.objects.filter(pk=first_x).update(published_at=timezone.now(), next_attempt_at=None)
    assert relay.relay_batch(publisher) == 1
    assert publisher.published == [other, second_x]


def test_failures_back_off_then_dead_letter_without_blocking_others(celery_mode, publisher, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_BACKOFF_BASE = 0.0
    poison, fine, after_poison = _add(1), _add(2), _add(1)
    publisher.poison = {poison}
    relay.relay_batch(publisher)
    event = OutboxEvent.objects.get(pk=poison)
    assert (event.attempts, event.dead_lettered_at, event.published_at) == (1, None, None)
    assert "cannot serialize" in event.last_error
    assert publisher.published == [fine]  # the rest of the message went out; 1's successor waits behind it
    relay.relay_batch(publisher)
    event.refresh_from_db()
    assert event.attempts == 2 and event.dead_lettered_at is not None
    relay.relay_batch(publisher)  # a dead letter no longer blocks its aggregate
    assert publisher.published == [fine, after_poison]

    publisher.poison = set()
    call_command("outbox_redrive", str(poison))
    event.refresh_from_db()
    assert (event.attempts, event.dead_lettered_at) == (0, None)
    relay.relay_batch(publisher)
    assert publisher.published[-1] == poison


def test_backoff_grows_exponentially_and_is_capped(celery_mode, settings):
    settings.OUTBOX_BACKOFF_BASE, settings.OUTBOX_BACKOFF_MAX, settings.OUTBOX_MAX_ATTEMPTS = 1, 10, 100
    event_id = _add(1)
    delays = []
    for _ in range(5):
        with transaction.atomic(), connection.cursor() as cursor:  # now() is the transaction's start
            store.record_failure([event_id], "boom")
            cursor.execute("SELECT now()")
            now = cursor.fetchone()[0]
            delays.append((OutboxEvent.objects.get(pk=event_id).next_attempt_at - now).total_seconds())
    assert delays == [1, 2, 4, 8, 10]


def test_lost_messages_are_published_again(celery_mode, publisher, settings):
    settings.OUTBOX_REPUBLISH_AFTER = 60
    event_id = _add(1)
    relay.relay_batch(publisher)
    assert store.requeue_lost() == 0
    OutboxEvent.objects.filter(pk=event_id).update(published_at=timezone.now() - dt.timedelta(minutes=5))
    assert store.requeue_lost() == 1
    relay.relay_batch(publisher)
    assert publisher.published == [event_id, event_id]


def test_once_drains_and_exits(celery_mode, publisher, settings):
    settings.OUTBOX_BATCH_SIZE = 10
    ids = [_add(n) for n in range(25)]
    stats = relay.run(once=True, publish=publisher)
    assert stats.published == 25 and publisher.published == ids


def test_purge_keeps_recent_pending_and_dead_letters(celery_mode):
    old_done, old_dead, recent_done, pending = (_add(n) for n in range(4))
    long_ago = timezone.now() - dt.timedelta(days=30)
    OutboxEvent.objects.filter(pk=old_done).update(projected_at=long_ago)
    OutboxEvent.objects.filter(pk=old_dead).update(dead_lettered_at=long_ago, projected_at=None)
    OutboxEvent.objects.filter(pk=recent_done).update(projected_at=timezone.now())
    assert store.purge(older_than_days=7) == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) >= {old_dead, recent_done, pending}
    assert not OutboxEvent.objects.filter(pk=old_done).exists()


def test_listener_wakes_on_commit_of_an_event(celery_mode):
    listener = relay.Listener()
    try:
        assert listener.wait(0.05) is False
        _add(1)
        assert listener.wait(5) is True
    finally:
        listener.close()


def test_listener_lingers_and_swallows_the_notifications_of_that_time(celery_mode):
    """Commits arriving within the linger share the pass that follows: no extra wake-up per commit."""
    listener = relay.Listener()
    try:
        assert listener.wait(0.05) is False
        _add(1)
        late = threading.Timer(0.05, _add_in_thread, [2])
        late.start()
        t0 = time.monotonic()
        assert listener.wait(5, linger=0.3) is True
        assert time.monotonic() - t0 >= 0.3
        late.join()
        assert listener.wait(0.1) is False  # event 2's NOTIFY arrived during the linger: already consumed
        _add(3)
        assert listener.wait(5) is True  # later commits still wake it
    finally:
        listener.close()


def _add_in_thread(aggregate_id: int) -> None:
    try:
        _add(aggregate_id)
    finally:
        connection.close()


def test_held_back_reports_due_events_only(celery_mode, publisher):
    assert not store.held_back()
    first = _add(1)
    assert store.held_back()
    relay.relay_batch(publisher)
    assert publisher.published == [first]
    assert not store.held_back()  # published events are not waiting


def _outbox_seq_scan(sql: str) -> bool:
    """Does the plan of `sql` read the outbox table sequentially (the whole table, history included)?"""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == OutboxEvent._meta.db_table:
            return True
        stack.extend(node.get("Plans", []))
    return False


def test_outbox_queries_walk_their_partial_indexes_after_a_drained_backlog(celery_mode):
    """Statistics taken while a backlog was pending must not turn the idle relay's checks into full scans.

    The relay's held-back check once ran as EXISTS (...), whose ORDER BY/LIMIT PostgreSQL drops: with
    these statistics it chose a sequential scan of the whole outbox on every idle pass (180 ms at 1M rows).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT outbox_append('Teste', 'Prescricao', g, '{}') FROM generate_series(1, 20000) g")
        cursor.execute(f"ANALYZE {OutboxEvent._meta.db_table}")  # statistics: everything pending
    OutboxEvent.objects.update(published_at=Now(), projected_at=Now())  # drained since
    assert not _outbox_seq_scan(queries.HELD_BACK_SQL)
    claim = queries.CLAIM_SQL.replace("%(horizon)s", "'1'").replace("%(batch)s", "1000").replace("%(lease)s", "30")
    assert not _outbox_seq_scan(claim)
    assert not _outbox_seq_scan(queries.IS_PROJECTED_SQL.replace("%(p)s", "19000"))  # X-Read-After
    # The status counts need statistics that know the backlog is drained (autovacuum, or the relay's
    # vacuumer, analyzes the outbox); then none reads the projected history (as FILTER aggregates did).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {OutboxEvent._meta.db_table}")
    assert not _outbox_seq_scan(queries.FEED_STATUS_SQL)


def test_lost_messages_are_republished_only_while_the_broker_queue_is_empty(celery_mode, publisher, settings):
    """A queued backlog is not amplified: an old unprojected event goes out again only once nothing is queued."""
    import redis

    from hospital.local_servers import redis_py_url

    broker = redis.Redis.from_url(redis_py_url(settings.REDIS_URL))
    broker.flushdb()  # this suite's own database number
    event_id = _add(1)
    relay.relay_batch(publisher)
    OutboxEvent.objects.filter(pk=event_id).update(published_at=timezone.now() - dt.timedelta(minutes=5))
    publishing.celery_publisher()([store.Claimed(event_id, "Teste", "Prescricao", 1, 0)])  # still queued: no worker
    assert publishing.broker_queue_empty() is False
    relay.run(once=True, publish=publisher)
    assert publisher.published == [event_id]
    assert OutboxEvent.objects.get(pk=event_id).published_at is not None

    broker.flushdb()  # the workers took everything; the event's message was lost with one of them
    assert publishing.broker_queue_empty() is True
    relay.run(once=True, publish=publisher)
    assert publisher.published == [event_id, event_id]


def test_events_blocked_behind_a_dead_relays_leases_never_starve_claimable_ones(celery_mode, publisher, settings):
    """A relay died holding leases on the first event of 30 aggregates; their second events come next in the queue.

    A batch's worth of those blocked events must not hide the claimable events behind them until the lease
    runs out: the claim skips what is blocked and still takes whole batches of what is not, and the blocked
    events wait, in order, for the events ahead of them.
    """
    settings.OUTBOX_BATCH_SIZE = 10
    firsts = [_add(n) for n in range(30)]
    assert [c.id for c in store.claim(batch_size=30)] == firsts  # the dead relay's leases (30 s)
    blocked = [_add(n) for n in range(30)]
    free = [_add(100 + n) for n in range(25)]
    assert relay.relay_batch(publisher) == 10
    assert relay.relay_batch(publisher) == 10
    assert relay.relay_batch(publisher) == 5
    assert relay.relay_batch(publisher) == 0
    assert publisher.published == free
    OutboxEvent.objects.filter(pk__in=firsts).update(next_attempt_at=timezone.now())  # the leases run out
    while relay.relay_batch(publisher):
        pass
    assert publisher.published == free + firsts + blocked
