"""Admin of the read models: visible, filterable, never editable (only the sync writes them)."""

from django.contrib import admin
from django.db.models import QuerySet

from hospital.replicas.views import ReplicaAdminMixin
from pharmacy.models import ItemDetalhado, PrescricaoDocumento


class _ReadOnlyAdmin(ReplicaAdminMixin, admin.ModelAdmin):
    """Read models: never edited here; their change lists read a replica when there is one."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _ShownEntityFilter(admin.SimpleListFilter):
    """Filter by an entity the rows show (id column + name column), options taken from the read table."""

    id_column: str
    name_column: str

    def lookups(self, request, model_admin):
        pairs = (
            model_admin.get_queryset(request)
            .order_by(self.name_column, self.id_column)
            .values_list(self.id_column, self.name_column)
        )
        return [(str(pk), name) for pk, name in pairs.distinct()[:500]]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(**{self.id_column: value}) if value and value.isdigit() else queryset


class PacienteFilter(_ShownEntityFilter):
    title = "paciente"
    parameter_name = "id_paciente"
    id_column, name_column = "id_paciente", "nome_paciente"


class MedicoFilter(_ShownEntityFilter):
    title = "médico"
    parameter_name = "id_medico"
    id_column, name_column = "id_medico", "nome_medico"


class MedicamentoFilter(_ShownEntityFilter):
    title = "medicamento"
    parameter_name = "id_medicamento"
    id_column, name_column = "id_medicamento", "nome_medicamento"


@admin.register(ItemDetalhado)
class ItemDetalhadoAdmin(_ReadOnlyAdmin):
    list_display = (
        "id",
        "id_prescricao",
        "data_prescricao",
        "nome_paciente",
        "nome_medico",
        "especialidade_medico",
        "nome_medicamento",
        "horario",
        "dosagem",
    )
    list_filter = (PacienteFilter, MedicoFilter, MedicamentoFilter, "especialidade_medico", "data_prescricao")
    date_hierarchy = "data_prescricao"
    search_fields = ("nome_paciente", "nome_medico", "crm_medico", "nome_medicamento", "=id_prescricao")
    show_full_result_count = False
    list_per_page = 100


@admin.register(PrescricaoDocumento)
class PrescricaoDocumentoAdmin(_ReadOnlyAdmin):
    list_display = ("id_prescricao", "data_prescricao", "status", "id_medico", "id_paciente")
    list_filter = ("status", "data_prescricao")
    date_hierarchy = "data_prescricao"
    search_fields = ("=id_prescricao", "=id_paciente", "=id_medico")
    show_full_result_count = False
