"""Snapshots of the build-and-swap rebuild (`pharmacy.swap_rebuild`): start points and the parallel build.

A start point is an outbox position P such that every event numbered <= P is
committed or rolled back; a REPEATABLE READ snapshot opened after it sees
every such event. The build fills the shadow tables in one such snapshot,
optionally on two connections sharing it (`pg_export_snapshot`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connections, transaction

from pharmacy.shadow_tables import RebuildError, TableShape, create_indexes, fill, quote, shadow_name


def start_point(cursor, sequence: str, timeout: float, log: Callable[[str], None]) -> int:
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
def repeatable_read(using: str):
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield cursor


def fill_logged(cursor, shape: TableShape, say) -> int:
    t0 = time.monotonic()
    count = fill(cursor, shape)
    say(f"  {shadow_name(shape.table)}: {count} rows ({time.monotonic() - t0:.1f}s)")
    return count


def index_and_analyze(using: str, shape: TableShape, say) -> None:
    with connections[using].cursor() as cursor:
        create_indexes(cursor, shape, say)
        cursor.execute(f"ANALYZE {quote(shadow_name(shape.table))}")


def build(using: str, shapes: list[TableShape], parallel: bool, say) -> dict[str, int]:
    """Fill the (empty) shadows in one snapshot, then index and analyze them.

    `parallel`: the documents are built on a second connection that imports
    the same snapshot (`pg_export_snapshot`), so both tables fill and index
    side by side; the result is the same as filling both in one transaction.
    """
    counts: dict[str, int] = {}
    if not parallel:
        with repeatable_read(using) as rr:
            for shape in shapes:
                counts[shape.table] = fill_logged(rr, shape, say)
        for shape in shapes:
            index_and_analyze(using, shape, say)
        return counts
    main, side = shapes
    imported = threading.Event()
    errors: list[BaseException] = []

    def build_side(snapshot: str) -> None:
        try:
            try:
                with repeatable_read(using) as other:
                    other.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                    imported.set()
                    counts[side.table] = fill_logged(other, side, say)
                index_and_analyze(using, side, say)
            finally:
                connections[using].close()  # this thread's own connection
        except BaseException as exc:  # re-raised by the caller's thread
            errors.append(exc)
        finally:
            imported.set()

    with repeatable_read(using) as rr:
        rr.execute("SELECT pg_export_snapshot()")
        snapshot = rr.fetchone()[0]
        if not re.fullmatch(r"[0-9A-F-]+", snapshot):
            raise RebuildError(f"unexpected snapshot id {snapshot!r}")
        thread = threading.Thread(target=build_side, args=[snapshot], name="rebuild-documents", daemon=True)
        thread.start()
        imported.wait()  # the exported snapshot lives as long as this transaction: keep it open until imported
        if errors:
            raise errors[0]
        counts[main.table] = fill_logged(rr, main, say)
    index_and_analyze(using, main, say)
    thread.join()
    if errors:
        raise errors[0]
    return counts
