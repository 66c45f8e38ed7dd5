"""Filters of the worklist endpoint (query parameters of `GET /api/pharmacy/itens/`)."""

import django_filters

from pharmacy.models import ItemDetalhado


class ItemFilter(django_filters.FilterSet):
    id_prescricao = django_filters.NumberFilter(help_text="Só os itens desta prescrição.")
    id_paciente = django_filters.NumberFilter(help_text="Só os itens deste paciente.")
    id_medico = django_filters.NumberFilter(help_text="Só os itens prescritos por este médico.")
    id_medicamento = django_filters.NumberFilter(help_text="Só os itens deste medicamento.")
    data_prescricao__gte = django_filters.IsoDateTimeFilter(
        field_name="data_prescricao", lookup_expr="gte", help_text="Prescritos a partir deste instante (ISO 8601)."
    )
    data_prescricao__lte = django_filters.IsoDateTimeFilter(
        field_name="data_prescricao", lookup_expr="lte", help_text="Prescritos até este instante (ISO 8601)."
    )

    class Meta:
        model = ItemDetalhado
        fields = [
            "id_prescricao",
            "id_paciente",
            "id_medico",
            "id_medicamento",
            "data_prescricao__gte",
            "data_prescricao__lte",
        ]


#: The id filters, which the common requests use alone: parsed without building a FilterSet.
ID_FILTERS = ("id_prescricao", "id_paciente", "id_medico", "id_medicamento")
_PAGINATION_PARAMS = {"cursor", "page_size", "format"}


def simple_id_filters(query_params) -> dict[str, int] | None:
    """`{field: id}` when the query uses only id filters with plain digits (same rows as `ItemFilter`).

    None for anything else (dates, malformed or unknown parameters): the caller
    then runs `ItemFilter`, which validates and reports errors as before.
    An empty value is ignored, as `ItemFilter` ignores it.
    """
    filters: dict[str, int] = {}
    for name in query_params:
        if name in _PAGINATION_PARAMS:
            continue
        value = query_params.get(name)
        if name not in ID_FILTERS or len(value) > 18 or not (value.isascii() and (value.isdigit() or value == "")):
            return None
        if value:
            filters[name] = int(value)
    return filters
