"""Prescriptions reach the record through the event feed: in the writing transaction (trigger mode) and
through the relay and a real Celery worker (celery mode); verify/repair and rebuild cover the documents."""

import datetime as dt

import pytest
from django.core.management import call_command

from hospital import commands as master
from prescriptions import commands
from prescriptions.rules import ItemInput
from prontuario import verify
from prontuario.models import DocumentoAtendimento
from tests.celery.conftest import wait_until

WHEN = dt.datetime(2024, 3, 10, 14, 20, tzinfo=dt.UTC)


def _doc(paciente_id: int, atendimento: str = "ATD-1") -> dict | None:
    row = DocumentoAtendimento.objects.filter(id_paciente=paciente_id, id_atendimento=atendimento).first()
    return row.documento if row else None


def _prescriptions(paciente_id: int) -> list[tuple]:
    doc = _doc(paciente_id) or {"prescricoes": []}
    return [
        (rx["situacao"], rx["medico"]["nome"], [(m["nome"], m["horario"], m["dosagem"]) for m in rx["medicamentos"]])
        for rx in doc["prescricoes"]
    ]


def _write_history(cardiologista, paciente, aspirina, paracetamol) -> None:
    """Create in a visit, add an item, cancel, rename the doctor; and one prescription outside any visit."""
    rx = commands.create_prescription(
        id_medico=cardiologista.pk, id_paciente=paciente.pk, id_atendimento="ATD-1", data_prescricao=WHEN,
        medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg")],
    )  # fmt: skip
    commands.add_item(id_prescricao=rx.pk, item=ItemInput(paracetamol.pk, "20:00", "500mg"))
    commands.cancel_prescription(id_prescricao=rx.pk, motivo="troca")
    commands.create_prescription(
        id_medico=cardiologista.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "09:00", "1 cp")]
    )
    master.update_doctor(
        id_medico=cardiologista.pk, nome="Dr. João S. Silva", especialidade=cardiologista.especialidade,
        crm=cardiologista.crm,
    )  # fmt: skip


EXPECTED = [("cancelada", "Dr. João S. Silva", [("Aspirina", "08:00", "100mg"), ("Paracetamol", "20:00", "500mg")])]


@pytest.mark.django_db
def test_trigger_mode_applies_prescriptions_in_the_writing_transaction(cardiologista, paciente, aspirina, paracetamol):
    _write_history(cardiologista, paciente, aspirina, paracetamol)
    assert _prescriptions(paciente.pk) == EXPECTED
    assert _doc(paciente.pk)["atendimento"]["situacao"] == "nao_aberto"
    assert not verify.find_drift()


@pytest.mark.django_db
def test_a_refused_prescription_leaves_no_trace_in_the_record(cardiologista, paciente, aspirina):
    with pytest.raises(Exception):  # noqa: B017 -- the domain refuses the empty prescription
        commands.create_prescription(
            id_medico=cardiologista.pk, id_paciente=paciente.pk, id_atendimento="ATD-1", medicamentos=[]
        )
    assert _doc(paciente.pk) is None


@pytest.mark.django_db
def test_verify_finds_and_repairs_drift_and_rebuild_gives_the_same_documents(
    cardiologista, paciente, aspirina, paracetamol
):
    _write_history(cardiologista, paciente, aspirina, paracetamol)
    before = _doc(paciente.pk)
    DocumentoAtendimento.objects.all().delete()
    with pytest.raises(SystemExit):
        call_command("verify_read_model")
    assert verify.find_drift().missing == [(paciente.pk, "ATD-1")]
    call_command("verify_read_model", "--repair")
    assert _doc(paciente.pk) == before
    DocumentoAtendimento.objects.all().delete()
    call_command("rebuild_prontuarios")
    assert _doc(paciente.pk) == before


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_celery_mode_applies_prescriptions_through_relay_and_worker(
    stack, cardiologista, paciente, aspirina, paracetamol
):
    stack.worker("w1", concurrency=1)
    stack.relay("r1")
    _write_history(cardiologista, paciente, aspirina, paracetamol)
    wait_until(lambda: _prescriptions(paciente.pk) == EXPECTED, 60, "the record to show the prescriptions", stack)
    assert not verify.find_drift()
