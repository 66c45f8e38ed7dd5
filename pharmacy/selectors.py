"""Reads of the pharmacy: queries over the read tables only (never the write model).

The busiest reads (a patient's or a prescription's worklist from its first
row, one document) skip the ORM's query building: their SQL is compiled by
the ORM once per process and shape (`_compiled`), then only executed, on
the database the caller names (a replica may serve; every alias is
PostgreSQL, so the SQL is the same), as statements the server keeps
prepared per connection (`hospital.db`). Their rows are exactly what the
querysets below return (`tests/pharmacy/test_lean_reads.py`).
"""

from collections.abc import Mapping

import orjson
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

#: The worklist's order (newest prescription first); unique thanks to `id`, so
#: cursor pagination over it is stable. Backed by the `vw_itens_cursor` index.
ITEM_ORDERING = ("-data_prescricao", "-id")

#: The worklist row's fields, in the API's order (`WorklistItemSerializer`).
WORKLIST_FIELDS = (
    "id", "id_prescricao", "data_prescricao", "id_medico", "nome_medico", "especialidade_medico", "crm_medico",
    "id_paciente", "nome_paciente", "data_nascimento_paciente", "endereco_paciente", "id_medicamento",
    "nome_medicamento", "descricao_medicamento", "horario", "dosagem",
)  # fmt: skip


def item_list(*, using: str = DEFAULT_DB_ALIAS) -> QuerySet[ItemDetalhado]:
    """Worklist rows (items of active prescriptions), newest first, from database `using` (a replica may serve)."""
    return ItemDetalhado.objects.using(using).order_by(*ITEM_ORDERING)


def worklist_rows(items: QuerySet[ItemDetalhado]) -> QuerySet[dict]:
    """The rows of a (filtered) worklist queryset as dicts of the API's fields: no model instances built."""
    return items.values(*WORKLIST_FIELDS)


def worklist(ids: Mapping[str, int], *, from_start: bool, using: str = DEFAULT_DB_ALIAS):
    """Worklist rows (dicts) whose id columns equal `ids` (e.g. `{"id_paciente": 5}`), newest first, for a paginator.

    From the start (no cursor), a `WorklistFromStart`: the paginator's slice runs precompiled SQL. After a
    cursor, the queryset, which the paginator narrows to the cursor's position.
    """
    if from_start:
        return WorklistFromStart(ids, using)
    return worklist_rows(item_list(using=using).filter(**ids))


class WorklistFromStart:
    """The rows `worklist_rows(item_list().filter(**ids))` would give, for a cursor paginator's first page.

    It answers only what DRF's `CursorPagination` asks of a queryset when no cursor is given:
    `order_by(*ITEM_ORDERING)` and one slice `[offset:stop]`.
    """

    def __init__(self, ids: Mapping[str, int], using: str):
        self.names = tuple(sorted(ids))
        self.values = [ids[name] for name in self.names]
        self.using = using

    def order_by(self, *ordering: str) -> "WorklistFromStart":
        if ordering != ITEM_ORDERING:
            raise ValueError(f"the worklist is ordered by {ITEM_ORDERING}, not {ordering}")
        return self

    def __getitem__(self, rows: slice) -> list[dict]:
        start = rows.start or 0
        sql = _compiled(("worklist", *self.names), self._queryset, " LIMIT %s OFFSET %s")
        with connections[self.using].prepared_cursor() as cursor:
            cursor.execute(sql, [*self.values, rows.stop - start, start])
            return [dict(zip(WORKLIST_FIELDS, row, strict=True)) for row in cursor.fetchall()]

    def _queryset(self, placeholders: dict[str, int]) -> QuerySet[dict]:
        return worklist_rows(item_list().filter(**placeholders))


def document(prescricao_id: int, *, using: str = DEFAULT_DB_ALIAS) -> dict | None:
    """One prescription's stored document (None when it has none), from `using`, by precompiled SQL."""
    sql = _compiled(("document", "id_prescricao"), _document_query)
    with connections[using].prepared_cursor() as cursor:
        cursor.execute(sql, [prescricao_id])
        row = cursor.fetchone()
    return None if row is None else orjson.loads(row[0])


def _document_query(placeholders: dict[str, int]) -> QuerySet[dict]:
    return PrescricaoDocumento.objects.filter(**placeholders).order_by().values("documento")  # one row: no sort


#: The documents' list order (newest prescription first), backed by the `vw_docs_cursor` index.
DOCUMENT_ORDERING = ("-data_prescricao", "-id_prescricao")


def document_list(*, using: str = DEFAULT_DB_ALIAS) -> QuerySet[PrescricaoDocumento]:
    """Prescription documents (active and cancelled: see `status`) from `using`, newest first, no search columns."""
    return PrescricaoDocumento.objects.using(using).defer("busca", "busca_texto").order_by(*DOCUMENT_ORDERING)


def documents(ids: Mapping[str, int], *, using: str = DEFAULT_DB_ALIAS) -> QuerySet[dict]:
    """Documents whose id columns equal `ids` (e.g. `{"id_paciente": 5}`), as `document_rows`, newest first."""
    return document_rows(document_list(using=using).filter(**ids))


def document_rows(documents: QuerySet[PrescricaoDocumento]) -> QuerySet[dict]:
    """A (filtered) document queryset as dicts of the document's JSON text and its cursor position.

    No model instances and no `json.loads` per document: `documents_in` decodes the page's with orjson.
    """
    position = DOCUMENT_ORDERING[0].lstrip("-")  # what the cursor paginator reads of each row
    return documents.values(position, texto=Cast("documento", TextField()))


def documents_in(rows: list[dict]) -> list[dict]:
    """The documents of a page of `document_rows`."""
    return [orjson.loads(row["texto"]) for row in rows]


_SQL: dict[tuple[str, ...], str] = {}


def _compiled(shape: tuple[str, ...], build, tail: str = "") -> str:
    """The SQL of `build(placeholders)` (plus `tail`), compiled on first use and kept per process.

    `build` gets one distinct placeholder value per name of `shape` after the first; the compiled
    query's parameters must be exactly those, in `shape`'s order (checked), so callers pass the
    real values in that order (then any parameters of `tail`).
    """
    sql = _SQL.get(shape)
    if sql is None:
        placeholders = {name: -1 - i for i, name in enumerate(shape[1:])}
        compiled, params = build(placeholders).query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
        if tuple(params) != tuple(placeholders.values()):
            raise ValueError(f"{shape}: the query's parameters {params} are not its placeholders {placeholders}")
        sql = _SQL[shape] = compiled + tail
    return sql
