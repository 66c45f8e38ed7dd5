"""Read endpoints of the pharmacy under /api/pharmacy/: read-only, over the read tables only.

Every request costs a constant number of queries (pinned in
tests/pharmacy/test_api.py): the permission check plus one query per view
(with a token, the permission check is usually answered by
`hospital.token_cache`: one query in all).

The hot paths stay lean: worklist rows are fetched as dicts and written by
orjson with no per-row serializer; the id filters are parsed without a
FilterSet (any other query still goes through `ItemFilter`); the document is
returned as stored. The serializers still describe the output for the schema.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.permissions import CanReadPharmacy
from hospital.read_after import READ_AFTER_HEADER, ReadAfterMixin
from hospital.renderers import OrjsonRenderer
from pharmacy import selectors
from pharmacy.filters import ItemFilter, simple_id_filters
from pharmacy.pagination import WorklistPagination
from pharmacy.serializers import PrescriptionDocumentSerializer, SyncStatusSerializer, WorklistItemSerializer
from pharmacy.status import sync_status

ERRORS = {
    401: OpenApiResponse(description="Não autenticado."),
    403: OpenApiResponse(description="Usuário sem permissão de leitura (grupo 'farmacia')."),
    503: OpenApiResponse(description="X-Read-After: a projeção ainda não chegou à posição pedida (veja Retry-After)."),
}
READ_AFTER = OpenApiParameter(
    READ_AFTER_HEADER,
    int,
    OpenApiParameter.HEADER,
    description="Posição do outbox (X-Event-Position de um comando) que a resposta deve refletir.",
)


class ReadApi(ReadAfterMixin):
    """Read endpoints honour `X-Read-After: <outbox position>` (read-your-writes; 503 + Retry-After on timeout)."""

    permission_classes = [CanReadPharmacy]
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]


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
    pagination_class = WorklistPagination

    def get_queryset(self):
        return selectors.item_list()

    def filter_queryset(self, queryset):
        simple = simple_id_filters(self.request.query_params)
        return queryset.filter(**simple) if simple is not None else super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        simple = simple_id_filters(request.query_params)
        page = None
        if simple is not None:
            page = self.paginator.first_page(request, self, lambda limit: selectors.worklist_first_rows(simple, limit))
        if page is None:
            page = self.paginate_queryset(selectors.worklist_rows(self.filter_queryset(self.get_queryset())))
        for row in page:
            row["horario"] = row["horario"].strftime("%H:%M")  # the rest is already what orjson writes
        return self.get_paginated_response(page)


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
        return selectors.document_list()

    def retrieve(self, request, *args, **kwargs):
        document = selectors.document(self.kwargs[self.lookup_url_kwarg])
        if document is None:
            raise NotFound("Prescrição inexistente (ou sem itens).", code="prescricao_inexistente")
        return Response(document)


class StatusApi(ReadApi, APIView):
    @extend_schema(
        tags=["pharmacy"],
        parameters=[READ_AFTER],
        summary="Estado da sincronização dos modelos de leitura",
        responses={200: SyncStatusSerializer, **ERRORS},
    )
    def get(self, request):
        return Response(SyncStatusSerializer(sync_status().as_dict()).data)
