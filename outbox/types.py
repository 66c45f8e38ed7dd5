"""The kinds of events the outbox carries: declared once, imported everywhere.

Values are a contract with every consumer of the event feed (the projector,
the patient record, whoever reads the outbox later): a value is never
renamed, and never reused for a different meaning.
"""

from enum import StrEnum


class AggregateType(StrEnum):
    """Which write-model record an event is about; `aggregate_id` is that record's id."""

    PRESCRICAO = "Prescricao"
    MEDICO = "Medico"
    PACIENTE = "Paciente"
    MEDICAMENTO = "Medicamento"


class EventType(StrEnum):
    """What happened to the aggregate."""

    PRESCRICAO_CRIADA = "PrescricaoCriada"
    MEDICAMENTO_PRESCRITO = "MedicamentoPrescrito"
    MEDICAMENTO_ALTERADO = "MedicamentoAlterado"
    MEDICAMENTO_REMOVIDO = "MedicamentoRemovido"
    PRESCRICAO_CANCELADA = "PrescricaoCancelada"
    DATA_PRESCRICAO_ALTERADA = "DataPrescricaoAlterada"
    MEDICO_CADASTRADO = "MedicoCadastrado"
    MEDICO_ATUALIZADO = "MedicoAtualizado"
    PACIENTE_CADASTRADO = "PacienteCadastrado"
    PACIENTE_ATUALIZADO = "PacienteAtualizado"
    MEDICAMENTO_CADASTRADO = "MedicamentoCadastrado"
    MEDICAMENTO_ATUALIZADO = "MedicamentoAtualizado"
    # A write that bypassed the commands (ORM update, bulk_create, raw SQL), captured by a trigger.
    ALTERACAO_DIRETA = "AlteracaoDireta"
