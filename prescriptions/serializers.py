"""Input and output shapes of the command endpoints (no business rules here).

Input serializers only check types and sizes so that bad input becomes a 400
with field errors before any command runs; the domain rules (existence,
specialty, HH:MM, duplicates, ...) are the commands' and come back as
`DomainError`s with stable codes.
"""

import datetime as dt

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from hospital.api.fields import HorarioField, HorarioInputField, StrictCharField, StrictIntegerField
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput

MAX_ID = 2**63 - 1  # PostgreSQL bigint: larger ids cannot exist, refuse them as input errors


class ItemInputSerializer(serializers.Serializer):
    id_medicamento = StrictIntegerField(min_value=1, max_value=MAX_ID)
    horario = HorarioInputField()
    dosagem = StrictCharField(max_length=100, allow_blank=True, help_text="ex.: 100mg")


def to_item_input(data: dict) -> ItemInput:
    """A validated `ItemInputSerializer` payload as the commands' `ItemInput`."""
    return ItemInput(data["id_medicamento"], data["horario"], data["dosagem"])


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Prescrição do artigo",
            value={
                "id_medico": 1,
                "id_paciente": 1,
                "data_prescricao": "2023-05-20T14:30:00Z",
                "medicamentos": [
                    {"id_medicamento": 1, "horario": "08:00", "dosagem": "100mg"},
                    {"id_medicamento": 2, "horario": "20:00", "dosagem": "500mg"},
                ],
            },
            request_only=True,
        )
    ]
)
class PrescriptionCreateInputSerializer(serializers.Serializer):
    id_medico = StrictIntegerField(min_value=1, max_value=MAX_ID)
    id_paciente = StrictIntegerField(min_value=1, max_value=MAX_ID)
    data_prescricao = serializers.DateTimeField(required=False, help_text="ISO 8601; padrão: agora")
    id_atendimento = serializers.RegexField(
        r"^[A-Za-z0-9._:-]{1,64}$",
        required=False,
        allow_null=True,
        help_text="o atendimento em que foi escrita (junta-se ao prontuário do paciente)",
    )
    medicamentos = serializers.ListField(child=ItemInputSerializer(), allow_empty=True, max_length=100)


class CancelInputSerializer(serializers.Serializer):
    motivo = StrictCharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Por que a prescrição é cancelada."
    )


# The answers' shapes, declared for the API schema and the tests; `prescriptions.answers` writes the answers.
class ItemOutputSerializer(serializers.ModelSerializer):
    id_prescricao = serializers.IntegerField(source="prescricao_id")
    id_medicamento = serializers.IntegerField(source="medicamento_id")
    horario = HorarioField()

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
            "id_atendimento",
            "medicamentos",
        ]
