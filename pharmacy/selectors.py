"""Reads of the pharmacy: querysets over the read tables only (never the write model)."""

from collections.abc import Callable

import orjson
from django.db import connections, router
from django.db.models import QuerySet

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

#: The worklist's order (newest prescription first); unique thanks to `id`, so
#: cursor pagination over it is stable. Backed by the `vw_itens_cursor` index.
ITEM_ORDERING = ("-data_prescricao", "-id")


def item_list() -> QuerySet[ItemDetalhado]:
    """Worklist rows (items of active prescriptions), newest first."""
    return ItemDetalhado.objects.order_by(*ITEM_ORDERING)


#: The worklist row's fields, in the API's order (`WorklistItemSerializer`).
WORKLIST_FIELDS = (
    "id", "id_prescricao", "data_prescricao", "id_medico", "nome_medico", "especialidade_medico", "crm_medico",
    "id_paciente", "nome_paciente", "data_nascimento_paciente", "endereco_paciente", "id_medicamento",
    "nome_medicamento", "descricao_medicamento", "horario", "dosagem",
)  # fmt: skip


def worklist_rows(items: QuerySet[ItemDetalhado]) -> QuerySet[dict]:
    """The rows of a (filtered) worklist queryset as dicts of the API's fields: no model instances built."""
    return items.values(*WORKLIST_FIELDS)


def worklist_first_rows(filters: dict[str, int], limit: int) -> list[dict]:
    """The first `limit` worklist rows matching equality `filters`, in `ITEM_ORDERING`, as `worklist_rows` dicts."""
    names = tuple(sorted(filters))
    return _run_cached(
        ("worklist", names, limit),
        lambda: worklist_rows(item_list().filter(**{name: 0 for name in names}))[:limit],
        [filters[name] for name in names],
    )


def document(prescricao_id: int) -> dict | None:
    """One prescription's stored document (None when it has none)."""
    rows = _run_cached(
        ("document",),
        lambda: PrescricaoDocumento.objects.filter(id_prescricao=0).values_list("documento")[:1],
        [prescricao_id],
    )
    return orjson.loads(rows[0]["documento"]) if rows else None  # Django reads jsonb as text, then decodes it


# The SQL of the hot lookups, compiled by the ORM once per process and shape: compiling costs more than
# running them. Keys are bounded (filter-name subsets x page sizes up to the maximum).
_SQL: dict[tuple, tuple[type, str]] = {}


def _run_cached(key: tuple, build: Callable[[], QuerySet], params: list) -> list[dict]:
    """Run the SQL of `build()` (compiled with placeholder values, which must be its only parameters) on `params`."""
    compiled = _SQL.get(key)
    if compiled is None:
        queryset = build()
        sql, placeholders = queryset.query.get_compiler(queryset.db).as_sql()
        if len(placeholders) != len(params):
            raise AssertionError(f"{key}: the query has parameters besides the filters: {placeholders}")
        compiled = _SQL[key] = (queryset.model, sql)
    model, sql = compiled
    with connections[router.db_for_read(model)].cursor() as cursor:  # the router decides per request
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def document_list() -> QuerySet[PrescricaoDocumento]:
    """Prescription documents (active and cancelled; see `status`)."""
    return PrescricaoDocumento.objects.all()
