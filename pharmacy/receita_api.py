"""`GET /api/pharmacy/prescricoes/{id}/receita/`: the receita as printable HTML or as PDF.

The format comes from `?formato=html|pdf`, else from the Accept header
(`application/pdf` or `text/html`; HTML when both or neither). Errors (401,
403, 404, 400) keep the API's JSON error shape whatever was asked for.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from pharmacy import receita as receitas
from pharmacy import receita_render
from pharmacy.views import ReadApi, read_schema


class _ErrorsAsJson(BaseContentNegotiation):
    """DRF renders only this view's errors (the receita itself is a plain HttpResponse): always as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return JSONRenderer(), JSONRenderer.media_type


class ReceitaParamsSerializer(serializers.Serializer):
    formato = serializers.ChoiceField(
        choices=sorted(receita_render.MEDIA_TYPES),
        required=False,
        help_text="html (página para imprimir) ou pdf; sem ele, decide o cabeçalho Accept.",
    )


def _format(request, params: ReceitaParamsSerializer) -> str:
    chosen = params.validated_data.get("formato")
    if chosen:
        return chosen
    preferred = request.get_preferred_type(["text/html", "application/pdf"])
    return "pdf" if preferred == "application/pdf" else "html"


@read_schema(
    "Receita para o paciente (HTML para imprimir ou PDF), a partir do documento da prescrição",
    {
        (200, "text/html"): OpenApiResponse(
            OpenApiTypes.STR,
            description="Página da receita (pt-BR).",
            examples=[OpenApiExample("Receita", value='<!DOCTYPE html><html lang="pt-BR">…Dr. João Silva…</html>')],
        ),
        (200, "application/pdf"): OpenApiResponse(
            OpenApiTypes.BINARY,
            description="A receita em PDF.",
            examples=[OpenApiExample("Receita em PDF", value="%PDF-1.3 …")],
        ),
        400: OpenApiResponse(description="`formato` inválido."),
        404: OpenApiResponse(description="Prescrição inexistente (ou sem itens)."),
    },
    parameters=[ReceitaParamsSerializer],
)
class ReceitaApi(ReadApi, APIView):
    content_negotiation_class = _ErrorsAsJson
    renderer_classes = [JSONRenderer]

    query_serializer_class = ReceitaParamsSerializer

    def read(self, request, prescricao_id: int):
        params = ReceitaParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        chosen = _format(request, params)
        receita = receitas.receita(prescricao_id, using=self.read_db)
        if chosen == "pdf":
            return HttpResponse(
                receita_render.pdf(receita),
                content_type=receita_render.MEDIA_TYPES["pdf"],
                headers={"Content-Disposition": f'inline; filename="receita-{receita.numero}.pdf"'},
            )
        return HttpResponse(receita_render.html(receita), content_type=receita_render.MEDIA_TYPES["html"])
