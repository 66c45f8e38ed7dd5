"""Output serializers of the read endpoints (the read side has no input serializers)."""

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hospital.api_docs import HORARIO_SCHEMA, HorarioOutputField
from pharmacy.models import ItemDetalhado


class WorklistItemSerializer(serializers.ModelSerializer):
    """One worklist row: the source columns of `vw_prescricoes_medicamentos_detalhadas`."""

    data_prescricao = serializers.DateTimeField(default_timezone=dt.UTC, read_only=True)
    horario = HorarioOutputField(read_only=True)

    class Meta:
        model = ItemDetalhado
        fields = [
            "id",
            "id_prescricao",
            "data_prescricao",
            "id_medico",
            "nome_medico",
            "especialidade_medico",
            "crm_medico",
            "id_paciente",
            "nome_paciente",
            "data_nascimento_paciente",
            "endereco_paciente",
            "id_medicamento",
            "nome_medicamento",
            "descricao_medicamento",
            "horario",
            "dosagem",
        ]
        read_only_fields = fields


class _MedicoSerializer(serializers.Serializer):
    id_medico = serializers.IntegerField()
    nome = serializers.CharField()
    especialidade = serializers.CharField()
    crm = serializers.CharField()


class _PacienteSerializer(serializers.Serializer):
    id_paciente = serializers.IntegerField()
    nome = serializers.CharField()
    data_nascimento = serializers.DateField()
    endereco = serializers.CharField(allow_null=True)


class _MedicamentoSerializer(serializers.Serializer):
    id_medicamento = serializers.IntegerField()
    nome = serializers.CharField()
    horario = extend_schema_field(HORARIO_SCHEMA)(serializers.CharField)()
    dosagem = serializers.CharField()


class PrescriptionDocumentSerializer(serializers.Serializer):
    """The prescription document, as stored (DESIGN.md's shape plus `status`).

    The stored JSON already has API formats (UTC `Z` datetimes, `HH:MM`), so
    it is returned as is; the fields below document it for the schema.
    Dispense only documents with `status` = `ativa`.
    """

    id_prescricao = serializers.IntegerField()
    data_prescricao = serializers.CharField(help_text="ISO 8601, UTC (Z).")
    status = serializers.ChoiceField(choices=["ativa", "cancelada"], help_text="Dispense somente se `ativa`.")
    motivo_cancelamento = serializers.CharField(
        required=False, help_text="Só em prescrições canceladas: por que foram canceladas."
    )
    medico = _MedicoSerializer()
    paciente = _PacienteSerializer()
    medicamentos = _MedicamentoSerializer(many=True)

    def to_representation(self, instance):
        return instance.documento


class SyncStatusSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text="Modo de sincronização em vigor (o do banco): trigger ou celery.")
    database_mode = serializers.CharField(help_text="O mesmo que `mode` (mantido por compatibilidade).")
    backlog = serializers.IntegerField(help_text="Eventos ainda não aplicados aos modelos de leitura.")
    unpublished = serializers.IntegerField(help_text="Eventos ainda não entregues ao broker.")
    oldest_pending_at = serializers.DateTimeField(allow_null=True)
    oldest_pending_age_seconds = serializers.FloatField(allow_null=True)
    dead_letters = serializers.IntegerField()
    last_position = serializers.IntegerField(allow_null=True)
    projection_position = serializers.IntegerField(
        help_text="Posição do outbox até a qual os modelos de leitura refletem todos os eventos (X-Read-After)."
    )
    lag_events = serializers.IntegerField(help_text="Atraso dos modelos de leitura, em eventos (0 em modo trigger).")
