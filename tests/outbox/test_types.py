"""Every event the code writes has a type declared in `outbox.types`: every command, and a captured direct write."""

import datetime as dt

import pytest
from django.utils import timezone

from hospital import commands as master
from hospital.models import Medico
from outbox.models import OutboxEvent
from outbox.types import AggregateType, EventType
from prescriptions import commands
from prescriptions.commands import Revision
from prescriptions.rules import ItemInput

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_command_and_captured_write_emits_declared_types(world):
    medico, paciente, (aspirina, paracetamol, _) = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    start = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    novo = master.register_doctor(nome="Dra. Nova", especialidade=medico.especialidade, crm="99999")
    master.update_doctor(id_medico=novo.pk, nome="Dra. Nova S.", especialidade=novo.especialidade, crm=novo.crm)
    outro = master.register_patient(nome="Outro Paciente", data_nascimento=dt.date(1990, 1, 1))
    master.update_patient(id_paciente=outro.pk, nome="Outro P.", data_nascimento=dt.date(1990, 1, 1))
    remedio = master.register_medication(nome="Remédio Novo")
    master.update_medication(id_medicamento=remedio.pk, nome="Remédio Novo 2")
    prescricao = commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg")]
    )
    item = commands.add_item(id_prescricao=prescricao.pk, item=ItemInput(paracetamol.pk, "12:00", "500mg"))
    first = prescricao.itens.exclude(pk=item.pk).get()
    commands.revise_prescription(
        id_prescricao=prescricao.pk,
        revision=Revision(change={first.pk: ("medicamentos[0]", ItemInput(aspirina.pk, "09:00", "100mg"))}),
    )
    commands.remove_item(id_prescricao=prescricao.pk, id_item=item.pk)
    commands.change_prescription_date(id_prescricao=prescricao.pk, data_prescricao=timezone.now())
    commands.cancel_prescription(id_prescricao=prescricao.pk)
    Medico.objects.filter(pk=medico.pk).update(nome="Direto")  # bypasses the commands: captured by a trigger

    written = set(OutboxEvent.objects.filter(pk__gt=start).values_list("event_type", "aggregate_type"))
    assert {event_type for event_type, _ in written} == set(EventType)  # every declared type is emitted, too
    assert {aggregate for _, aggregate in written} == set(AggregateType)
