"""Admin of the record: documents and the inbox are read-only (only the consolidation writes them);
staff assign each integration user its source system."""

from django.contrib import admin

from pharmacy.admin import ReadOnlyAdmin
from prontuario.models import DocumentoAtendimento, EventoRecebido, FonteIntegracao


@admin.register(DocumentoAtendimento)
class DocumentoAtendimentoAdmin(ReadOnlyAdmin):
    list_display = ["id_paciente", "id_atendimento", "inicio", "situacao", "atualizado_em"]
    search_fields = ["=id_paciente", "id_atendimento"]
    date_hierarchy = "inicio"
    fields = ["id_paciente", "id_atendimento", "inicio", "atualizado_em", "documento"]

    @admin.display(description="situação")
    def situacao(self, obj: DocumentoAtendimento) -> str:
        return obj.documento.get("atendimento", {}).get("situacao", "")


@admin.register(EventoRecebido)
class EventoRecebidoAdmin(ReadOnlyAdmin):
    list_display = ["id", "fonte", "id_evento", "tipo", "id_paciente", "id_atendimento", "versao", "recebido_em",
                    "aplicado_em"]  # fmt: skip
    list_filter = ["fonte", "tipo", ("aplicado_em", admin.EmptyFieldListFilter)]
    search_fields = ["=id_paciente", "id_atendimento", "id_evento"]


@admin.register(FonteIntegracao)
class FonteIntegracaoAdmin(admin.ModelAdmin):
    list_display = ["usuario", "fonte"]
    autocomplete_fields = ["usuario"]
