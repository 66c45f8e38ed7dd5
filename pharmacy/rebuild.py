"""Rebuild the read models from the write model, in batches, without blocking writers for long.

Each batch is one short REPEATABLE READ transaction that runs the same
refresh function as the triggers (`pharmacy.projection.refresh_prescriptions`)
over a range of prescription ids: it upserts only rows that differ and deletes
rows that must go. So a rebuild is safe to rerun and to interrupt (finished
batches stay correct, the rest is done by the next run), and writers are only
ever held by one batch's row locks. If a concurrent writer changes a row the
batch is about to write, the batch fails with a serialization error instead of
overwriting fresher data with its older snapshot, and is retried.

`from_empty=True` first empties both read tables (one TRUNCATE, a brief
exclusive lock): the worklist is incomplete until the rebuild finishes; use it
to measure a full build or after restoring a broken read model.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from pharmacy import projection
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.protection import unsafe_read_model_writes

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


@dataclass(frozen=True)
class BatchProgress:
    batch: int
    batches: int
    first_id: int
    last_id: int
    elapsed: float
    retries: int


def _id_bounds(using: str) -> tuple[int, int] | None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""SELECT min(lo), max(hi) FROM (
                    SELECT min(id), max(id) FROM prescricoes
                    UNION ALL SELECT min(id_prescricao), max(id_prescricao) FROM {ItemDetalhado._meta.db_table}
                    UNION ALL SELECT min(id_prescricao), max(id_prescricao) FROM {PrescricaoDocumento._meta.db_table}
                ) AS bounds(lo, hi)"""
        )
        lo, hi = cursor.fetchone()
    return None if lo is None else (lo, hi)


def _refresh_range(first_id: int, last_id: int, using: str, max_retries: int) -> int:
    """Refresh one id range in its own REPEATABLE READ transaction; return the retries it took."""
    connection = connections[using]
    if connection.in_atomic_block:
        # Called inside the caller's transaction (tests, a larger operation): it owns isolation and retries.
        projection.refresh_prescriptions(range(first_id, last_id + 1), using=using)
        return 0
    for attempt in range(max_retries + 1):
        try:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                projection.refresh_prescriptions(range(first_id, last_id + 1), using=using)
            return attempt
        except OperationalError as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or attempt == max_retries:
                raise
            time.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable")


def rebuild(
    *,
    batch_size: int = 5000,
    from_empty: bool = False,
    pause: float = 0.0,
    max_retries: int = 10,
    progress: Callable[[BatchProgress], None] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """Make both read models equal to the source join; return the number of batches run."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    if from_empty:
        with unsafe_read_model_writes(using), connections[using].cursor() as cursor:
            cursor.execute(f"TRUNCATE {ItemDetalhado._meta.db_table}, {PrescricaoDocumento._meta.db_table}")
    bounds = _id_bounds(using)
    if bounds is None:
        return 0
    lo, hi = bounds
    batches = (hi - lo) // batch_size + 1
    started = time.monotonic()
    for index, first_id in enumerate(range(lo, hi + 1, batch_size), start=1):
        last_id = min(first_id + batch_size - 1, hi)
        retries = _refresh_range(first_id, last_id, using, max_retries)
        if progress:
            progress(BatchProgress(index, batches, first_id, last_id, time.monotonic() - started, retries))
        if pause:
            time.sleep(pause)
    return batches
