"""Online build-and-swap rebuild of the read models (the default of `manage.py rebuild_read_model`).

Why: the in-place rebuild (`pharmacy.rebuild`) runs the refresh functions
batch by batch (upsert with row comparisons into fully indexed tables); it
never blocks anyone but costs several times a bare `INSERT … SELECT`. This module
builds fresh copies instead and swaps them in, the way `REFRESH MATERIALIZED
VIEW` does, but without locking readers out while it builds:

1. **start point**: read the outbox position sequence (`P0`), wait until
   every transaction that may still commit an event numbered `<= P0` has
   ended, then open a REPEATABLE READ snapshot `S0`: every event `<= P0` is
   visible in `S0` (or rolled back).
2. **build**: shadow tables `<table>__rebuild` (`LIKE … INCLUDING ALL
   EXCLUDING INDEXES`, same storage parameters) filled in `S0` by one
   `INSERT … SELECT` each from the source views `pharmacy_fonte_itens` /
   `pharmacy_fonte_documentos`; then the original tables' indexes are created
   on them under temporary names (same definitions), and they are ANALYZEd.
3. **catch up**: every write-model change has an outbox event (commands write
   one, `outbox.capture_triggers` catch the rest). Each round takes a new
   start point `Pk`/`Sk` and re-derives, in `Sk`, the prescriptions touched
   by events `> P(k-1)` (the fan-out `pharmacy_prescricoes_afetadas` maps a
   doctor/patient/medication event to the prescriptions showing it) from the source views into the shadows. Rounds
   repeat while the delta is large.
4. **swap**: one short transaction: `LOCK TABLE` both read tables `ACCESS
   EXCLUSIVE` (waits for in-flight writers of the read tables -- trigger-mode
   writers and the Celery projector -- and blocks them until commit; bounded
   by `lock_timeout`, retried), applies the last delta (events `> Pn`), drops
   the old tables, renames the shadows and their indexes/primary keys to the
   original names, and recreates the old tables' triggers (the pgtrigger
   protect triggers) and their comments from `pg_get_triggerdef`.

Correctness: after round k the shadow equals the source join as of `Sk` (a
prescription whose source changed between `S(k-1)` and `Sk` has an event
`> P(k-1)` visible in `Sk`). In the swap transaction (snapshot taken after
the lock) the last delta brings it to the swap's snapshot. A writer that
commits later either writes the read tables itself (trigger mode: it was
blocked by the lock and then, its plans invalidated by the DROP, resolves the
table name again and writes the new table) or leaves a pending event for the
Celery projector, which applies it to the new table.

Safe to interrupt: nothing is visible before the swap commits, and leftovers
are dropped by the next run. A session-level advisory lock
(`pharmacy_rebuild_lock_key()`, pharmacy/sql/locks.sql) keeps two rebuilds
apart. Inside an open transaction (tests, a larger operation) it
locks the read tables first and builds and swaps within that transaction.

The shadow tables' DDL is `pharmacy.shadow_tables`; start points and the
build in one snapshot are `pharmacy.rebuild_snapshot`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from outbox.positions import position_sequence
from outbox.queries import AGGREGATES_AFTER_SQL
from pharmacy.rebuild_snapshot import build, repeatable_read, start_point
from pharmacy.shadow_tables import (
    DOCS,
    ITEMS,
    TABLES,
    RebuildError,
    TableShape,
    create_indexes,
    create_shadow,
    drop_leftovers,
    fill,
    preflight,
    quote,
    read_shapes,
    swap_ddl,
    upsert_shadow,
)

LOCK_ERRORS = {"55P03", "40P01"}  # lock_not_available (lock_timeout), deadlock


@dataclass
class SwapReport:
    rows: int = 0
    documents: int = 0
    rounds: list[int] = field(default_factory=list)  # prescriptions re-derived per catch-up round
    final_delta: int = 0
    locked_s: float = 0.0  # how long readers/writers of the read tables were held by the swap
    lock_attempts: int = 0
    seconds: float = 0.0


# Prescriptions whose read rows the events after a position may change (as the snapshot sees them):
# the outbox's events, grouped by aggregate type, through the fan-out function.
_TOUCHED_SQL = f"""
WITH ev AS ({AGGREGATES_AFTER_SQL})
SELECT DISTINCT f.id_prescricao
FROM (SELECT aggregate_type, array_agg(aggregate_id) AS ids FROM ev GROUP BY aggregate_type) AS g
CROSS JOIN LATERAL pharmacy_prescricoes_afetadas(g.aggregate_type, g.ids) AS f
"""


def _touched(cursor, after: int) -> list[int]:
    cursor.execute(_TOUCHED_SQL, {"after": after})
    return sorted(row[0] for row in cursor.fetchall())


def _apply_delta(cursor, shapes: list[TableShape], after: int) -> int:
    ids = _touched(cursor, after)
    if ids:
        for shape in shapes:
            upsert_shadow(cursor, shape, ids)
    return len(ids)


def rebuild_swap(
    *,
    max_rounds: int = 5,
    small_delta: int = 1000,
    lock_timeout: float = 2.0,
    lock_attempts: int = 10,
    wait_timeout: float = 300.0,
    parallel: bool = True,
    log: Callable[[str], None] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> SwapReport:
    """Rebuild both read models by build-and-swap; return what it did (see the module docstring)."""
    say = log or (lambda _msg: None)
    connection = connections[using]
    report = SwapReport()
    started = time.monotonic()
    if connection.in_atomic_block:
        return _rebuild_in_transaction(using, report, started, say)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(pharmacy_rebuild_lock_key())")
        if not cursor.fetchone()[0]:
            raise RebuildError("another rebuild_read_model is running")
        try:
            shapes, sequence, position = _build_shadows(cursor, using, wait_timeout, parallel, report, say)
            say(f"built ({time.monotonic() - started:.1f}s)")
            position = _catch_up(
                cursor, using, shapes, (sequence, position), max_rounds, small_delta, wait_timeout, report, say
            )
            _swap(using, shapes, position, lock_timeout, lock_attempts, report, say)
        except BaseException:
            with suppress(Exception):  # the original error matters more; the next run drops them
                drop_leftovers(cursor)
            raise
        finally:
            cursor.execute("SELECT pg_advisory_unlock(pharmacy_rebuild_lock_key())")
    report.seconds = time.monotonic() - started
    return report


def _build_shadows(cursor, using, wait_timeout, parallel, report: SwapReport, say) -> tuple[list[TableShape], str, int]:
    """Steps 1-2: a start point, then both shadows built in one snapshot taken after it.

    Returns the shapes, the outbox's position sequence and the start point.
    """
    drop_leftovers(cursor)
    shapes = read_shapes(cursor)
    for shape in shapes:
        preflight(cursor, shape.table)
    sequence = position_sequence(cursor)
    position = start_point(cursor, sequence, wait_timeout, say)
    say(f"build: snapshot after outbox position {position}")
    for shape in shapes:
        create_shadow(cursor, shape)
    counts = build(using, shapes, parallel, say)
    report.rows, report.documents = counts[ITEMS], counts[DOCS]
    return shapes, sequence, position


def _catch_up(cursor, using, shapes, start, max_rounds, small_delta, wait_timeout, report: SwapReport, say) -> int:
    """Step 3: re-derive what changed since the last start point until the delta is small; the last start point."""
    sequence, position = start
    for round_no in range(1, max_rounds + 1):
        previous, position = position, start_point(cursor, sequence, wait_timeout, say)
        with repeatable_read(using) as rr:
            delta = _apply_delta(rr, shapes, previous)
        report.rounds.append(delta)
        say(f"catch-up {round_no}: {delta} prescriptions changed since the last pass")
        if delta <= small_delta:
            break
    return position


def _swap(using, shapes, position, lock_timeout, attempts, report: SwapReport, say) -> None:
    """Step 4: lock both read tables, apply the last delta and swap the shadows in; retried while the lock is busy."""
    for attempt in range(1, attempts + 1):
        report.lock_attempts = attempt
        try:
            with repeatable_read(using) as rr:
                # Only utility statements (SET, LOCK) before the lock is granted: the first query takes the
                # transaction's snapshot, which must include every writer the lock waited for.
                rr.execute(f"SET LOCAL lock_timeout = {int(lock_timeout * 1000)}")
                rr.execute(f"LOCK TABLE {', '.join(quote(t) for t in TABLES)} IN ACCESS EXCLUSIVE MODE")
                locked_at = time.monotonic()
                rr.execute("SET LOCAL lock_timeout = 0")
                report.final_delta = _apply_delta(rr, shapes, position)
                for shape in shapes:
                    swap_ddl(rr, shape)
            report.locked_s = time.monotonic() - locked_at
            say(
                f"swap: {report.final_delta} prescriptions in the last delta; read tables locked "
                f"{report.locked_s * 1000:.0f} ms (attempt {attempt})"
            )
            return
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) not in LOCK_ERRORS or attempt == attempts:
                raise
            say(f"swap: read tables busy (attempt {attempt}), retrying")
            time.sleep(min(0.1 * attempt, 1.0))


def _rebuild_in_transaction(using: str, report: SwapReport, started: float, say) -> SwapReport:
    """Inside the caller's transaction: lock first, then build and swap (no catch-up needed)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(quote(t) for t in TABLES)} IN ACCESS EXCLUSIVE MODE")
        drop_leftovers(cursor)
        shapes = read_shapes(cursor)
        for shape in shapes:
            preflight(cursor, shape.table)
            create_shadow(cursor, shape)
            count = fill(cursor, shape)
            if shape.table == ITEMS:
                report.rows = count
            else:
                report.documents = count
            create_indexes(cursor, shape, say)
        for shape in shapes:
            swap_ddl(cursor, shape)
    report.seconds = time.monotonic() - started
    say(f"swap (inside the caller's transaction): {report.rows} rows, {report.documents} documents")
    return report
