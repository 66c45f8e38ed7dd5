"""What the API documentation shows: the one error shape, pagination examples, the source article's data.

Every operation's examples are built from the source article's prescription
(Dr. João Silva, Cardiologia, CRM12345; Maria Oliveira; Aspirina 100mg at
08:00 and Paracetamol 500mg at 20:00, prescribed 2023-05-20 14:30 in São
Paulo), with the ids `manage.py seed_demo` gives them on a fresh database, so
"Try it out" against the demo answers what the example shows.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from hospital.api.authentication import MISSING_CREDENTIALS

EXAMPLE_BASE_URL = "http://127.0.0.1:8000"

MEDICO = {"id_medico": 1, "nome": "Dr. João Silva", "especialidade": "Cardiologia", "crm": "CRM12345"}
PACIENTE = {
    "id_paciente": 1,
    "nome": "Maria Oliveira",
    "data_nascimento": "1985-07-10",
    "endereco": "Rua das Flores, 123",
}
ASPIRINA = {"id_medicamento": 1, "nome": "Aspirina", "horario": "08:00", "dosagem": "100mg"}
PARACETAMOL = {"id_medicamento": 2, "nome": "Paracetamol", "horario": "20:00", "dosagem": "500mg"}
DATA_PRESCRICAO = "2023-05-20T17:30:00Z"  # 14:30 in São Paulo

DOCUMENTO = {
    "id_prescricao": 1,
    "data_prescricao": DATA_PRESCRICAO,
    "status": "ativa",
    "medico": MEDICO,
    "paciente": PACIENTE,
    "medicamentos": [ASPIRINA, PARACETAMOL],
}


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Código estável do erro (ex.: especialidade_nao_autorizada).")
    message = serializers.CharField(help_text="O que está errado e como corrigir.")


class ErrorSerializer(serializers.Serializer):
    """The one error shape of every 4xx answer."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=ErrorItemSerializer(many=True), help_text='Erros por campo, ex.: "medicamentos[0].horario".'
    )


def error_example(name: str, status: int, detail: str, code: str, errors: dict | None = None) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={"detail": detail, "code": code, "errors": errors or {}},
        response_only=True,
        status_codes=[str(status)],
    )


def error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description, examples=list(examples))


UNAUTHENTICATED = error(
    "Não autenticado: envie `Authorization: Token <chave>`.",
    error_example("Sem credenciais", 401, MISSING_CREDENTIALS, "not_authenticated"),
)


def forbidden(message: str) -> OpenApiResponse:
    return error("Usuário sem permissão.", error_example("Sem permissão", 403, message, "permission_denied"))


class ExamplePagination:
    """Mixin for DRF paginators: the schema's `next`/`previous` examples point at this API, not api.example.org."""

    example_path = "/api/"
    example_query = "page=2"

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated.get("properties", {})
        if "next" in properties:
            properties["next"]["example"] = f"{EXAMPLE_BASE_URL}{self.example_path}?{self.example_query}"
        if "previous" in properties:
            properties["previous"]["example"] = None
        if "count" in properties:
            properties["count"]["example"] = 120
        return paginated
