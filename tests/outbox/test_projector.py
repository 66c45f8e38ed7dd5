"""The projector: shuffled, duplicated and partial event streams converge; poison is dead-lettered alone."""

import contextlib
import datetime as dt
import random

import pytest
from django.db import IntegrityError, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospital import commands as master
from hospital.errors import DomainError
from outbox.models import OutboxEvent
from pharmacy import projector
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.verify import find_drift
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.pharmacy.test_property import _apply, operations

pytestmark = pytest.mark.django_db(transaction=True)


def _pending() -> list[projector.Event]:
    rows = OutboxEvent.objects.filter(projected_at__isnull=True, dead_lettered_at__isnull=True).order_by("pk")
    return [projector.Event(e.pk, e.aggregate_type, e.aggregate_id, e.event_type) for e in rows]


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=12), seed=st.integers(0, 2**32 - 1))
def test_shuffled_and_duplicated_streams_converge_to_the_source_join(world, celery_mode, steps, seed):
    """Celery mode: the triggers stand down; replay the outbox out of order, with duplicates, in random messages."""
    if not commands.Prescricao.objects.exists():
        m, p, meds = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
        commands.create_prescription(
            id_medico=m.pk, id_paciente=p.pk, medicamentos=[ItemInput(meds[0].pk, "08:00", "1")]
        )
    for op in steps:
        with contextlib.suppress(DomainError, IntegrityError):
            _apply(op)
    events = _pending()
    rng = random.Random(seed)
    stream = events + rng.sample(events, k=len(events) // 2)  # every event at least once, some twice
    rng.shuffle(stream)
    while stream:
        size = rng.randint(1, 5)
        message, stream = stream[:size], stream[size:]
        result = projector.apply_events(message)
        assert not result.failed
    drift = find_drift()
    assert not drift, drift.summary()
    assert not OutboxEvent.objects.filter(projected_at__isnull=True).exists()


def test_a_stale_event_delivered_late_never_brings_old_data_back(world, celery_mode):
    medico, paciente, (aspirina, *_) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    prescricao = commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "1mg")]
    )
    created = _pending()
    commands.add_item(id_prescricao=prescricao.pk, item=ItemInput(aspirina.pk, "20:00", "2mg"))
    commands.cancel_prescription(id_prescricao=prescricao.pk)
    projector.apply_events(_pending())  # the newest first
    projector.apply_events(created)  # the creation event arrives late, twice
    projector.apply_events(created)
    assert not ItemDetalhado.objects.filter(id_prescricao=prescricao.pk).exists()  # cancelled: off the worklist
    assert PrescricaoDocumento.objects.get(pk=prescricao.pk).documento["status"] == "cancelada"
    assert not find_drift()


def test_master_data_events_reach_every_prescription_showing_them(world, celery_mode):
    medico, paciente, (aspirina, *_) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    for hour in range(5):
        commands.create_prescription(
            id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, f"{hour:02d}:00", "1")]
        )
    projector.apply_events(_pending())
    master.update_medication(id_medicamento=aspirina.pk, nome="AAS", descricao="novo")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE medicos SET nome = 'Dr. Renomeado' WHERE id = %s", [medico.pk])
    assert set(ItemDetalhado.objects.values_list("nome_medico", flat=True)) == {medico.nome}  # not yet
    projector.apply_events(_pending())
    assert set(ItemDetalhado.objects.values_list("nome_medico", "nome_medicamento")) == {("Dr. Renomeado", "AAS")}
    assert not find_drift()


def test_a_poison_event_is_dead_lettered_and_the_rest_of_the_message_is_applied(world, celery_mode, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    medico, paciente, (aspirina, *_) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    prescricao = commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "1mg")]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT outbox_append('Estranho', 'Desconhecido', 1, '{}')")
        poison = cursor.fetchone()[0]
    message = _pending()
    result = projector.apply_events(message)
    assert list(result.failed) == [poison]
    assert PrescricaoDocumento.objects.filter(pk=prescricao.pk).exists()
    event = OutboxEvent.objects.get(pk=poison)
    assert event.attempts == 1 and event.dead_lettered_at is None and event.published_at is None  # retried later
    projector.apply_events([projector.Event(poison, "Desconhecido", 1)])
    event.refresh_from_db()
    assert event.dead_lettered_at is not None and "Desconhecido" in event.last_error


def test_catch_up_applies_everything_pending_in_process(world, celery_mode):
    medico, paciente, (aspirina, *_) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    for day in range(3):
        commands.create_prescription(
            id_medico=medico.pk,
            id_paciente=paciente.pk,
            medicamentos=[ItemInput(aspirina.pk, "08:00", "1")],
            data_prescricao=dt.datetime(2024, 1, 1 + day, tzinfo=dt.UTC),
        )
    assert find_drift()
    assert projector.catch_up() == 3
    assert not find_drift()
