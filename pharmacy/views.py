"""Read endpoints of the pharmacy under /api/pharmacy/: read-only, over the read tables only.

Every request costs a constant number of queries (pinned in
tests/pharmacy/test_api.py): the permission check plus one query per view.
With read replicas the item and document reads run on one
(`hospital.replicas`); the status reads the primary (a replica's backlog
would be as old as the replica) and adds each replica's lag.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.permissions import CanReadPharmacy
from hospital.query_params import KnownQueryParametersMixin
from hospital.read_after import READ_AFTER_HEADER, ReadAfterMixin
from hospital.replicas.health import replica_status
from hospital.replicas.views import ReplicaReadMixin
from pharmacy import selectors
from pharmacy.filters import ItemFilter
from pharmacy.pagination import ItemCursorPagination
from pharmacy.serializers import PrescriptionDocumentSerializer, SyncStatusSerializer, WorklistItemSerializer
from pharmacy.status import sync_status

ERRORS = {
    401: OpenApiResponse(description="Não autenticado."),
    403: OpenApiResponse(description="Usuário sem permissão de leitura (grupo 'farmacia')."),
    503: OpenApiResponse(description="X-Read-After: a projeção ainda não chegou à posição pedida (veja Retry-After)."),
}
READ_AFTER = OpenApiParameter(
    READ_AFTER_HEADER,
    str,
    OpenApiParameter.HEADER,
    description=(
        "O X-Read-Token de um comando (posição@LSN) ou sua posição do outbox (X-Event-Position): "
        "a resposta reflete ao menos esse estado."
    ),
)


class ReadApi(ReplicaReadMixin, KnownQueryParametersMixin):
    """Read endpoints: on a replica when one fits; honour `X-Read-After` (503 + Retry-After on timeout).

    They refuse query parameters they do not know (a misspelt filter must not widen the answer).
    """

    permission_classes = [CanReadPharmacy]


@extend_schema_view(
    get=extend_schema(
        tags=["pharmacy"],
        parameters=[READ_AFTER],
        summary="Fila da farmácia: um item por medicamento prescrito (prescrições ativas)",
        responses={200: WorklistItemSerializer(many=True), **ERRORS},
    )
)
class ItemListApi(ReadApi, generics.ListAPIView):
    serializer_class = WorklistItemSerializer
    filterset_class = ItemFilter
    pagination_class = ItemCursorPagination

    def get_queryset(self):
        return selectors.item_list(using=self.read_db)


@extend_schema_view(
    get=extend_schema(
        tags=["pharmacy"],
        parameters=[READ_AFTER],
        summary="Documento da prescrição",
        responses={
            200: PrescriptionDocumentSerializer,
            **ERRORS,
            404: OpenApiResponse(description="Prescrição inexistente (ou sem itens)."),
        },
    )
)
class DocumentDetailApi(ReadApi, generics.RetrieveAPIView):
    serializer_class = PrescriptionDocumentSerializer
    lookup_field = "id_prescricao"
    lookup_url_kwarg = "prescricao_id"
    filter_backends = []

    def get_queryset(self):
        return selectors.document_list(using=self.read_db)


class StatusApi(ReadAfterMixin, APIView):
    permission_classes = [CanReadPharmacy]

    @extend_schema(
        tags=["pharmacy"],
        parameters=[READ_AFTER],
        summary="Estado da sincronização dos modelos de leitura",
        responses={200: SyncStatusSerializer, **ERRORS},
    )
    def get(self, request):
        return Response(SyncStatusSerializer(sync_status().as_dict() | replica_status()).data)
