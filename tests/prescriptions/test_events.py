"""The outbox event commits with the command's change, or not at all."""

import pytest
from django.db import transaction

from outbox.events import record_event
from outbox.models import OutboxEvent
from prescriptions import commands, events
from prescriptions.models import Prescricao
from prescriptions.rules import ItemInput


@pytest.mark.django_db(transaction=True)
def test_event_is_committed_with_the_prescription(cardiologista, paciente, aspirina):
    prescricao = commands.create_prescription(
        id_medico=cardiologista.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "1")]
    )
    event = OutboxEvent.objects.get(pk=prescricao.event_position)
    assert (event.aggregate_type, event.aggregate_id, event.published_at) == ("Prescricao", prescricao.pk, None)


@pytest.mark.django_db(transaction=True)
def test_a_command_failing_after_its_event_leaves_neither(monkeypatch, cardiologista, paciente, aspirina):
    def event_then_crash(*args, **kwargs):
        events.record_event(event_type="PrescricaoCriada", aggregate_type="Prescricao", aggregate_id=0, payload={})
        raise RuntimeError("crash after the event was written")

    monkeypatch.setattr(events, "prescricao_criada", event_then_crash)
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError):
        commands.create_prescription(
            id_medico=cardiologista.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "1")]
        )
    assert OutboxEvent.objects.count() == before
    assert not Prescricao.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_events_cannot_be_recorded_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the command's transaction"):
        record_event(event_type="X", aggregate_type="Y", aggregate_id=1, payload={})
    with transaction.atomic():
        assert record_event(event_type="X", aggregate_type="Y", aggregate_id=1, payload={}).pk


@pytest.mark.django_db(transaction=True)
def test_commands_refuse_to_run_nested_in_another_transaction(cardiologista, paciente, aspirina):
    with pytest.raises(RuntimeError), transaction.atomic():
        commands.create_prescription(
            id_medico=cardiologista.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "1")]
        )
