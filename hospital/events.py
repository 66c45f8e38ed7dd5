"""Domain events of master data: one function per event type.

Appended to the outbox inside the calling command's transaction. Payloads
are the full new state of the record, so consumers never need the previous
event. Event type names are a contract: never reuse one.
"""

from hospital.models import Medicamento, Medico, Paciente
from outbox.events import record_event
from outbox.models import OutboxEvent


def medico_salvo(medico: Medico, *, created: bool) -> OutboxEvent:
    return record_event(
        event_type="MedicoCadastrado" if created else "MedicoAtualizado",
        aggregate_type="Medico",
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
        event_type="PacienteCadastrado" if created else "PacienteAtualizado",
        aggregate_type="Paciente",
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
        event_type="MedicamentoCadastrado" if created else "MedicamentoAtualizado",
        aggregate_type="Medicamento",
        aggregate_id=medicamento.pk,
        payload={
            "id_medicamento": medicamento.pk,
            "nome": medicamento.nome,
            "descricao": medicamento.descricao,
            "especialidades_permitidas": list(medicamento.especialidades_permitidas),
            "ativo": medicamento.ativo,
        },
    )
