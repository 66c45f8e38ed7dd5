"""The event types other hospital systems deliver, and which source system may send each.

Type names are a contract with the integrators: never rename or reuse one.
"""

from enum import StrEnum

from prontuario.models import Fonte


class TipoEvento(StrEnum):
    ATENDIMENTO_ABERTO = "AtendimentoAberto"
    ATENDIMENTO_FECHADO = "AtendimentoFechado"
    TRIAGEM_REGISTRADA = "TriagemRegistrada"
    EXAME_LABORATORIAL_SOLICITADO = "ExameLaboratorialSolicitado"
    RESULTADO_LABORATORIAL_LIBERADO = "ResultadoLaboratorialLiberado"
    RESULTADO_LABORATORIAL_RETIFICADO = "ResultadoLaboratorialRetificado"
    EXAME_IMAGEM_SOLICITADO = "ExameImagemSolicitado"
    LAUDO_IMAGEM_LIBERADO = "LaudoImagemLiberado"


# The emergency entry (triage) opens and closes visits; each exam system reports its own exams.
FONTE_DO_TIPO: dict[TipoEvento, Fonte] = {
    TipoEvento.ATENDIMENTO_ABERTO: Fonte.TRIAGEM,
    TipoEvento.ATENDIMENTO_FECHADO: Fonte.TRIAGEM,
    TipoEvento.TRIAGEM_REGISTRADA: Fonte.TRIAGEM,
    TipoEvento.EXAME_LABORATORIAL_SOLICITADO: Fonte.LABORATORIO,
    TipoEvento.RESULTADO_LABORATORIAL_LIBERADO: Fonte.LABORATORIO,
    TipoEvento.RESULTADO_LABORATORIAL_RETIFICADO: Fonte.LABORATORIO,
    TipoEvento.EXAME_IMAGEM_SOLICITADO: Fonte.IMAGEM,
    TipoEvento.LAUDO_IMAGEM_LIBERADO: Fonte.IMAGEM,
}

CLASSIFICACOES_DE_RISCO = ["vermelho", "laranja", "amarelo", "verde", "azul"]  # Manchester, most urgent first
