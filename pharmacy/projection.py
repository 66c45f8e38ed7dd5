"""The projection contract: recompute read models from the write model.

These functions are thin entry points into the SQL installed by the pharmacy
migrations (`pharmacy/sql/`, one file per concern; `refresh.sql` holds these):
the write-table triggers (`pharmacy/sql/triggers.sql`), this module, `rebuild_read_model` and
`verify_read_model --repair` all run the same plpgsql functions, so live sync,
rebuild and repair cannot disagree.

Guarantees of every function here:

- **idempotent** and **order-independent**: each call makes the read rows in
  its scope equal to the source join *as the calling transaction sees it now*;
  calling twice, or with events replayed out of order, gives the same result;
- **minimal writes**: rows already equal are not rewritten;
- **transaction-safe**: runs in the caller's transaction (never commits), or in
  its own single statement under autocommit; safe inside `atomic()`, from a
  Celery task, or from the rebuild; it locks (FOR SHARE) the write rows it reads.
- **one lock order**: `pharmacy_refresh_prescricoes` takes its advisory locks
  itself (`pharmacy_lock_prescricoes`, pharmacy/sql/locks.sql);
  callers take none of their own, so no two refreshes wait in a cycle.

They are the only Python code allowed to write the read tables; the allowance
is the GUC `pharmacy.sync_writer`, which the SQL functions set for their own
duration (see `pharmacy.models`).
"""

from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections

__all__ = ["recompute_search_columns", "refresh_prescriptions"]


def _call(function: str, ids: Iterable[int], using: str) -> None:
    # Sorted: concurrent refreshes lock rows in the same order.
    id_list = sorted({int(pk) for pk in ids})
    if not id_list:
        return
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s::bigint[])", [id_list])


def refresh_prescriptions(ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Recompute both read models of these prescriptions from the write model.

    Afterwards, for each id: the worklist rows with that `id_prescricao` are
    exactly the source join's rows (none when the prescription is cancelled or
    gone) and its document is the source document (none when it has no items
    or is gone). Unknown ids are fine: their leftover rows are deleted.
    """
    _call("pharmacy_refresh_prescricoes", ids, using)


def recompute_search_columns(ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Recompute the generated search columns of these documents with the current search functions.

    Every write of a document recomputes them; this is for documents whose
    `documento` is right but whose stored search columns predate a change of
    the search functions, configuration or unaccent rules (`verify_read_model --repair`).
    """
    _call("pharmacy_recompute_busca", ids, using)
