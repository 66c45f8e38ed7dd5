"""Every committed change of a write table has an outbox event, whatever the write path, without doubling commands."""

import datetime as dt

import pytest
from django.db import connection, transaction

from hospital import commands as master
from hospital.models import Medico
from outbox.models import OutboxEvent
from prescriptions import commands
from prescriptions.models import PrescricaoMedicamento
from prescriptions.rules import ItemInput

pytestmark = pytest.mark.django_db(transaction=True)


def _events_after(position: int) -> list[tuple[str, str, int]]:
    return list(
        OutboxEvent.objects.filter(pk__gt=position)
        .order_by("pk")
        .values_list("event_type", "aggregate_type", "aggregate_id")
    )


def _last() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_commands_write_exactly_their_own_event(world):
    medico, paciente, (aspirina, paracetamol, _) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    start = _last()
    prescricao = commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk,
        medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg"), ItemInput(paracetamol.pk, "20:00", "500mg")],
    )  # fmt: skip
    commands.add_item(id_prescricao=prescricao.pk, item=ItemInput(aspirina.pk, "12:00", "50mg"))
    master.update_doctor(id_medico=medico.pk, nome="Dr. João S.", especialidade=medico.especialidade, crm=medico.crm)
    assert _events_after(start) == [
        ("PrescricaoCriada", "Prescricao", prescricao.pk),
        ("MedicamentoPrescrito", "Prescricao", prescricao.pk),
        ("MedicoAtualizado", "Medico", medico.pk),
    ]


def test_orm_update_bulk_create_and_raw_sql_get_one_event_per_aggregate(world):
    medico, paciente, (aspirina, paracetamol, dipirona) = (
        world["medicos"][0],
        world["pacientes"][0],
        world["medicamentos"],
    )
    prescricao = commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "1mg")]
    )
    start = _last()

    Medico.objects.filter(pk=medico.pk).update(nome="Renomeado")
    PrescricaoMedicamento.objects.bulk_create(
        [
            PrescricaoMedicamento(prescricao=prescricao, medicamento=paracetamol, horario=dt.time(9), dosagem="x"),
            PrescricaoMedicamento(prescricao=prescricao, medicamento=dipirona, horario=dt.time(10), dosagem="y"),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pacientes SET endereco = 'Rua B' WHERE id = %s", [paciente.pk])
        cursor.execute("UPDATE medicamentos SET nome = nome WHERE id = %s", [aspirina.pk])  # no change: no event

    events = _events_after(start)
    assert events == [
        ("AlteracaoDireta", "Medico", medico.pk),
        ("AlteracaoDireta", "Prescricao", prescricao.pk),  # two items, one statement: one event
        ("AlteracaoDireta", "Paciente", paciente.pk),
    ]
    payload = OutboxEvent.objects.filter(aggregate_type="Paciente").order_by("-pk").first().payload
    assert payload == {"tabela": "pacientes", "operacao": "UPDATE", "id": paciente.pk}


def test_moving_an_item_names_both_prescriptions_and_rollback_leaves_nothing(world):
    medico, paciente, (aspirina, *_) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    one, two = (
        commands.create_prescription(
            id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, h, "1")]
        )
        for h in ("08:00", "09:00")
    )
    start = _last()
    item = one.itens.get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescricao_medicamentos SET id_prescricao = %s WHERE id = %s", [two.pk, item.pk])
    assert sorted(_events_after(start)) == [
        ("AlteracaoDireta", "Prescricao", one.pk),
        ("AlteracaoDireta", "Prescricao", two.pk),
    ]

    start = _last()
    with pytest.raises(RuntimeError), transaction.atomic():
        Medico.objects.filter(pk=medico.pk).update(nome="nunca")
        raise RuntimeError("rollback")
    assert _events_after(start) == []


def test_events_record_their_transaction_and_are_born_projected_in_trigger_mode_only(world, celery_mode):
    medico = world["medicos"][0]
    Medico.objects.filter(pk=medico.pk).update(nome="Em modo celery")
    event = OutboxEvent.objects.order_by("-pk").first()
    assert event.projected_at is None  # celery mode: waits for the projector
    assert all(e.projected_at is not None for e in OutboxEvent.objects.filter(pk__lt=event.pk))  # trigger mode
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xid::text::bigint > 0 FROM {OutboxEvent._meta.db_table} WHERE id = %s", [event.pk])
        assert cursor.fetchone()[0]


@pytest.mark.parametrize("mode", ["trigger", "celery"])
@pytest.mark.parametrize("table", ["prescricao_medicamentos", "prescricoes"])
def test_a_truncated_write_table_empties_the_read_models_in_both_modes(world, mode, table):
    """TRUNCATE writes no outbox event, so in celery mode only the truncate trigger can keep the read side equal."""
    from outbox.sync_mode import set_mode
    from pharmacy.models import ItemDetalhado, PrescricaoDocumento
    from pharmacy.verify import find_drift

    medico, paciente, (aspirina, *_) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg")]
    )  # trigger mode: projected at once
    assert ItemDetalhado.objects.count() == 1 and PrescricaoDocumento.objects.count() == 1
    set_mode(mode)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
        assert ItemDetalhado.objects.count() == 0 and PrescricaoDocumento.objects.count() == 0
        assert not find_drift()
    finally:
        set_mode("trigger")
