"""Output serializers of the read endpoints (the read side has no input serializers)."""

import datetime as dt

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from hospital.api.fields import HorarioField
from pharmacy.models import ItemDetalhado


class WorklistItemSerializer(serializers.ModelSerializer):
    """One worklist row: the source columns of `vw_prescricoes_medicamentos_detalhadas`."""

    data_prescricao = serializers.DateTimeField(default_timezone=dt.UTC, read_only=True)
    horario = HorarioField(read_only=True)

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


_HORARIO_FORMAT = HorarioField().format


def worklist_items(rows: list[dict]) -> list[dict]:
    """Worklist rows fetched as dicts (`selectors.WORKLIST_FIELDS`) in the form `WorklistItemSerializer` writes.

    Only `horario` needs converting (to `HH:MM`); the renderer (`hospital.api.renderers`) writes the rest as
    the serializer does, `data_prescricao` included: Django's PostgreSQL connections hand datetimes in
    UTC, the serializer's timezone. Converts in place and returns `rows`.
    """
    for row in rows:
        row["horario"] = row["horario"].strftime(_HORARIO_FORMAT)
    return rows


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
    descricao = serializers.CharField(allow_null=True)
    horario = HorarioField()
    dosagem = serializers.CharField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Documento da prescrição do artigo",
            value={
                "id_prescricao": 1,
                "data_prescricao": "2023-05-20T14:30:00Z",
                "status": "ativa",
                "medico": {"id_medico": 1, "nome": "Dr. João Silva", "especialidade": "Cardiologia", "crm": "CRM12345"},
                "paciente": {
                    "id_paciente": 1,
                    "nome": "Maria Oliveira",
                    "data_nascimento": "1985-07-10",
                    "endereco": "Rua das Flores, 123",
                },
                "medicamentos": [
                    {"id_medicamento": 1, "nome": "Aspirina", "horario": "08:00", "dosagem": "100mg"},
                    {"id_medicamento": 2, "nome": "Paracetamol", "horario": "20:00", "dosagem": "500mg"},
                ],
            },
            response_only=True,
        )
    ]
)
class PrescriptionDocumentSerializer(serializers.Serializer):
    """The prescription document, as stored (the pharmacy's contract shape plus `status`).

    The stored JSON already has API formats (UTC `Z` datetimes, `HH:MM`), so
    it is returned as is; the fields below document it for the schema.
    Dispense only documents with `status` = `ativa`.
    """

    id_prescricao = serializers.IntegerField()
    data_prescricao = serializers.DateTimeField(help_text="ISO 8601, UTC (Z).")
    status = serializers.ChoiceField(choices=["ativa", "cancelada"], help_text="Dispense somente se `ativa`.")
    motivo_cancelamento = serializers.CharField(
        required=False, help_text="Só em prescrições canceladas: por que foram canceladas."
    )
    medico = _MedicoSerializer()
    paciente = _PacienteSerializer()
    medicamentos = _MedicamentoSerializer(many=True)

    def to_representation(self, instance):
        return instance.documento


class ReplicaStatusSerializer(serializers.Serializer):
    alias = serializers.CharField(
        help_text="Alias da réplica (replica_1, replica_2, ... na ordem de DATABASE_REPLICA_URLS)."
    )
    status = serializers.ChoiceField(
        choices=["ok", "lagging", "down", "not_in_recovery", "unchecked"],
        help_text="ok: atende leituras; lagging: além de REPLICA_MAX_LAG; down: falhou (tentada de novo depois).",
    )
    lag_seconds = serializers.FloatField(allow_null=True, help_text="Atraso de replay (limite superior), em segundos.")
    lag_bytes = serializers.IntegerField(allow_null=True, help_text="WAL do primário ainda não aplicado, em bytes.")
    replay_lsn = serializers.CharField(allow_null=True, help_text="pg_last_wal_replay_lsn() da réplica.")
    error = serializers.CharField(allow_blank=True)


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
    replicas = ReplicaStatusSerializer(many=True, help_text="Réplicas de leitura (vazio sem DATABASE_REPLICA_URLS).")
    reads_served = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Leituras da farmácia atendidas por banco (default = primário), neste processo web.",
    )
    token_reads = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Dessas, as com X-Read-After: onde foram atendidas (default: nenhuma réplica chegara lá a tempo).",
    )
