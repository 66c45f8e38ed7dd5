"""Filters of the worklist endpoint (query parameters of `GET /api/pharmacy/itens/`)."""

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from pharmacy.models import ItemDetalhado


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


class ItemFilter(django_filters.FilterSet):
    id_prescricao = django_filters.NumberFilter(help_text="Só os itens desta prescrição.")
    id_paciente = django_filters.NumberFilter(help_text="Só os itens deste paciente.")
    id_medico = django_filters.NumberFilter(help_text="Só os itens prescritos por este médico.")
    id_medicamento = django_filters.NumberFilter(help_text="Só os itens deste medicamento.")
    data_prescricao__gte = InstantFilter(
        field_name="data_prescricao", lookup_expr="gte", help_text="Prescritos a partir deste instante (ISO 8601)."
    )
    data_prescricao__lte = InstantFilter(
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
