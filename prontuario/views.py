"""Endpoints of the record: the integration inbox (write) and the record's documents (read)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.models import Paciente
from prontuario import ingestion, selectors
from prontuario.errors import IntegrationErrorCode, SourceNotAllowed
from prontuario.examples import BATCH_EXAMPLE, RECEIPT_EXAMPLE, RECORD_EXAMPLE, VISIT_EXAMPLE
from prontuario.permissions import CanReadRecords, IsIntegrationSource, integration_source
from prontuario.serializers import LoteEntrada, LoteRecibo

ERRORS = {
    401: OpenApiResponse(description="Não autenticado."),
    403: OpenApiResponse(description="Sem permissão (grupo) ou eventos de outro sistema de origem."),
}


class EventBatchApi(APIView):
    permission_classes = [IsIntegrationSource]

    @extend_schema(
        request=LoteEntrada,
        responses={
            200: LoteRecibo,
            400: OpenApiResponse(description="Lote malformado: erros por evento (eventos[3].tipo); nada gravado."),
            **ERRORS,
        },
        examples=[
            OpenApiExample("Lote do laboratório", value=BATCH_EXAMPLE, request_only=True),
            OpenApiExample("Recibo", value=RECEIPT_EXAMPLE, response_only=True, status_codes=["200"]),
        ],
        tags=["integracoes"],
        summary="Entregar um lote de eventos de um sistema do hospital (triagem, laboratório, imagem)",
    )
    def post(self, request):
        serializer = LoteEntrada(data=request.data)
        serializer.is_valid(raise_exception=True)
        fonte = integration_source(request.user)
        data = serializer.validated_data
        if data.get("fonte", fonte) != fonte:
            message = f"Este token entrega eventos de '{fonte}', não de '{data['fonte']}'."
            raise SourceNotAllowed.single("fonte", IntegrationErrorCode.SOURCE_NOT_ALLOWED, message)
        receipt = ingestion.receive_events(
            fonte=fonte, eventos=[ingestion.IncomingEvent(**evento) for evento in data["eventos"]]
        )
        return Response(
            {
                "fonte": fonte,
                "aplicados": receipt.count("aplicado"),
                "pendentes": receipt.count("pendente"),
                "duplicados": receipt.count("duplicado"),
                "eventos": [{"id_evento": k, "situacao": v} for k, v in receipt.situacoes.items()],
            }
        )


class VisitPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class PatientRecordOutput(serializers.Serializer):
    paciente = serializers.DictField()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    atendimentos = serializers.ListField(child=serializers.DictField(), help_text="documentos de atendimento")


def _patient_or_404(id_paciente: int) -> Paciente:
    paciente = Paciente.objects.filter(pk=id_paciente).first()
    if paciente is None:
        raise NotFound(f"Paciente {id_paciente} não existe.")
    return paciente


class PatientRecordApi(APIView):
    permission_classes = [CanReadRecords]

    @extend_schema(
        responses={200: PatientRecordOutput, **ERRORS, 404: OpenApiResponse(description="Paciente inexistente.")},
        examples=[OpenApiExample("Maria Oliveira", value=RECORD_EXAMPLE, response_only=True, status_codes=["200"])],
        tags=["prontuarios"],
        summary="Prontuário consolidado do paciente: atendimentos do mais recente ao mais antigo, paginados",
    )
    def get(self, request, id_paciente: int):
        paciente = _patient_or_404(id_paciente)
        paginator = VisitPagination()
        page = paginator.paginate_queryset(selectors.visit_documents(id_paciente), request, view=self)
        return Response(
            {
                "paciente": {"id_paciente": paciente.pk, "nome": paciente.nome,
                             "data_nascimento": paciente.data_nascimento.isoformat()},
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "atendimentos": [row.documento for row in page],
            }
        )  # fmt: skip


class VisitRecordApi(APIView):
    permission_classes = [CanReadRecords]

    @extend_schema(
        responses={
            200: OpenApiResponse(description="Documento do atendimento.", examples=[
                OpenApiExample("Atendimento", value=VISIT_EXAMPLE)]),
            **ERRORS,
            404: OpenApiResponse(description="Atendimento sem registro para este paciente."),
        },
        tags=["prontuarios"],
        summary="Documento de um atendimento: triagem, prescrições, exames com resultados e laudos, pendências",
    )  # fmt: skip
    def get(self, request, id_paciente: int, id_atendimento: str):
        row = selectors.visit_document(id_paciente, id_atendimento)
        if row is None:
            raise NotFound(f"O paciente {id_paciente} não tem registro do atendimento {id_atendimento}.")
        return Response(row.documento)
