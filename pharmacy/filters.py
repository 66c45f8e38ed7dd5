"""Query-string filters of the pharmacy's list endpoints (`GET /api/pharmacy/itens/`, `.../prescricoes/`)."""

import django_filters

from pharmacy.models import ItemDetalhado, PrescricaoDocumento


class _PrescribedBetween(django_filters.FilterSet):
    data_prescricao__gte = django_filters.IsoDateTimeFilter(
        field_name="data_prescricao", lookup_expr="gte", help_text="Prescrição a partir deste instante (ISO 8601)."
    )
    data_prescricao__lte = django_filters.IsoDateTimeFilter(
        field_name="data_prescricao", lookup_expr="lte", help_text="Prescrição até este instante (ISO 8601)."
    )


class ItemFilter(_PrescribedBetween):
    id_prescricao = django_filters.NumberFilter(help_text="Só os itens desta prescrição.")
    id_paciente = django_filters.NumberFilter(help_text="Só os itens deste paciente.")
    id_medico = django_filters.NumberFilter(help_text="Só os itens prescritos por este médico.")
    id_medicamento = django_filters.NumberFilter(help_text="Só os itens deste medicamento.")

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
    id_paciente = django_filters.NumberFilter(help_text="Só as prescrições deste paciente.")
    id_medico = django_filters.NumberFilter(help_text="Só as prescrições deste médico.")
    status = django_filters.ChoiceFilter(
        choices=[("ativa", "ativa"), ("cancelada", "cancelada")], help_text="ativa (dispensável) ou cancelada."
    )

    class Meta:
        model = PrescricaoDocumento
        fields = ["id_paciente", "id_medico", "status", "data_prescricao__gte", "data_prescricao__lte"]
