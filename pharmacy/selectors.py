"""Reads of the pharmacy: querysets over the read tables only (never the write model)."""

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


def document(prescricao_id: int) -> dict | None:
    """One prescription's stored document (None when it has none)."""
    return PrescricaoDocumento.objects.filter(id_prescricao=prescricao_id).values_list("documento", flat=True).first()


def document_list() -> QuerySet[PrescricaoDocumento]:
    """Prescription documents (active and cancelled; see `status`)."""
    return PrescricaoDocumento.objects.all()
