"""Input and output shapes of the record's endpoints (no business rules here).

Each event type has a serializer for its `dados`; the batch serializer checks
every event's envelope and data so that a malformed event becomes a 400 with
field errors such as `eventos[3].dados.chegada_em`, before anything is stored.
Instants are normalized to UTC (`...Z`), so redelivered events compare equal.
"""

import datetime as dt
from functools import partial

from rest_framework import serializers

from prontuario.event_types import RISK_CLASSES, RecordEventType
from prontuario.models import Fonte

MAX_ID = 2**63 - 1
MAX_EVENTS_PER_BATCH = 1000
ATENDIMENTO_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"

Instante = partial(serializers.DateTimeField, default_timezone=dt.UTC, help_text="ISO 8601 com fuso")
Texto = partial(serializers.CharField, required=False, default="", allow_blank=True)


class AtendimentoAbertoDados(serializers.Serializer):
    aberto_em = Instante()
    setor = Texto(max_length=100)
    motivo = Texto(max_length=500)


class AtendimentoFechadoDados(serializers.Serializer):
    fechado_em = Instante()
    desfecho = Texto(max_length=200, help_text="ex.: alta, internação, transferência")


class SinaisVitais(serializers.Serializer):
    pressao_sistolica = serializers.IntegerField(min_value=30, max_value=300, required=False)
    pressao_diastolica = serializers.IntegerField(min_value=10, max_value=200, required=False)
    frequencia_cardiaca = serializers.IntegerField(min_value=10, max_value=300, required=False)
    frequencia_respiratoria = serializers.IntegerField(min_value=2, max_value=90, required=False)
    temperatura = serializers.FloatField(min_value=25, max_value=45, required=False, help_text="°C")
    saturacao_o2 = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text="%")


class TriagemRegistradaDados(serializers.Serializer):
    chegada_em = Instante()
    queixa = serializers.CharField(max_length=1000)
    sinais_vitais = SinaisVitais()
    classificacao_risco = serializers.ChoiceField(choices=RISK_CLASSES, help_text="Manchester")


class ExameLaboratorialSolicitadoDados(serializers.Serializer):
    id_exame = serializers.CharField(max_length=64)
    codigo = Texto(max_length=30)
    nome = serializers.CharField(max_length=200)
    solicitado_em = Instante()


class ResultadoAnalito(serializers.Serializer):
    analito = serializers.CharField(max_length=100)
    valor = serializers.CharField(max_length=100)
    unidade = Texto(max_length=30)
    referencia = Texto(max_length=100)


class ResultadoLaboratorialLiberadoDados(serializers.Serializer):
    id_exame = serializers.CharField(max_length=64)
    liberado_em = Instante()
    resultados = serializers.ListField(child=ResultadoAnalito(), min_length=1, max_length=100)


class ResultadoLaboratorialRetificadoDados(ResultadoLaboratorialLiberadoDados):
    motivo = serializers.CharField(max_length=500)


class ExameImagemSolicitadoDados(serializers.Serializer):
    id_exame = serializers.CharField(max_length=64)
    modalidade = serializers.CharField(max_length=30, help_text="ex.: RX, TC, RM, US")
    descricao = serializers.CharField(max_length=200)
    solicitado_em = Instante()


class LaudoImagemLiberadoDados(serializers.Serializer):
    id_exame = serializers.CharField(max_length=64)
    liberado_em = Instante()
    laudo = serializers.CharField(max_length=20000)
    conclusao = Texto(max_length=2000)


PAYLOAD_OF_TYPE: dict[str, type[serializers.Serializer]] = {
    RecordEventType.ATENDIMENTO_ABERTO: AtendimentoAbertoDados,
    RecordEventType.ATENDIMENTO_FECHADO: AtendimentoFechadoDados,
    RecordEventType.TRIAGEM_REGISTRADA: TriagemRegistradaDados,
    RecordEventType.EXAME_LABORATORIAL_SOLICITADO: ExameLaboratorialSolicitadoDados,
    RecordEventType.RESULTADO_LABORATORIAL_LIBERADO: ResultadoLaboratorialLiberadoDados,
    RecordEventType.RESULTADO_LABORATORIAL_RETIFICADO: ResultadoLaboratorialRetificadoDados,
    RecordEventType.EXAME_IMAGEM_SOLICITADO: ExameImagemSolicitadoDados,
    RecordEventType.LAUDO_IMAGEM_LIBERADO: LaudoImagemLiberadoDados,
}


class EventoEntrada(serializers.Serializer):
    id_evento = serializers.CharField(max_length=100, help_text="único por sistema de origem")
    tipo = serializers.ChoiceField(choices=[t.value for t in RecordEventType])
    id_paciente = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    id_atendimento = serializers.RegexField(ATENDIMENTO_PATTERN, help_text="1 a 64 de A-Z a-z 0-9 . _ : -")
    versao = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, help_text="versão do registro na origem (ou instante em ms); a maior vale"
    )
    ocorrido_em = Instante()
    dados = serializers.DictField(help_text="conforme o tipo (veja o README)")

    def validate(self, attrs: dict) -> dict:
        dados = _payload_serializer(attrs["tipo"])
        try:
            valid = dados.run_validation(attrs["dados"])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"dados": exc.detail}) from exc
        return {**attrs, "dados": dados.to_representation(valid)}


_PAYLOAD_SERIALIZERS: dict[str, serializers.Serializer] = {}


def _payload_serializer(tipo: str) -> serializers.Serializer:
    """One reusable instance per type: building a serializer deep-copies its fields, which costs more than
    validating an event (`run_validation` keeps no per-call state)."""
    if tipo not in _PAYLOAD_SERIALIZERS:
        _PAYLOAD_SERIALIZERS[tipo] = PAYLOAD_OF_TYPE[tipo]()
    return _PAYLOAD_SERIALIZERS[tipo]


class LoteEntrada(serializers.Serializer):
    fonte = serializers.ChoiceField(
        choices=Fonte.choices, required=False, help_text="o sistema do token; se informado, deve ser o dele"
    )
    eventos = serializers.ListField(child=EventoEntrada(), min_length=1, max_length=MAX_EVENTS_PER_BATCH)


class EventoRecibo(serializers.Serializer):
    id_evento = serializers.CharField()
    situacao = serializers.ChoiceField(
        choices=["aplicado", "pendente", "duplicado"],
        help_text="pendente: o paciente ainda não existe; será aplicado quando for cadastrado",
    )


class LoteRecibo(serializers.Serializer):
    fonte = serializers.CharField()
    aplicados = serializers.IntegerField()
    pendentes = serializers.IntegerField()
    duplicados = serializers.IntegerField()
    eventos = EventoRecibo(many=True)
