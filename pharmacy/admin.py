"""Admin of the read models: visible, filterable, never editable (only the sync writes them)."""

import json

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from pharmacy import search
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.replica_views import ReplicaAdminMixin


class _ReadOnlyAdmin(ReplicaAdminMixin, admin.ModelAdmin):
    """Read models: never edited here; their change lists read a replica when there is one."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


ReadOnlyAdmin = _ReadOnlyAdmin  # for the admins of other read models (the patient record's)


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


def _shown_entity_filter(title: str, id_column: str, name_column: str) -> type[_ShownEntityFilter]:
    attributes = {"title": title, "parameter_name": id_column, "id_column": id_column, "name_column": name_column}
    return type(f"{id_column}_filter", (_ShownEntityFilter,), attributes)


PacienteFilter = _shown_entity_filter("paciente", "id_paciente", "nome_paciente")
MedicoFilter = _shown_entity_filter("médico", "id_medico", "nome_medico")
MedicamentoFilter = _shown_entity_filter("medicamento", "id_medicamento", "nome_medicamento")


@admin.register(ItemDetalhado)
class ItemDetalhadoAdmin(_ReadOnlyAdmin):
    list_display = (
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


DocumentoPacienteFilter = _shown_entity_filter("paciente", "id_paciente", "documento__paciente__nome")
DocumentoMedicoFilter = _shown_entity_filter("médico", "id_medico", "documento__medico__nome")


@admin.register(PrescricaoDocumento)
class PrescricaoDocumentoAdmin(_ReadOnlyAdmin):
    """The pharmacy's documents as staff read them: names, local dates, the JSON indented; the pharmacy's search."""

    list_display = ("id_prescricao", "data_local", "paciente", "medico", "status", "medicamentos")
    list_filter = ("status", DocumentoPacienteFilter, DocumentoMedicoFilter, "data_prescricao")
    date_hierarchy = "data_prescricao"
    # Shows the search box; the search itself is the pharmacy's (get_search_results).
    search_fields = ("documento",)
    search_help_text = (
        "Mesma busca da farmácia (/api/pharmacy/busca/): paciente, médico, CRM, medicamentos, endereço; "
        "sem acentos, prefixos e erros de digitação servem; ou o número da prescrição."
    )
    show_full_result_count = False
    fields = ("id_prescricao", "status", "motivo", "data_local", "paciente", "medico", "documento_formatado")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("busca", "busca_texto")

    def get_search_results(self, request, queryset, search_term):
        """The pharmacy's search (`pharmacy.search`): every word must match; a number also names a prescription."""
        terms = search.parse_terms(search_term, using=queryset.db)
        if not terms:
            return queryset, False
        found = queryset.filter(pk__in=search.matching(terms, using=queryset.db).values("pk"))
        term = search_term.strip()
        if term.isdigit() and len(term) <= 18:
            found |= queryset.filter(pk=int(term))
        return found, False

    @admin.display(description="data da prescrição", ordering="data_prescricao")
    def data_local(self, obj: PrescricaoDocumento) -> str:
        return date_format(localtime(obj.data_prescricao), "d/m/Y H:i")

    @admin.display(description="paciente")
    def paciente(self, obj: PrescricaoDocumento) -> str:
        return obj.documento["paciente"]["nome"]

    @admin.display(description="médico")
    def medico(self, obj: PrescricaoDocumento) -> str:
        medico = obj.documento["medico"]
        return f"{medico['nome']} ({medico['crm']})"

    @admin.display(description="medicamentos")
    def medicamentos(self, obj: PrescricaoDocumento) -> str:
        return ", ".join(f"{m['nome']} {m['horario']}" for m in obj.documento["medicamentos"])

    @admin.display(description="motivo do cancelamento")
    def motivo(self, obj: PrescricaoDocumento) -> str:
        return obj.documento.get("motivo_cancelamento") or "—"

    @admin.display(description="documento (JSON da farmácia; datas em UTC)")
    def documento_formatado(self, obj: PrescricaoDocumento) -> str:
        text = json.dumps(obj.documento, indent=2, ensure_ascii=False)
        return format_html('<pre class="documento" style="white-space:pre-wrap;margin:0">{}</pre>', text)
