"""The event types other hospital systems deliver, and which source system may send each.

Type names are a contract with the integrators: never rename or reuse one.
"""

from enum import StrEnum

from prontuario.models import Fonte


class RecordEventType(StrEnum):
    ATENDIMENTO_ABERTO = "AtendimentoAberto"
    ATENDIMENTO_FECHADO = "AtendimentoFechado"
    TRIAGEM_REGISTRADA = "TriagemRegistrada"
    EXAME_LABORATORIAL_SOLICITADO = "ExameLaboratorialSolicitado"
    RESULTADO_LABORATORIAL_LIBERADO = "ResultadoLaboratorialLiberado"
    RESULTADO_LABORATORIAL_RETIFICADO = "ResultadoLaboratorialRetificado"
    EXAME_IMAGEM_SOLICITADO = "ExameImagemSolicitado"
    LAUDO_IMAGEM_LIBERADO = "LaudoImagemLiberado"


# The emergency entry (triage) opens and closes visits; each exam system reports its own exams.
SOURCE_OF_TYPE: dict[RecordEventType, Fonte] = {
    RecordEventType.ATENDIMENTO_ABERTO: Fonte.TRIAGEM,
    RecordEventType.ATENDIMENTO_FECHADO: Fonte.TRIAGEM,
    RecordEventType.TRIAGEM_REGISTRADA: Fonte.TRIAGEM,
    RecordEventType.EXAME_LABORATORIAL_SOLICITADO: Fonte.LABORATORIO,
    RecordEventType.RESULTADO_LABORATORIAL_LIBERADO: Fonte.LABORATORIO,
    RecordEventType.RESULTADO_LABORATORIAL_RETIFICADO: Fonte.LABORATORIO,
    RecordEventType.EXAME_IMAGEM_SOLICITADO: Fonte.IMAGEM,
    RecordEventType.LAUDO_IMAGEM_LIBERADO: Fonte.IMAGEM,
}

RISK_CLASSES = ["vermelho", "laranja", "amarelo", "verde", "azul"]  # Manchester, most urgent first
