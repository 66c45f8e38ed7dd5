"""`GET /api/pharmacy/busca/`: the search's query parameters, its response, and the view (parse, call, render)."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.api.api_docs import DOCUMENTO
from hospital.specialties import Especialidade
from pharmacy import search
from pharmacy.serializers import PrescriptionDocumentSerializer
from pharmacy.views import ReadApi, read_schema

BIGINT_MAX = 2**63 - 1


SEARCH_EXAMPLE = {
    "count": 1,
    "next": None,
    "results": [
        {
            "id_prescricao": 1,
            "data_prescricao": DOCUMENTO["data_prescricao"],
            "status": "ativa",
            "relevancia": 0.42,
            "destaques": {
                "medico": "Dr. <mark>João</mark> <mark>Silva</mark>",
                "medicamentos": "Aspirina, <mark>Paracetamol</mark>",
            },
            "documento": DOCUMENTO,
        }
    ],
    "facets": {
        "status": [{"valor": "ativa", "total": 1}],
        "especialidade": [{"valor": "Cardiologia", "total": 1}],
        "medicamento": [{"id_medicamento": 2, "nome": "Paracetamol", "total": 1}],
    },
}


class SearchParamsSerializer(serializers.Serializer):
    """The query string of the search (every parameter optional; no words: newest first)."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Palavras buscadas em paciente, médico (nome, CRM, especialidade), medicamentos (nome, "
        "descrição, dosagem) e endereço; sem acentos ou com, prefixos ('parac') e erros de digitação "
        "('Paracetmol') servem. Todas as palavras devem casar.",
    )
    status = serializers.ChoiceField(choices=["ativa", "cancelada"], required=False)
    data_de = serializers.DateField(
        required=False, help_text="Prescritas a partir deste dia (AAAA-MM-DD, horário de Brasília)."
    )
    data_ate = serializers.DateField(required=False, help_text="Prescritas até este dia, inclusive.")
    especialidade = serializers.ChoiceField(choices=Especialidade.choices, required=False)
    id_medicamento = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    id_paciente = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    id_medico = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    cursor = serializers.CharField(required=False, max_length=500, help_text="O `next` da página anterior.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    def validate_cursor(self, value: str) -> search.Position:
        try:
            return search.Position.decode(value)
        except search.InvalidCursor:
            raise serializers.ValidationError(
                "Cursor inválido: use o valor de `next` de uma resposta desta busca.", code="cursor_invalido"
            ) from None

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("data_de"), attrs.get("data_ate")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"data_ate": [serializers.ErrorDetail("data_ate é anterior a data_de.", code="intervalo_invalido")]}
            )
        return attrs

    def filters(self) -> search.Filters:
        data = self.validated_data

        def midnight(day: dt.date | None) -> dt.datetime | None:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None

        end = data.get("data_ate")
        return search.Filters(
            status=data.get("status"),
            desde=midnight(data.get("data_de")),
            ate=midnight(end + dt.timedelta(days=1)) if end else None,
            especialidade=data.get("especialidade"),
            id_medicamento=data.get("id_medicamento"),
            id_paciente=data.get("id_paciente"),
            id_medico=data.get("id_medico"),
        )


class _ValueCount(serializers.Serializer):
    valor = serializers.CharField()
    total = serializers.IntegerField(help_text="Quantas das prescrições encontradas têm este valor.")


class _MedicationCount(serializers.Serializer):
    id_medicamento = serializers.IntegerField()
    nome = serializers.CharField()
    total = serializers.IntegerField(help_text="Quantas das prescrições encontradas têm este medicamento.")


class _Facets(serializers.Serializer):
    status = _ValueCount(many=True)
    especialidade = _ValueCount(many=True)
    medicamento = _MedicationCount(many=True, help_text="Os 20 mais frequentes.")


class _HitSerializer(serializers.Serializer):
    id_prescricao = serializers.IntegerField(source="document.id_prescricao")
    data_prescricao = serializers.DateTimeField(source="document.data_prescricao", default_timezone=dt.UTC)
    status = serializers.CharField(source="document.status", help_text="Dispense somente se `ativa`.")
    relevancia = serializers.FloatField(source="rank")
    destaques = serializers.DictField(
        source="highlights",
        child=serializers.CharField(),
        help_text="Campo do documento -> texto (HTML escapado) com <mark> nas palavras que casaram.",
    )
    documento = PrescriptionDocumentSerializer(source="document")


class SearchResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Total de prescrições encontradas (todas as páginas).")
    next = serializers.URLField(allow_null=True, help_text="A próxima página, ou null.")
    results = _HitSerializer(many=True)
    facets = _Facets(help_text="Contagens sobre todas as prescrições encontradas.")


@read_schema(
    "Busca nas prescrições (texto em português, acentos, prefixos, erros de digitação), filtros e facetas",
    {200: SearchResultSerializer, 400: OpenApiResponse(description="Parâmetro inválido (erros por campo).")},
    [OpenApiExample("?q=joao silva paracetmol", value=SEARCH_EXAMPLE, response_only=True, status_codes=["200"])],
    parameters=[SearchParamsSerializer],
)
class SearchApi(ReadApi, APIView):
    """The pharmacy's search: parses the query string, calls `pharmacy.search.search`, renders one page."""

    query_serializer_class = SearchParamsSerializer

    def read(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page = search.search(
            data.get("q", ""), params.filters(), after=data.get("cursor"), limit=data["page_size"], using=self.read_db
        )
        next_url = None
        if page.next is not None:
            query = request.query_params.copy()
            query["cursor"] = page.next.encode()
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        body = {"count": page.count, "next": next_url, "results": page.hits, "facets": page.facets}
        return Response(SearchResultSerializer(body).data)
