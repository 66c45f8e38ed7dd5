"""Online build-and-swap rebuild of the read models (the default of `manage.py rebuild_read_model`).

Why: the in-place rebuild (`pharmacy.rebuild`) runs the refresh functions
batch by batch (upsert with row comparisons into fully indexed tables); it
never blocks anyone but costs ~3.5x a bare `INSERT … SELECT`. This module
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
   by events `> P(k-1)` (a doctor/patient/medication event maps to the
   prescriptions showing it) from the source views into the shadows. Rounds
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
are dropped by the next run. A session-level advisory lock keeps two
rebuilds apart. Inside an open transaction (tests, a larger operation) it
locks the read tables first and builds and swaps within that transaction.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from outbox.positions import position_sequence
from outbox.queries import AGGREGATES_AFTER_SQL
from outbox.types import AggregateType
from pharmacy.models import ItemDetalhado, PrescricaoDocumento

ITEMS = ItemDetalhado._meta.db_table
DOCS = PrescricaoDocumento._meta.db_table
TABLES = (ITEMS, DOCS)  # lock order: the same as every sync function's write order
SOURCES = {ITEMS: "pharmacy_fonte_itens", DOCS: "pharmacy_fonte_documentos"}
SHADOW_SUFFIX = "__rebuild"
ADVISORY_KEY = 0x5048_4152_4D41  # "PHARMA": one rebuild at a time
LOCK_ERRORS = {"55P03", "40P01"}  # lock_not_available (lock_timeout), deadlock


class RebuildError(RuntimeError):
    pass


@dataclass
class SwapReport:
    rows: int = 0
    documents: int = 0
    rounds: list[int] = field(default_factory=list)  # prescriptions re-derived per catch-up round
    final_delta: int = 0
    lock_wait_s: float = 0.0
    locked_s: float = 0.0  # how long readers/writers of the read tables were held by the swap
    lock_attempts: int = 0
    seconds: float = 0.0


def shadow_name(table: str) -> str:
    return f"{table}{SHADOW_SUFFIX}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(cursor, table: str) -> list[str]:
    """The columns a rebuild copies: all but the generated ones (the search columns), which PostgreSQL computes."""
    cursor.execute(
        """SELECT attname FROM pg_attribute
           WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
           ORDER BY attnum""",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


@dataclass
class _TableShape:
    table: str
    columns: list[str]
    reloptions: list[str]
    indexes: list[tuple[str, str, str | None, str | None]]  # (name, definition, constraint, its contype)
    triggers: list[tuple[str, str, str, str | None]]  # (name, definition, tgenabled, comment)


def _shape(cursor, table: str) -> _TableShape:
    cursor.execute("SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = %s::regclass", [table])
    reloptions = list(cursor.fetchone()[0])
    cursor.execute(
        """SELECT ic.relname, pg_get_indexdef(i.indexrelid), con.conname, con.contype::text
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                      AND con.contype IN ('p', 'u')
           WHERE i.indrelid = %s::regclass ORDER BY i.indisprimary DESC, ic.relname""",
        [table],
    )
    indexes = list(cursor.fetchall())
    cursor.execute(
        """SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgenabled, obj_description(t.oid, 'pg_trigger')
           FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal ORDER BY t.tgname""",
        [table],
    )
    triggers = list(cursor.fetchall())
    return _TableShape(table, _columns(cursor, table), reloptions, indexes, triggers)


def _preflight(cursor, table: str) -> None:
    """Refuse what a drop-and-rename would lose or break (fall back to `--in-place` then)."""
    checks = {
        "views or other objects depend on it": """
            SELECT 1 FROM pg_depend d WHERE d.refobjid = %(t)s::regclass AND d.classid = 'pg_rewrite'::regclass""",
        "it has privileges granted to other roles": """
            SELECT 1 FROM pg_class WHERE oid = %(t)s::regclass AND relacl IS NOT NULL""",
        "it is published for logical replication": """
            SELECT 1 FROM pg_publication_rel WHERE prrelid = %(t)s::regclass""",
        "it has row-level security policies": """
            SELECT 1 FROM pg_policy WHERE polrelid = %(t)s::regclass""",
        "foreign keys reference it": """
            SELECT 1 FROM pg_constraint WHERE confrelid = %(t)s::regclass""",
    }
    for reason, query in checks.items():
        cursor.execute(query, {"t": table})
        if cursor.fetchone():
            raise RebuildError(f"Cannot swap {table}: {reason}. Use rebuild_read_model --in-place.")


def _temp_index_name(table: str, n: int) -> str:
    return f"{shadow_name(table)}_i{n}"


def _create_shadow(cursor, shape: _TableShape) -> None:
    shadow = shadow_name(shape.table)
    cursor.execute(f"DROP TABLE IF EXISTS {_q(shadow)}")
    with_clause = f" WITH ({', '.join(shape.reloptions)})" if shape.reloptions else ""
    cursor.execute(f"CREATE TABLE {_q(shadow)} (LIKE {_q(shape.table)} INCLUDING ALL EXCLUDING INDEXES){with_clause}")


def _fill(cursor, shape: _TableShape) -> int:
    cols = ", ".join(_q(c) for c in shape.columns)
    cursor.execute(f"INSERT INTO {_q(shadow_name(shape.table))} ({cols}) SELECT {cols} FROM {SOURCES[shape.table]}")
    return cursor.rowcount


def _index_sql(shape: _TableShape, n: int, definition: str) -> str:
    """The original definition, on the shadow, under a temporary name."""
    unique = "UNIQUE " if definition.startswith("CREATE UNIQUE INDEX ") else ""
    _, using = definition.split(" USING ", 1)
    return (
        f"CREATE {unique}INDEX {_q(_temp_index_name(shape.table, n))} ON {_q(shadow_name(shape.table))} USING {using}"
    )


def _create_indexes(cursor, shape: _TableShape, log: Callable[[str], None]) -> None:
    for n, (name, definition, _constraint, _kind) in enumerate(shape.indexes):
        t0 = time.monotonic()
        cursor.execute(_index_sql(shape, n, definition))
        log(f"  index {name} ({time.monotonic() - t0:.1f}s)")


def _upsert_shadow(cursor, shape: _TableShape, ids: list[int]) -> None:
    """Rows of these prescriptions in the shadow := the source view's rows of them."""
    shadow = _q(shadow_name(shape.table))
    cols = ", ".join(_q(c) for c in shape.columns)
    key = shape.columns[0]  # id / id_prescricao: the primary key
    updates = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in shape.columns[1:])
    cursor.execute(f"DELETE FROM {shadow} WHERE id_prescricao = ANY(%s::bigint[])", [ids])
    cursor.execute(
        f"""INSERT INTO {shadow} ({cols})
            SELECT {cols} FROM {SOURCES[shape.table]} WHERE id_prescricao = ANY(%s::bigint[])
            ON CONFLICT ({_q(key)}) DO UPDATE SET {updates}""",
        [ids],
    )


# Prescriptions whose read rows an event of each aggregate type may change (as the snapshot sees them).
_TOUCHED_SQL = f"""
WITH ev AS ({AGGREGATES_AFTER_SQL})
SELECT aggregate_id FROM ev WHERE aggregate_type = '{AggregateType.PRESCRICAO}'
UNION SELECT p.id FROM prescricoes p
      JOIN ev ON ev.aggregate_type = '{AggregateType.MEDICO}' AND p.id_medico = ev.aggregate_id
UNION SELECT p.id FROM prescricoes p
      JOIN ev ON ev.aggregate_type = '{AggregateType.PACIENTE}' AND p.id_paciente = ev.aggregate_id
UNION SELECT pm.id_prescricao FROM prescricao_medicamentos pm
      JOIN ev ON ev.aggregate_type = '{AggregateType.MEDICAMENTO}' AND pm.id_medicamento = ev.aggregate_id
"""


def _touched(cursor, after: int) -> list[int]:
    cursor.execute(_TOUCHED_SQL, {"after": after})
    return sorted(row[0] for row in cursor.fetchall())


def _apply_delta(cursor, shapes: list[_TableShape], after: int) -> int:
    ids = _touched(cursor, after)
    if ids:
        for shape in shapes:
            _upsert_shadow(cursor, shape, ids)
    return len(ids)


def _outbox_sequence(cursor) -> str:
    return position_sequence(cursor)


def _start_point(cursor, sequence: str, timeout: float, log: Callable[[str], None]) -> int:
    """A position P such that, once this returns, every event numbered <= P is committed or rolled back.

    Reads the sequence (non-transactional: it counts positions handed out to
    transactions still running), then waits for every transaction of this
    database that may still commit one of them: those with a transaction id
    (they wrote something) or running a statement right now (it may be the
    INSERT that took the position and has no xid yet). Transactions idle
    without an xid wrote nothing, hold no event and are not waited for.
    """
    cursor.execute(f"SELECT last_value FROM {sequence}")
    position = int(cursor.fetchone()[0])
    cursor.execute(
        """SELECT l.virtualxid FROM pg_stat_activity a
           JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'virtualxid' AND l.granted
           WHERE a.datname = current_database() AND a.backend_type = 'client backend'
             AND a.pid <> pg_backend_pid()
             -- not: idle in a transaction that wrote nothing (state is NULL when we may not see it: wait)
             AND NOT (coalesce(a.state, '') = 'idle in transaction' AND a.backend_xid IS NULL)"""
    )
    vxids = [row[0] for row in cursor.fetchall()]
    deadline = time.monotonic() + timeout
    announced = False
    while vxids:
        cursor.execute(
            "SELECT array_agg(virtualxid) FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY(%s)",
            [vxids],
        )
        vxids = cursor.fetchone()[0] or []
        if not vxids:
            break
        if time.monotonic() > deadline:
            raise RebuildError(f"transactions {vxids} still running after {timeout:.0f}s; try again later")
        if not announced:
            log(f"  waiting for {len(vxids)} running transaction(s) to end...")
            announced = True
        time.sleep(0.02)
    return position


@contextmanager
def _repeatable_read(using: str):
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield cursor


def _swap_ddl(cursor, shape: _TableShape) -> None:
    """Old table out, shadow in under the original names (inside the swap transaction)."""
    shadow = shadow_name(shape.table)
    cursor.execute(f"DROP TABLE {_q(shape.table)}")
    cursor.execute(f"ALTER TABLE {_q(shadow)} RENAME TO {_q(shape.table)}")
    for n, (name, _definition, constraint, contype) in enumerate(shape.indexes):
        temp = _temp_index_name(shape.table, n)
        if constraint:
            kind = "PRIMARY KEY" if contype == "p" else "UNIQUE"
            cursor.execute(
                f"ALTER TABLE {_q(shape.table)} ADD CONSTRAINT {_q(constraint)} {kind} USING INDEX {_q(temp)}"
            )
            if constraint != name:
                cursor.execute(f"ALTER INDEX {_q(constraint)} RENAME TO {_q(name)}")
        else:
            cursor.execute(f"ALTER INDEX {_q(temp)} RENAME TO {_q(name)}")
    for name, definition, enabled, comment in shape.triggers:
        cursor.execute(definition)
        if comment is not None:
            cursor.execute(f"COMMENT ON TRIGGER {_q(name)} ON {_q(shape.table)} IS %s", [comment])
        if enabled != "O":
            action = {"D": "DISABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}[enabled]
            cursor.execute(f"ALTER TABLE {_q(shape.table)} {action} {_q(name)}")


def _shapes(cursor) -> list[_TableShape]:
    shapes = [_shape(cursor, table) for table in TABLES]
    for shape in shapes:
        # The upsert of the catch-up needs the primary key on the first column (id / id_prescricao).
        primary = [(c, kind) for _n, _d, c, kind in shape.indexes if kind == "p"]
        if not primary:
            raise RebuildError(f"Cannot swap {shape.table}: it has no primary key.")
    return shapes


def _drop_leftovers(cursor) -> None:
    for table in TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(shadow_name(table))}")


def _fill_logged(cursor, shape: _TableShape, say) -> int:
    t0 = time.monotonic()
    count = _fill(cursor, shape)
    say(f"  {shadow_name(shape.table)}: {count} rows ({time.monotonic() - t0:.1f}s)")
    return count


def _index_and_analyze(using: str, shape: _TableShape, say) -> None:
    with connections[using].cursor() as cursor:
        _create_indexes(cursor, shape, say)
        cursor.execute(f"ANALYZE {_q(shadow_name(shape.table))}")


def _build(using: str, shapes: list[_TableShape], parallel: bool, say) -> dict[str, int]:
    """Fill the (empty) shadows in one snapshot, then index and analyze them.

    `parallel`: the documents are built on a second connection that imports
    the same snapshot (`pg_export_snapshot`), so both tables fill and index
    side by side; the result is the same as filling both in one transaction.
    """
    counts: dict[str, int] = {}
    if not parallel:
        with _repeatable_read(using) as rr:
            for shape in shapes:
                counts[shape.table] = _fill_logged(rr, shape, say)
        for shape in shapes:
            _index_and_analyze(using, shape, say)
        return counts
    main, side = shapes
    imported = threading.Event()
    errors: list[BaseException] = []

    def build_side(snapshot: str) -> None:
        try:
            try:
                with _repeatable_read(using) as other:
                    other.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                    imported.set()
                    counts[side.table] = _fill_logged(other, side, say)
                _index_and_analyze(using, side, say)
            finally:
                connections[using].close()  # this thread's own connection
        except BaseException as exc:  # re-raised by the caller's thread
            errors.append(exc)
        finally:
            imported.set()

    with _repeatable_read(using) as rr:
        rr.execute("SELECT pg_export_snapshot()")
        snapshot = rr.fetchone()[0]
        if not re.fullmatch(r"[0-9A-F-]+", snapshot):
            raise RebuildError(f"unexpected snapshot id {snapshot!r}")
        thread = threading.Thread(target=build_side, args=[snapshot], name="rebuild-documents", daemon=True)
        thread.start()
        imported.wait()  # the exported snapshot lives as long as this transaction: keep it open until imported
        if errors:
            raise errors[0]
        counts[main.table] = _fill_logged(rr, main, say)
    _index_and_analyze(using, main, say)
    thread.join()
    if errors:
        raise errors[0]
    return counts


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
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
        if not cursor.fetchone()[0]:
            raise RebuildError("another rebuild_read_model is running")
        try:
            _drop_leftovers(cursor)
            shapes = _shapes(cursor)
            for shape in shapes:
                _preflight(cursor, shape.table)
            sequence = _outbox_sequence(cursor)

            # 1-2. Start point and build, in one snapshot.
            position = _start_point(cursor, sequence, wait_timeout, say)
            say(f"build: snapshot after outbox position {position}")
            for shape in shapes:
                _create_shadow(cursor, shape)
            counts = _build(using, shapes, parallel, say)
            report.rows, report.documents = counts[ITEMS], counts[DOCS]
            say(f"built ({time.monotonic() - started:.1f}s)")

            # 3. Catch up until the delta is small.
            for round_no in range(1, max_rounds + 1):
                previous, position = position, _start_point(cursor, sequence, wait_timeout, say)
                with _repeatable_read(using) as rr:
                    delta = _apply_delta(rr, shapes, previous)
                report.rounds.append(delta)
                say(f"catch-up {round_no}: {delta} prescriptions changed since the last pass")
                if delta <= small_delta:
                    break

            # 4. Swap.
            _swap(using, shapes, position, lock_timeout, lock_attempts, report, say)
        except BaseException:
            with suppress(Exception):  # the original error matters more; the next run drops them
                _drop_leftovers(cursor)
            raise
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
    report.seconds = time.monotonic() - started
    return report


def _swap(using, shapes, position, lock_timeout, attempts, report: SwapReport, say) -> None:
    for attempt in range(1, attempts + 1):
        report.lock_attempts = attempt
        t0 = time.monotonic()
        try:
            with _repeatable_read(using) as rr:
                # Only utility statements (SET, LOCK) before the lock is granted: the first query takes the
                # transaction's snapshot, which must include every writer the lock waited for.
                rr.execute(f"SET LOCAL lock_timeout = {int(lock_timeout * 1000)}")
                rr.execute(f"LOCK TABLE {', '.join(_q(t) for t in TABLES)} IN ACCESS EXCLUSIVE MODE")
                locked_at = time.monotonic()
                report.lock_wait_s = locked_at - t0
                rr.execute("SET LOCAL lock_timeout = 0")
                report.final_delta = _apply_delta(rr, shapes, position)
                for shape in shapes:
                    _swap_ddl(rr, shape)
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
        cursor.execute(f"LOCK TABLE {', '.join(_q(t) for t in TABLES)} IN ACCESS EXCLUSIVE MODE")
        _drop_leftovers(cursor)
        shapes = _shapes(cursor)
        for shape in shapes:
            _preflight(cursor, shape.table)
            _create_shadow(cursor, shape)
            count = _fill(cursor, shape)
            if shape.table == ITEMS:
                report.rows = count
            else:
                report.documents = count
            _create_indexes(cursor, shape, say)
        for shape in shapes:
            _swap_ddl(cursor, shape)
    report.seconds = time.monotonic() - started
    say(f"swap (inside the caller's transaction): {report.rows} rows, {report.documents} documents")
    return report
