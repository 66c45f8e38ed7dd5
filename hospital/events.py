"""Domain events of master data: one function per event type.

Appended to the outbox inside the calling command's transaction. Payloads
are the full new state of the record, so consumers never need the previous
event. Event and aggregate types are `outbox.types` members.
"""

from hospital.models import Medicamento, Medico, Paciente
from outbox.events import record_event
from outbox.models import OutboxEvent
from outbox.types import AggregateType, EventType


def medico_salvo(medico: Medico, *, created: bool) -> OutboxEvent:
    return record_event(
        event_type=EventType.MEDICO_CADASTRADO if created else EventType.MEDICO_ATUALIZADO,
        aggregate_type=AggregateType.MEDICO,
        aggregate_id=medico.pk,
        payload={
            "id_medico": medico.pk,
            "nome": medico.nome,
            "especialidade": medico.especialidade,
            "crm": medico.crm,
            "crm_uf": medico.crm_uf,
            "ativo": medico.ativo,
        },
    )


def paciente_salvo(paciente: Paciente, *, created: bool) -> OutboxEvent:
    return record_event(
        event_type=EventType.PACIENTE_CADASTRADO if created else EventType.PACIENTE_ATUALIZADO,
        aggregate_type=AggregateType.PACIENTE,
        aggregate_id=paciente.pk,
        payload={
            "id_paciente": paciente.pk,
            "nome": paciente.nome,
            "data_nascimento": paciente.data_nascimento.isoformat(),
            "endereco": paciente.endereco,
            "prontuario": paciente.prontuario,
            "ativo": paciente.ativo,
        },
    )


def medicamento_salvo(medicamento: Medicamento, *, created: bool) -> OutboxEvent:
    return record_event(
        event_type=EventType.MEDICAMENTO_CADASTRADO if created else EventType.MEDICAMENTO_ATUALIZADO,
        aggregate_type=AggregateType.MEDICAMENTO,
        aggregate_id=medicamento.pk,
        payload={
            "id_medicamento": medicamento.pk,
            "nome": medicamento.nome,
            "descricao": medicamento.descricao,
            "especialidades_permitidas": list(medicamento.especialidades_permitidas),
            "ativo": medicamento.ativo,
        },
    )
