"""Reads of the pharmacy: querysets over the read tables only (never the write model)."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

#: The worklist's order (newest prescription first); unique thanks to `id`, so
#: cursor pagination over it is stable. Backed by the `vw_itens_cursor` index.
ITEM_ORDERING = ("-data_prescricao", "-id")


def item_list(*, using: str = DEFAULT_DB_ALIAS) -> QuerySet[ItemDetalhado]:
    """Worklist rows (items of active prescriptions), newest first, from database `using` (a replica may serve)."""
    return ItemDetalhado.objects.using(using).order_by(*ITEM_ORDERING)


#: The documents' list order (newest prescription first), backed by the `vw_docs_cursor` index.
DOCUMENT_ORDERING = ("-data_prescricao", "-id_prescricao")


def document_list(*, using: str = DEFAULT_DB_ALIAS) -> QuerySet[PrescricaoDocumento]:
    """Prescription documents (active and cancelled: see `status`) from `using`, newest first, no search columns."""
    return PrescricaoDocumento.objects.using(using).defer("busca", "busca_texto").order_by(*DOCUMENT_ORDERING)
