"""Input and output shapes of the command endpoints (no business rules here).

Input serializers only check types and sizes so that bad input becomes a 400
with field errors before any command runs; the domain rules (existence,
specialty, HH:MM, duplicates, ...) are the commands' and come back as
`DomainError`s with stable codes.
"""

import datetime as dt

from rest_framework import serializers

from hospital.api_docs import HorarioInputField, HorarioOutputField
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput

MAX_ID = 2**63 - 1  # PostgreSQL bigint: larger ids cannot exist, refuse them as input errors


class ItemInputSerializer(serializers.Serializer):
    id_medicamento = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    horario = HorarioInputField()
    dosagem = serializers.CharField(max_length=100, allow_blank=True, help_text="ex.: 100mg")


def to_item_input(data: dict) -> ItemInput:
    """A validated `ItemInputSerializer` payload as the commands' `ItemInput`."""
    return ItemInput(data["id_medicamento"], data["horario"], data["dosagem"])


class PrescriptionCreateInputSerializer(serializers.Serializer):
    id_medico = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    id_paciente = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    data_prescricao = serializers.DateTimeField(required=False, help_text="ISO 8601; padrão: agora")
    medicamentos = serializers.ListField(child=ItemInputSerializer(), allow_empty=True, max_length=100)


class CancelInputSerializer(serializers.Serializer):
    motivo = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Por que a prescrição é cancelada."
    )


class ItemOutputSerializer(serializers.ModelSerializer):
    id_prescricao = serializers.IntegerField(source="prescricao_id")
    id_medicamento = serializers.IntegerField(source="medicamento_id")
    horario = HorarioOutputField()

    class Meta:
        model = PrescricaoMedicamento
        fields = ["id", "id_prescricao", "id_medicamento", "horario", "dosagem"]


class PrescriptionOutputSerializer(serializers.ModelSerializer):
    id_prescricao = serializers.IntegerField(source="pk")
    id_medico = serializers.IntegerField(source="medico_id")
    id_paciente = serializers.IntegerField(source="paciente_id")
    # UTC with "Z", the format of the pharmacy's documents, so both sides show the same instant the same way.
    data_prescricao = serializers.DateTimeField(default_timezone=dt.UTC)
    cancelada_em = serializers.DateTimeField(default_timezone=dt.UTC, allow_null=True)
    medicamentos = ItemOutputSerializer(source="itens", many=True)

    class Meta:
        model = Prescricao
        fields = [
            "id_prescricao",
            "id_medico",
            "id_paciente",
            "data_prescricao",
            "status",
            "cancelada_em",
            "motivo_cancelamento",
            "medicamentos",
        ]
