"""Read endpoints of the pharmacy under /api/pharmacy/: read-only, over the read tables only.

Every request costs a constant number of queries (pinned in
tests/pharmacy/test_api.py): the permission check plus one query per view.
With read replicas the item and document reads run on one
(`hospital.replicas`); the status reads the primary (a replica's backlog
would be as old as the replica) and adds each replica's lag.

The item and document reads stay lean, since they are what the pharmacy
calls all day: rows are fetched as dicts and written by orjson
(`hospital.api.renderers`) with no per-row serializer; filters that are only
ids are parsed without a FilterSet; a worklist's first page and a document
run SQL compiled once per process (`pharmacy.selectors`). The serializers
still describe the answers for the schema, and the answers are the bytes
they would give (`tests/pharmacy/test_lean_reads.py`).
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.api.api_docs import (
    ASPIRINA,
    DATA_PRESCRICAO,
    DOCUMENTO,
    MEDICO,
    PACIENTE,
    UNAUTHENTICATED,
    error,
    error_example,
    forbidden,
)
from hospital.api.permissions import CanReadPharmacy
from hospital.api.query_params import KnownQueryParametersMixin
from hospital.api.renderers import OrjsonRenderer
from hospital.replicas.health import replica_status
from pharmacy import selectors
from pharmacy.filters import DOCUMENT_ID_FILTERS, ITEM_ID_FILTERS, DocumentFilter, ItemFilter, plain_ids
from pharmacy.pagination import DocumentCursorPagination, ItemCursorPagination
from pharmacy.read_after import READ_AFTER_HEADER, ReadAfterMixin
from pharmacy.replica_views import ReplicaReadMixin
from pharmacy.serializers import (
    PrescriptionDocumentSerializer,
    SyncStatusSerializer,
    WorklistItemSerializer,
    worklist_items,
)
from pharmacy.status import sync_status

ERRORS = {
    401: UNAUTHENTICATED,
    403: forbidden("Somente a farmácia (grupo 'farmacia'), prescritores ou a equipe podem consultar."),
    503: error(
        "X-Read-After: a projeção ainda não chegou à posição pedida (veja Retry-After).",
        error_example(
            "Projeção atrasada",
            503,
            "Os modelos de leitura ainda não refletem essa posição; tente de novo em instantes.",
            "projecao_atrasada",
        ),
    ),
}
NOT_FOUND = error(
    "Prescrição inexistente (ou sem itens).",
    error_example("Prescrição inexistente", 404, "Não encontrado.", "not_found"),
)
WORKLIST_ROW = {
    "id": 1,
    "id_prescricao": 1,
    "data_prescricao": DATA_PRESCRICAO,
    "id_medico": MEDICO["id_medico"],
    "nome_medico": MEDICO["nome"],
    "especialidade_medico": MEDICO["especialidade"],
    "crm_medico": MEDICO["crm"],
    "id_paciente": PACIENTE["id_paciente"],
    "nome_paciente": PACIENTE["nome"],
    "data_nascimento_paciente": PACIENTE["data_nascimento"],
    "endereco_paciente": PACIENTE["endereco"],
    "id_medicamento": ASPIRINA["id_medicamento"],
    "nome_medicamento": ASPIRINA["nome"],
    "descricao_medicamento": "Analgésico e anti-inflamatório",
    "horario": ASPIRINA["horario"],
    "dosagem": ASPIRINA["dosagem"],
}
STATUS = {
    "mode": "trigger",
    "database_mode": "trigger",
    "backlog": 0,
    "unpublished": 0,
    "oldest_pending_at": None,
    "oldest_pending_age_seconds": None,
    "dead_letters": 0,
    "last_position": 57,
    "projection_position": 57,
    "lag_events": 0,
}


def _example(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


READ_AFTER = OpenApiParameter(
    READ_AFTER_HEADER,
    str,
    OpenApiParameter.HEADER,
    description=(
        "O X-Read-Token de um comando (posição@LSN) ou sua posição do outbox (X-Event-Position): "
        "a resposta reflete ao menos esse estado."
    ),
)


def read_schema(summary: str, responses: dict, examples=(), parameters=()):
    """The schema of a pharmacy read (GET): its tag, its `parameters` and `X-Read-After`, its answers and `ERRORS`."""
    return extend_schema_view(
        get=extend_schema(
            tags=["pharmacy"],
            parameters=[*parameters, READ_AFTER],
            summary=summary,
            responses={**responses, **ERRORS},
            examples=list(examples),
        )
    )


class ReadApi(ReplicaReadMixin, KnownQueryParametersMixin):
    """Read endpoints: on a replica when one fits; honour `X-Read-After` (503 + Retry-After on timeout).

    They refuse query parameters they do not know (a misspelt filter must not widen the answer).
    """

    permission_classes = [CanReadPharmacy]


class LeanReadApi(ReadApi):
    """The item and document reads: JSON written by orjson, query parameters known once per view class.

    Their data carries none of what orjson writes differently from DRF (`hospital.api.renderers`); the
    search's relevance is a float, so it keeps DRF's renderer.
    """

    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]
    _known_parameters: dict[type, frozenset[str]] = {}

    def known_query_parameters(self) -> frozenset[str]:
        """The view's known parameters, found once per view class (they are its filters' and paginator's)."""
        known = self._known_parameters.get(type(self))
        if known is None:
            known = self._known_parameters[type(self)] = frozenset(super().known_query_parameters())
        return known


class LeanListApi(LeanReadApi, generics.ListAPIView):
    """A lean list: filters that are only plain ids skip the FilterSet, and a page is rendered without a serializer.

    A subclass names the filters its selector answers from ids (`id_filters`) and gives the rows for
    those ids (`rows_for_ids`), the rows the FilterSet left (`filtered_rows`) and a page's JSON-ready
    body (`page_body`).
    """

    id_filters: tuple[str, ...]

    def list(self, request, *args, **kwargs):
        ids = plain_ids(request.query_params, self.filterset_class, self.id_filters)
        # Without plain ids (a date, an id that is not plain digits) the FilterSet validates and filters.
        rows = (
            self.rows_for_ids(ids) if ids is not None else self.filtered_rows(self.filter_queryset(self.get_queryset()))
        )
        return self.get_paginated_response(self.page_body(self.paginate_queryset(rows)))


@read_schema(
    "Fila da farmácia: um item por medicamento prescrito (prescrições ativas)",
    {200: WorklistItemSerializer(many=True)},
    [_example("Aspirina 100mg às 08:00 de Maria Oliveira", WORKLIST_ROW)],
)
class ItemListApi(LeanListApi):
    serializer_class = WorklistItemSerializer
    filterset_class = ItemFilter
    pagination_class = ItemCursorPagination
    id_filters = ITEM_ID_FILTERS
    filtered_rows = staticmethod(selectors.worklist_rows)
    page_body = staticmethod(worklist_items)

    def get_queryset(self):
        return selectors.item_list(using=self.read_db)

    def rows_for_ids(self, ids):
        from_start = self.paginator.cursor_query_param not in self.request.query_params
        return selectors.worklist(ids, from_start=from_start, using=self.read_db)


@read_schema(
    "Documentos de prescrição, com filtros (paciente, médico, situação, período)",
    {200: PrescriptionDocumentSerializer(many=True)},
    [_example("A prescrição do artigo", DOCUMENTO)],
)
class DocumentListApi(LeanListApi):
    serializer_class = PrescriptionDocumentSerializer
    filterset_class = DocumentFilter
    pagination_class = DocumentCursorPagination
    id_filters = DOCUMENT_ID_FILTERS
    filtered_rows = staticmethod(selectors.document_rows)
    page_body = staticmethod(selectors.documents_in)

    def get_queryset(self):
        return selectors.document_list(using=self.read_db)

    def rows_for_ids(self, ids):
        return selectors.documents(ids, using=self.read_db)


@read_schema(
    "Documento da prescrição",
    {200: PrescriptionDocumentSerializer, 404: NOT_FOUND},
    [_example("A prescrição do artigo", DOCUMENTO)],
)
class DocumentDetailApi(LeanReadApi, generics.RetrieveAPIView):
    serializer_class = PrescriptionDocumentSerializer
    lookup_field = "id_prescricao"
    lookup_url_kwarg = "prescricao_id"
    filter_backends = []

    def get_queryset(self):
        return selectors.document_list(using=self.read_db)

    def retrieve(self, request, *args, **kwargs):
        document = selectors.document(kwargs[self.lookup_url_kwarg], using=self.read_db)
        if document is None:
            raise NotFound("Não encontrado.")  # what a missing object is everywhere (`hospital.api`)
        return Response(document)


@read_schema(
    "Estado da sincronização dos modelos de leitura",
    {200: SyncStatusSerializer},
    [_example("Em dia, modo trigger", STATUS)],
)
class StatusApi(ReadAfterMixin, KnownQueryParametersMixin, APIView):
    permission_classes = [CanReadPharmacy]

    def get(self, request):
        return Response(SyncStatusSerializer(sync_status().as_dict() | replica_status()).data)
