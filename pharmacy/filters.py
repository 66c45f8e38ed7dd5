"""Query-string filters of the pharmacy's list endpoints (`GET /api/pharmacy/itens/`, `.../prescricoes/`)."""

import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

WHOLE_NUMBER = re.compile(r"-?[0-9]+")


class InstantField(IsoDateTimeField):
    """An ISO 8601 instant, in UTC: Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59."""

    default_error_messages = {"overflow": "Instante fora do intervalo representável (anos 1 a 9999 em UTC)."}

    def to_python(self, value):
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["overflow"], code="overflow") from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class IdField(forms.IntegerField):
    """An id written as a whole number: `1.0`, `0.5` or `1e3` are refused (Django's IntegerField drops a `.0`)."""

    def to_python(self, value):
        if value not in self.empty_values and not WHOLE_NUMBER.fullmatch(str(value).strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class _PrescribedBetween(django_filters.FilterSet):
    data_prescricao__gte = InstantFilter(
        field_name="data_prescricao", lookup_expr="gte", help_text="Prescritos a partir deste instante (ISO 8601)."
    )
    data_prescricao__lte = InstantFilter(
        field_name="data_prescricao", lookup_expr="lte", help_text="Prescritos até este instante (ISO 8601)."
    )


class ItemFilter(_PrescribedBetween):
    id_prescricao = IdFilter(help_text="Só os itens desta prescrição.")
    id_paciente = IdFilter(help_text="Só os itens deste paciente.")
    id_medico = IdFilter(help_text="Só os itens prescritos por este médico.")
    id_medicamento = IdFilter(help_text="Só os itens deste medicamento.")

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


class DocumentFilter(_PrescribedBetween):
    id_paciente = IdFilter(help_text="Só as prescrições deste paciente.")
    id_medico = IdFilter(help_text="Só as prescrições deste médico.")
    status = django_filters.ChoiceFilter(
        choices=[("ativa", "ativa"), ("cancelada", "cancelada")], help_text="ativa (dispensável) ou cancelada."
    )

    class Meta:
        model = PrescricaoDocumento
        fields = ["id_paciente", "id_medico", "status", "data_prescricao__gte", "data_prescricao__lte"]


#: The id filters of each list, which the busiest requests use alone.
ITEM_ID_FILTERS = ("id_prescricao", "id_paciente", "id_medico", "id_medicamento")
DOCUMENT_ID_FILTERS = ("id_paciente", "id_medico")
_PLAIN_ID_DIGITS = 18  # below 2**63: a bigint column's range, so the ORM would compare it as given


def is_plain_id(value: str) -> bool:
    """True for an id written as plain ASCII digits short enough for a bigint (no sign, space or `.0`)."""
    return len(value) <= _PLAIN_ID_DIGITS and value.isascii() and value.isdigit()


def plain_ids(query_params, filterset_class: type[django_filters.FilterSet], ids: tuple[str, ...]) -> dict | None:
    """`{name: id}` when the query's filters are only id filters of `ids`, each plain digits; else None.

    The same rows as `filterset_class` would select, without building it. Anything else (a date, a
    sign, spaces, a non-id filter) gives None: the caller then runs the FilterSet, which validates
    and reports errors. Parameters that are not filters (the paginator's, `format`) are not looked at;
    the view refused unknown or empty ones before. A repeated filter counts by its last value, as in
    the FilterSet's form.
    """
    found = {}
    for name, value in query_params.items():
        if name not in filterset_class.base_filters:
            continue
        if name not in ids or not is_plain_id(value):
            return None
        found[name] = int(value)
    return found
