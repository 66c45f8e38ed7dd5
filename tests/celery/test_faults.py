"""Faults with real processes and the shipped settings: nothing committed is lost, the read models converge.

Real PostgreSQL, real Redis, real `outbox_relay` and Celery worker processes
(`shipped_stack`: no setting lowered). Each test ends with every committed
event projected and `verify_read_model` passing, and records how long the
read models took to converge after the fault (listed at the end of the run).
PostgreSQL restarts are in `test_postgres_restart.py`.
"""

import os
import signal
import time

import pytest
from django.db import connections

from outbox import pg
from outbox.models import OutboxEvent
from pharmacy.models import PrescricaoDocumento
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.celery.conftest import assert_nothing_lost, time_to_converge, wait_until
from tests.celery.test_async_mode import _prescribe, _world

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _leased(ids) -> bool:
    """Claimed by a relay (leased) and not yet marked published."""
    events = OutboxEvent.objects.filter(aggregate_id__in=ids, aggregate_type="Prescricao")
    return events.count() == len(ids) and not events.filter(next_attempt_at__isnull=True).exists()


def _unpublished(ids) -> list[int]:
    return list(OutboxEvent.objects.filter(pk__in=ids, published_at__isnull=True).values_list("pk", flat=True))


def test_relay_killed_between_publish_and_mark_published(shipped_stack, private_redis, record_convergence):
    """The broker has the message, the outbox does not know: a duplicate at worst, never a loss."""
    shipped_stack.env["REDIS_URL"] = private_redis.url
    medicos, pacientes, medicamentos = _world()
    ids = [_prescribe(medicos[0], pacientes[0], medicamentos[n], hour=n) for n in range(5)]
    private_redis.freeze()  # the relay's publish will wait for Redis's answer
    shipped_stack.relay("r1")
    wait_until(lambda: _leased(ids), 30, "the relay to claim the events", shipped_stack)
    events = list(
        OutboxEvent.objects.filter(aggregate_id__in=ids, aggregate_type="Prescricao").values_list("pk", flat=True)
    )
    with pg.connect() as gate:
        # Row locks: once Redis answers, the relay's mark-published UPDATE waits behind them.
        gate.execute(f"SELECT id FROM {OutboxEvent._meta.db_table} WHERE id = ANY(%s) FOR UPDATE", [events])
        private_redis.thaw()
        wait_until(lambda: private_redis.queued() > 0, 30, "the message to reach Redis", shipped_stack)
        assert _unpublished(events) == events  # published to the broker, not marked in the outbox
        shipped_stack.kill("r1")
        killed_at = time.monotonic()
        gate.rollback()
    shipped_stack.relay("r2")
    shipped_stack.worker("w1")
    later = [_prescribe(medicos[1], pacientes[1], medicamentos[n], hour=n) for n in range(5, 8)]
    record_convergence(time_to_converge(killed_at, shipped_stack), "relay SIGKILLed")
    assert PrescricaoDocumento.objects.filter(pk__in=ids + later).count() == 8
    assert_nothing_lost()


def test_worker_killed_mid_batch(shipped_stack, record_convergence):
    """SIGKILL inside a message (its transaction open, the message unacknowledged): republished, not lost."""
    medicos, pacientes, medicamentos = _world()
    shipped_stack.relay("r1")
    ids = [_prescribe(medicos[0], pacientes[0], medicamentos[n % 12], hour=n % 24) for n in range(60)]
    # Hold one prescription's projector lock: the worker blocks inside a message, in its transaction.
    blocker = connections.create_connection("default")
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(pharmacy_lock_namespace(), %s)", [ids[30]])
        shipped_stack.worker("w1", concurrency=1)
        wait_until(lambda: _stuck(ids[30]), 30, "the worker to block inside a message", shipped_stack)
        shipped_stack.kill("w1")  # SIGKILL of its process group: the message stays unacknowledged in Redis
        killed_at = time.monotonic()
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")
        blocker.close()
    assert OutboxEvent.objects.filter(projected_at__isnull=True).exists()
    shipped_stack.worker("w2")
    record_convergence(time_to_converge(killed_at, shipped_stack), "worker SIGKILLed")
    assert PrescricaoDocumento.objects.filter(pk__in=ids).count() == 60
    assert_nothing_lost()


def _stuck(prescription_id: int) -> bool:
    """A session waits for the projector's advisory lock on this prescription."""
    with pg.connect() as conn:
        return conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = pharmacy_lock_namespace() AND objid = %s)",
            [prescription_id],
        ).fetchone()[0]


def test_redis_killed_with_messages_queued_then_restarted(shipped_stack, private_redis, record_convergence):
    """Queued messages die with a Redis that keeps nothing on disk; the relay publishes them again."""
    shipped_stack.env["REDIS_URL"] = private_redis.url
    medicos, pacientes, medicamentos = _world()
    shipped_stack.relay("r1")
    queued = [_prescribe(medicos[0], pacientes[0], medicamentos[n % 12], hour=n) for n in range(20)]
    wait_until(lambda: not _unpublished(list(OutboxEvent.objects.values_list("pk", flat=True))), 30,
               "everything to be published", shipped_stack)  # fmt: skip
    assert private_redis.queued() > 0  # no worker yet: the messages wait in Redis
    private_redis.stop()  # SIGKILL
    shipped_stack.worker("w1")  # starts while the broker is down
    during = [_prescribe(medicos[1], pacientes[1], medicamentos[n % 12], hour=n) for n in range(5)]
    private_redis.start()  # empty: the queued messages are gone
    restarted_at = time.monotonic()
    record_convergence(time_to_converge(restarted_at, shipped_stack), "Redis killed and restarted")
    assert PrescricaoDocumento.objects.filter(pk__in=queued + during).count() == 25
    assert_nothing_lost()


def test_frozen_relay_is_taken_over_after_its_lease(shipped_stack, private_redis, record_convergence, settings):
    """A relay stopped (SIGSTOP) holding leases: a second relay publishes its events once the lease runs out."""
    shipped_stack.env["REDIS_URL"] = private_redis.url
    medicos, pacientes, medicamentos = _world()
    held = [_prescribe(medicos[0], pacientes[0], medicamentos[n], hour=n) for n in range(5)]
    private_redis.freeze()  # r1 connects and waits for Redis's first answer, before sending any message
    shipped_stack.relay("r1")
    wait_until(lambda: _leased(held), 30, "the first relay to claim the events", shipped_stack)
    os.killpg(shipped_stack.procs["r1"].pid, signal.SIGSTOP)
    frozen_at = time.monotonic()
    private_redis.thaw()
    try:
        shipped_stack.relay("r2")
        shipped_stack.worker("w1")
        fresh = [_prescribe(medicos[1], pacientes[1], medicamentos[n], hour=n) for n in range(5, 8)]
        wait_until(lambda: PrescricaoDocumento.objects.filter(pk__in=fresh).count() == 3, 30,
                   "the second relay to publish new events meanwhile", shipped_stack)  # fmt: skip
        assert not PrescricaoDocumento.objects.filter(pk__in=held).exists()  # still leased by the frozen relay
        elapsed = time_to_converge(frozen_at, shipped_stack, timeout=settings.OUTBOX_LEASE + 30)
        assert elapsed >= settings.OUTBOX_LEASE - 1  # taken over after the lease, not before
        record_convergence(elapsed, f"relay frozen, lease {settings.OUTBOX_LEASE:g}s")
    finally:
        os.killpg(shipped_stack.procs["r1"].pid, signal.SIGCONT)
    # The frozen relay wakes up, publishes its stale claim (a duplicate) and marks it: harmless.
    time.sleep(0.5)
    wait_until(lambda: not OutboxEvent.objects.filter(projected_at__isnull=True).exists(), 30, "all projected")
    assert_nothing_lost()


def test_long_transaction_open_during_writes_skips_nothing(shipped_stack, record_convergence):
    """A write transaction takes an early position and commits after many later writes: its event is not skipped."""
    medicos, pacientes, medicamentos = _world()
    first = _prescribe(medicos[0], pacientes[0], medicamentos[0])
    shipped_stack.worker("w1")
    shipped_stack.relay("r1")
    with pg.connect() as late:
        # Takes its outbox position now (as a command does), commits after twenty-one later writes.
        late.execute(
            "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
            "VALUES (%s, %s, '23:00', 'tardio')",
            [first, medicamentos[5].pk],
        )
        late.execute("SELECT outbox_append('MedicamentoPrescrito', 'Prescricao', %s, '{}')", [first])
        late_position = late.execute(f"SELECT max(id) FROM {OutboxEvent._meta.db_table}").fetchone()[0]
        later = [_prescribe(medicos[1], pacientes[1], medicamentos[n % 12], hour=n) for n in range(1, 21)]
        commands.add_item(id_prescricao=first, item=ItemInput(medicamentos[6].pk, "22:00", "cedo"))
        assert OutboxEvent.objects.order_by("-pk").first().pk > late_position + 20
        time.sleep(1)  # the relay makes passes while the transaction is open
        late.commit()
        committed_at = time.monotonic()
    record_convergence(time_to_converge(committed_at, shipped_stack), "after the long transaction committed")
    documento = PrescricaoDocumento.objects.get(pk=first).documento
    assert {item["dosagem"] for item in documento["medicamentos"]} == {"1mg", "tardio", "cedo"}
    assert PrescricaoDocumento.objects.filter(pk__in=later).count() == 20
    assert OutboxEvent.objects.get(pk=late_position).projected_at is not None
    assert_nothing_lost()
