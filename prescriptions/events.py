"""Domain events of prescriptions: one function per event type.

Each appends its event to the outbox inside the calling command's transaction
and returns it. Payloads carry everything a consumer needs; the creation
event has the prescription document's shape (the source article's
`PrescricaoCriada`). Event type names are a contract: never reuse one.
"""

from hospital.models import Medicamento, Medico, Paciente
from outbox.events import record_event
from outbox.models import OutboxEvent
from outbox.types import AggregateType, EventType
from prescriptions.models import Prescricao, PrescricaoMedicamento


def medico_snapshot(medico: Medico) -> dict:
    return {"id_medico": medico.pk, "nome": medico.nome, "especialidade": medico.especialidade, "crm": medico.crm}


def paciente_snapshot(paciente: Paciente) -> dict:
    return {
        "id_paciente": paciente.pk,
        "nome": paciente.nome,
        "data_nascimento": paciente.data_nascimento.isoformat(),
        "endereco": paciente.endereco,
    }


def item_snapshot(item: PrescricaoMedicamento, medicamento: Medicamento) -> dict:
    return {
        "id": item.pk,
        "id_medicamento": medicamento.pk,
        "nome": medicamento.nome,
        "horario": item.horario.strftime("%H:%M"),
        "dosagem": item.dosagem,
    }


def _event(event_type: EventType, id_prescricao: int, **payload) -> OutboxEvent:
    """Append an event about prescription `id_prescricao`; its payload starts with that id."""
    return record_event(
        event_type=event_type,
        aggregate_type=AggregateType.PRESCRICAO,
        aggregate_id=id_prescricao,
        payload={"id_prescricao": id_prescricao, **payload},
    )


def prescricao_criada(prescricao: Prescricao, itens: list[PrescricaoMedicamento]) -> OutboxEvent:
    return _event(
        EventType.PRESCRICAO_CRIADA,
        prescricao.pk,
        data_prescricao=prescricao.data_prescricao.isoformat(),
        id_atendimento=prescricao.id_atendimento,
        medico=medico_snapshot(prescricao.medico),
        paciente=paciente_snapshot(prescricao.paciente),
        medicamentos=[item_snapshot(item, item.medicamento) for item in itens],
    )


def medicamento_prescrito(item: PrescricaoMedicamento) -> OutboxEvent:
    return _event(EventType.MEDICAMENTO_PRESCRITO, item.prescricao_id, item=item_snapshot(item, item.medicamento))


def medicamento_alterado(item: PrescricaoMedicamento) -> OutboxEvent:
    return _event(EventType.MEDICAMENTO_ALTERADO, item.prescricao_id, item=item_snapshot(item, item.medicamento))


def medicamento_removido(item: PrescricaoMedicamento) -> OutboxEvent:
    return _event(EventType.MEDICAMENTO_REMOVIDO, item.prescricao_id, id=item.pk, id_medicamento=item.medicamento_id)


def prescricao_cancelada(prescricao: Prescricao) -> OutboxEvent:
    return _event(
        EventType.PRESCRICAO_CANCELADA,
        prescricao.pk,
        cancelada_em=prescricao.cancelada_em.isoformat(),
        motivo=prescricao.motivo_cancelamento,
    )


def data_prescricao_alterada(prescricao: Prescricao) -> OutboxEvent:
    return _event(
        EventType.DATA_PRESCRICAO_ALTERADA, prescricao.pk, data_prescricao=prescricao.data_prescricao.isoformat()
    )
