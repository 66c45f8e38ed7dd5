"""Reads of the pharmacy: querysets over the read tables only (never the write model)."""

from django.db.models import QuerySet

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

#: The worklist's order (newest prescription first); unique thanks to `id`, so
#: cursor pagination over it is stable. Backed by the `vw_itens_cursor` index.
ITEM_ORDERING = ("-data_prescricao", "-id")


def item_list() -> QuerySet[ItemDetalhado]:
    """Worklist rows (items of active prescriptions), newest first."""
    return ItemDetalhado.objects.order_by(*ITEM_ORDERING)


#: The documents' list order (newest prescription first), backed by the `vw_docs_cursor` index.
DOCUMENT_ORDERING = ("-data_prescricao", "-id_prescricao")


def document_list() -> QuerySet[PrescricaoDocumento]:
    """Prescription documents (active and cancelled; see `status`), newest first."""
    return PrescricaoDocumento.objects.order_by(*DOCUMENT_ORDERING)
