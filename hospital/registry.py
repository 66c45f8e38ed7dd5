"""Registry read endpoints under /api/cadastros/: the ids a prescribing system needs.

Doctors, patients (searched by name or record number) and medications (with
the specialties allowed to prescribe them, filterable by specialty), read
from the master data. Read-only; prescribers, staff and the pharmacy may
read. Active records only unless `?ativo=false` asks for the inactive ones.
"""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination

from hospital.api.api_docs import MEDICO, PACIENTE, UNAUTHENTICATED, ExamplePagination, error, error_example, forbidden
from hospital.api.permissions import CanReadPharmacy
from hospital.api.query_params import KnownQueryParametersMixin, StrictPageSizeMixin, whole_number
from hospital.models import Medicamento, Medico, Paciente
from hospital.specialties import Especialidade


class MedicoSerializer(serializers.ModelSerializer):
    id_medico = serializers.IntegerField(source="pk")

    class Meta:
        model = Medico
        fields = ["id_medico", "nome", "especialidade", "crm", "crm_uf", "ativo"]


class PacienteSerializer(serializers.ModelSerializer):
    id_paciente = serializers.IntegerField(source="pk")

    class Meta:
        model = Paciente
        fields = ["id_paciente", "nome", "data_nascimento", "endereco", "prontuario", "ativo"]


class MedicamentoSerializer(serializers.ModelSerializer):
    id_medicamento = serializers.IntegerField(source="pk")
    especialidades_permitidas = serializers.ListField(
        child=serializers.CharField(), help_text="Especialidades que podem prescrevê-lo; vazia: qualquer uma."
    )

    class Meta:
        model = Medicamento
        fields = ["id_medicamento", "nome", "descricao", "especialidades_permitidas", "ativo"]


class _ActiveFilter(django_filters.FilterSet):
    ativo = django_filters.BooleanFilter(help_text="false: só os inativos (padrão: só os ativos).")
    nome = django_filters.CharFilter(lookup_expr="icontains", help_text="Parte do nome, sem diferenciar maiúsculas.")

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("ativo") is None:
            queryset = queryset.filter(ativo=True)
        return super().filter_queryset(queryset)


class MedicoFilter(_ActiveFilter):
    especialidade = django_filters.ChoiceFilter(choices=Especialidade.choices)
    crm = django_filters.CharFilter(help_text="CRM normalizado, ex.: CRM12345.")

    class Meta:
        model = Medico
        fields = ["nome", "especialidade", "crm", "ativo"]


class PacienteFilter(_ActiveFilter):
    busca = django_filters.CharFilter(method="search", help_text="Parte do nome ou o número do prontuário.")
    prontuario = django_filters.CharFilter(help_text="Número do prontuário exato.")

    class Meta:
        model = Paciente
        fields = ["busca", "nome", "prontuario", "ativo"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(nome__icontains=value.strip()) | Q(prontuario=value.strip()))


class MedicamentoFilter(_ActiveFilter):
    especialidade = django_filters.ChoiceFilter(
        choices=Especialidade.choices,
        method="prescribable_by",
        help_text="Só os que esta especialidade pode prescrever.",
    )

    class Meta:
        model = Medicamento
        fields = ["nome", "especialidade", "ativo"]

    def prescribable_by(self, queryset, name, value):
        return queryset.filter(Q(especialidades_permitidas=[]) | Q(especialidades_permitidas__contains=[value]))


class RegistryPagination(StrictPageSizeMixin, ExamplePagination, PageNumberPagination):
    """Numbered pages of 50 (up to 500); a `page` or `page_size` that is not a whole number in range is a 400."""

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw != "last":
            whole_number(self.page_query_param, raw, 1, 10**9)
        return super().paginate_queryset(queryset, request, view)


READ_ERRORS = {
    401: UNAUTHENTICATED,
    403: forbidden("Somente a farmácia (grupo 'farmacia'), prescritores ou a equipe podem consultar."),
}
PAGE_NOT_FOUND = error("Página além da última.", error_example("Página inválida", 404, "Página inválida.", "not_found"))
NOT_FOUND = error("Id inexistente.", error_example("Id inexistente", 404, "Não encontrado.", "not_found"))


class RegistryViewSet(KnownQueryParametersMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only master data; a query parameter it does not know is a 400 (a misspelt filter must not widen it)."""

    permission_classes = [CanReadPharmacy]


def _viewset(serializer, filterset, route: str, summary: str, example: dict) -> type[RegistryViewSet]:
    """The viewset of `serializer`'s model under /api/cadastros/`route`/, ordered by name, with its schema.

    The schema: `summary`, the error answers, and `example` (a record, named by its `nome`) as both reads' answer.
    """
    model = serializer.Meta.model
    pagination = type("RegistryPagination", (RegistryPagination,), {"example_path": f"/api/cadastros/{route}/"})
    viewset = type(
        f"{model.__name__}ViewSet",
        (RegistryViewSet,),
        {
            "__module__": __name__,
            "queryset": model.objects.order_by("nome", "pk"),
            "serializer_class": serializer,
            "filterset_class": filterset,
            "pagination_class": pagination,
        },
    )
    found = [OpenApiExample(example["nome"], value=example, response_only=True, status_codes=["200"])]
    return extend_schema_view(
        list=extend_schema(
            tags=["cadastros"],
            summary=summary,
            examples=found,
            responses={200: serializer(many=True), **READ_ERRORS, 404: PAGE_NOT_FOUND},
        ),
        retrieve=extend_schema(
            tags=["cadastros"],
            summary=f"{summary}: um pelo id",
            examples=found,
            responses={200: serializer, **READ_ERRORS, 404: NOT_FOUND},
        ),
    )(viewset)


MEDICO_EXAMPLE = {**MEDICO, "crm_uf": "SP", "ativo": True}
PACIENTE_EXAMPLE = {**PACIENTE, "prontuario": "102030", "ativo": True}
MEDICAMENTO_EXAMPLE = {
    "id_medicamento": 1,
    "nome": "Aspirina",
    "descricao": "Analgésico e anti-inflamatório",
    "especialidades_permitidas": [],
    "ativo": True,
}

MedicoViewSet = _viewset(MedicoSerializer, MedicoFilter, "medicos", "Médicos", MEDICO_EXAMPLE)
PacienteViewSet = _viewset(
    PacienteSerializer, PacienteFilter, "pacientes", "Pacientes (busca por nome ou prontuário)", PACIENTE_EXAMPLE
)
MedicamentoViewSet = _viewset(
    MedicamentoSerializer,
    MedicamentoFilter,
    "medicamentos",
    "Medicamentos (com as especialidades permitidas)",
    MEDICAMENTO_EXAMPLE,
)
