"""Every domain rule of prescriptions, through the command functions."""

import datetime as dt

import pytest
from django.utils import timezone

from hospital import commands as master
from hospital.errors import Conflict, DomainError, ErrorCode, NotFound
from outbox.models import OutboxEvent
from prescriptions import commands
from prescriptions.models import Prescricao, PrescricaoMedicamento, StatusPrescricao
from prescriptions.rules import ItemInput

pytestmark = pytest.mark.django_db


def codes(error: DomainError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.by_field().items()}


def create(medico, paciente, *itens, **kwargs):
    return commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=list(itens), **kwargs
    )


def test_creates_prescription_with_items_and_event(cardiologista, paciente, aspirina, paracetamol):
    prescricao = create(
        cardiologista, paciente, ItemInput(aspirina.pk, "08:00", "100mg"), ItemInput(paracetamol.pk, "20:00", " 500mg ")
    )
    rows = list(prescricao.itens.order_by("horario").values_list("medicamento_id", "horario", "dosagem"))
    assert rows == [(aspirina.pk, dt.time(8), "100mg"), (paracetamol.pk, dt.time(20), "500mg")]
    assert prescricao.status == StatusPrescricao.ATIVA
    event = OutboxEvent.objects.get(pk=prescricao.event_position)
    assert event.event_type == "PrescricaoCriada"
    assert event.payload["medico"] == {
        "id_medico": cardiologista.pk,
        "nome": "Dr. João Silva",
        "especialidade": "Cardiologia",
        "crm": "CRM12345",
    }
    assert [m["nome"] for m in event.payload["medicamentos"]] == ["Aspirina", "Paracetamol"]


def test_event_positions_only_grow(cardiologista, paciente, aspirina):
    first = create(cardiologista, paciente, ItemInput(aspirina.pk, "08:00", "1"))
    second = create(cardiologista, paciente, ItemInput(aspirina.pk, "08:00", "1"))
    assert second.event_position > first.event_position


@pytest.mark.parametrize(
    ("medico_id", "paciente_id", "expected"),
    [
        (999_999, None, {"id_medico": [ErrorCode.DOCTOR_NOT_FOUND]}),
        (None, 999_999, {"id_paciente": [ErrorCode.PATIENT_NOT_FOUND]}),
    ],
)
def test_unknown_doctor_or_patient_is_refused(cardiologista, paciente, aspirina, medico_id, paciente_id, expected):
    with pytest.raises(DomainError) as raised:
        commands.create_prescription(
            id_medico=medico_id or cardiologista.pk,
            id_paciente=paciente_id or paciente.pk,
            medicamentos=[ItemInput(aspirina.pk, "08:00", "1")],
        )
    assert codes(raised.value) == expected
    assert not Prescricao.objects.exists()


def test_inactive_doctor_patient_and_medication_are_refused(cardiologista, paciente, aspirina):
    master.update_doctor(
        id_medico=cardiologista.pk, nome=cardiologista.nome, especialidade="Cardiologia", crm="CRM12345", ativo=False
    )
    master.update_patient(
        id_paciente=paciente.pk, nome=paciente.nome, data_nascimento=paciente.data_nascimento, ativo=False
    )
    master.deactivate_medication(id_medicamento=aspirina.pk)
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente, ItemInput(aspirina.pk, "08:00", "1"))
    assert codes(raised.value) == {
        "id_medico": [ErrorCode.DOCTOR_INACTIVE],
        "id_paciente": [ErrorCode.PATIENT_INACTIVE],
        "medicamentos[0].id_medicamento": [ErrorCode.MEDICATION_INACTIVE],
    }


def test_unknown_medication_is_refused(cardiologista, paciente):
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente, ItemInput(424242, "08:00", "1"))
    assert codes(raised.value) == {"medicamentos[0].id_medicamento": [ErrorCode.MEDICATION_NOT_FOUND]}


def test_specialty_must_be_allowed_to_prescribe(cardiologista, oncologista, paciente, quimio):
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente, ItemInput(quimio.pk, "08:00", "50mg"))
    (error,) = raised.value.errors
    assert error.code == ErrorCode.SPECIALTY_NOT_ALLOWED
    assert "Oncologia" in error.message and "Cardiologia" in error.message
    assert create(oncologista, paciente, ItemInput(quimio.pk, "08:00", "50mg")).itens.count() == 1


def test_at_least_one_item(cardiologista, paciente):
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente)
    assert codes(raised.value) == {"medicamentos": [ErrorCode.NO_ITEMS]}


@pytest.mark.parametrize("horario", ["24:00", "8:00", "08:60", "0800", "", "08:00:00", "ab:cd", None])
def test_horario_must_be_hh_mm(cardiologista, paciente, aspirina, horario):
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente, ItemInput(aspirina.pk, horario, "1"))
    assert codes(raised.value) == {"medicamentos[0].horario": [ErrorCode.INVALID_TIME]}


@pytest.mark.parametrize("dosagem", ["", "   ", None])
def test_dosagem_must_not_be_empty(cardiologista, paciente, aspirina, dosagem):
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente, ItemInput(aspirina.pk, "08:00", dosagem))
    assert codes(raised.value) == {"medicamentos[0].dosagem": [ErrorCode.EMPTY_DOSAGE]}


def test_same_medication_at_same_time_twice_is_refused(cardiologista, paciente, aspirina):
    with pytest.raises(DomainError) as raised:
        create(cardiologista, paciente, ItemInput(aspirina.pk, "08:00", "1"), ItemInput(aspirina.pk, "08:00", "2"))
    assert codes(raised.value) == {"medicamentos[1].horario": [ErrorCode.DUPLICATE_ITEM]}
    # the same medication at another time is fine
    assert create(cardiologista, paciente, ItemInput(aspirina.pk, "08:00", "1"), ItemInput(aspirina.pk, "20:00", "1"))


def test_prescription_date_in_the_future_is_refused(cardiologista, paciente, aspirina):
    with pytest.raises(DomainError) as raised:
        create(
            cardiologista,
            paciente,
            ItemInput(aspirina.pk, "08:00", "1"),
            data_prescricao=timezone.now() + dt.timedelta(days=1),
        )
    assert codes(raised.value) == {"data_prescricao": [ErrorCode.DATE_IN_FUTURE]}


def test_every_broken_rule_is_reported_at_once_and_nothing_is_written(cardiologista, paciente, quimio):
    before = OutboxEvent.objects.count()
    with pytest.raises(DomainError) as raised:
        commands.create_prescription(
            id_medico=cardiologista.pk,
            id_paciente=777,
            medicamentos=[ItemInput(quimio.pk, "25:00", ""), ItemInput(31337, "08:00", "1")],
        )
    assert codes(raised.value) == {
        "id_paciente": [ErrorCode.PATIENT_NOT_FOUND],
        "medicamentos[0].id_medicamento": [ErrorCode.SPECIALTY_NOT_ALLOWED],
        "medicamentos[0].horario": [ErrorCode.INVALID_TIME],
        "medicamentos[0].dosagem": [ErrorCode.EMPTY_DOSAGE],
        "medicamentos[1].id_medicamento": [ErrorCode.MEDICATION_NOT_FOUND],
    }
    assert not Prescricao.objects.exists() and not PrescricaoMedicamento.objects.exists()
    assert OutboxEvent.objects.count() == before


def test_add_item_checks_rules_against_existing_items(article_prescription, aspirina, quimio):
    with pytest.raises(DomainError) as raised:
        commands.add_item(id_prescricao=article_prescription.pk, item=ItemInput(aspirina.pk, "08:00", "200mg"))
    assert codes(raised.value) == {"horario": [ErrorCode.DUPLICATE_ITEM]}
    with pytest.raises(DomainError) as raised:
        commands.add_item(id_prescricao=article_prescription.pk, item=ItemInput(quimio.pk, "10:00", "1"))
    assert codes(raised.value) == {"id_medicamento": [ErrorCode.SPECIALTY_NOT_ALLOWED]}
    item = commands.add_item(id_prescricao=article_prescription.pk, item=ItemInput(aspirina.pk, "14:00", "100mg"))
    assert OutboxEvent.objects.get(pk=item.event_position).event_type == "MedicamentoPrescrito"
    assert article_prescription.itens.count() == 3


def test_remove_item_but_never_the_last(article_prescription):
    first, second = article_prescription.itens.order_by("horario")
    prescricao = commands.remove_item(id_prescricao=article_prescription.pk, id_item=first.pk)
    assert OutboxEvent.objects.get(pk=prescricao.event_position).payload["id"] == first.pk
    with pytest.raises(DomainError) as raised:
        commands.remove_item(id_prescricao=article_prescription.pk, id_item=second.pk)
    assert codes(raised.value) == {"item_id": [ErrorCode.LAST_ITEM]}
    assert list(article_prescription.itens.all()) == [second]


def test_unknown_prescription_or_item_is_not_found(article_prescription):
    with pytest.raises(NotFound):
        commands.remove_item(id_prescricao=article_prescription.pk, id_item=987654)
    with pytest.raises(NotFound):
        commands.cancel_prescription(id_prescricao=987654)


def test_cancelled_prescription_cannot_change(article_prescription, aspirina):
    cancelled = commands.cancel_prescription(id_prescricao=article_prescription.pk, motivo="erro de digitação")
    assert cancelled.status == StatusPrescricao.CANCELADA and cancelled.cancelada_em is not None
    assert OutboxEvent.objects.get(pk=cancelled.event_position).event_type == "PrescricaoCancelada"
    for attempt in (
        lambda: commands.add_item(id_prescricao=cancelled.pk, item=ItemInput(aspirina.pk, "09:00", "1")),
        lambda: commands.cancel_prescription(id_prescricao=cancelled.pk),
        lambda: commands.change_prescription_date(id_prescricao=cancelled.pk, data_prescricao=timezone.now()),
    ):
        with pytest.raises(Conflict) as raised:
            attempt()
        assert raised.value.errors[0].code == ErrorCode.PRESCRIPTION_CANCELLED


def test_revision_applies_all_changes_or_none(article_prescription, aspirina, paracetamol, quimio):
    aspirina_item, paracetamol_item = article_prescription.itens.order_by("horario")
    bad = commands.Revision(
        add=[("linha 3", ItemInput(aspirina.pk, "12:00", "100mg"))],
        change={paracetamol_item.pk: ("linha 2", ItemInput(quimio.pk, "21:00", "1"))},
        remove=[aspirina_item.pk],
    )
    with pytest.raises(DomainError) as raised:
        commands.revise_prescription(id_prescricao=article_prescription.pk, revision=bad)
    assert codes(raised.value) == {"linha 2.id_medicamento": [ErrorCode.SPECIALTY_NOT_ALLOWED]}
    assert article_prescription.itens.count() == 2  # the removal did not happen either

    good = commands.Revision(
        data_prescricao=dt.datetime(2023, 5, 21, 9, 0, tzinfo=dt.UTC),
        add=[("linha 3", ItemInput(aspirina.pk, "12:00", "100mg"))],
        change={paracetamol_item.pk: ("linha 2", ItemInput(paracetamol.pk, "21:00", "750mg"))},
        remove=[aspirina_item.pk],
    )
    commands.revise_prescription(id_prescricao=article_prescription.pk, revision=good)
    article_prescription.refresh_from_db()
    assert article_prescription.data_prescricao == dt.datetime(2023, 5, 21, 9, 0, tzinfo=dt.UTC)
    assert sorted(article_prescription.itens.values_list("medicamento_id", "horario", "dosagem")) == sorted(
        [(paracetamol.pk, dt.time(21), "750mg"), (aspirina.pk, dt.time(12), "100mg")]
    )
