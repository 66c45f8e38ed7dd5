"""Reads of the pharmacy: querysets over the read tables only (never the write model)."""

from django.db.models import QuerySet

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

#: The worklist's order (newest prescription first); unique thanks to `id`, so
#: cursor pagination over it is stable. Backed by the `vw_itens_cursor` index.
ITEM_ORDERING = ("-data_prescricao", "-id")


def item_list() -> QuerySet[ItemDetalhado]:
    """Worklist rows (items of active prescriptions), newest first."""
    return ItemDetalhado.objects.order_by(*ITEM_ORDERING)


def document_list() -> QuerySet[PrescricaoDocumento]:
    """Prescription documents (active and cancelled; see `status`), without their search columns."""
    return PrescricaoDocumento.objects.defer("busca", "busca_texto")
