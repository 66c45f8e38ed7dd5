"""3. Rebuild: rebuild_read_model vs REFRESH MATERIALIZED VIEW vs a bare INSERT … SELECT.

Like with like: `rebuild_read_model` fills both read tables at once (two
connections sharing a snapshot), so `rebuild.vs_refresh_mv` compares it with
both materialized views refreshed at once; the rebuild run serially
(`parallel=False`) is compared with the views refreshed one after the other.

All three produce the same rows from the same source join with the same
indexes. While each runs, a reader polls a lookup on the table being built
and records its worst latency: a refresh locks readers out, an online rebuild
must not.
"""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg import sql

from bench import db
from bench.context import Context, log
from bench.sql import DOCS_FALLBACK, SOURCE_JOIN


class StallProbe:
    """Polls `query` every 20 ms on its own connection; records the worst latency."""

    def __init__(self, url: str, query: str):
        self.url, self.query = url, query
        self.worst = 0.0
        self.samples = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                try:
                    conn.execute(self.query).fetchall()
                except psycopg.Error:
                    self.errors += 1
                self.worst = max(self.worst, time.perf_counter() - t0)
                self.samples += 1
                self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def result(self) -> dict:
        return {"max_ms": round(self.worst * 1000, 1), "samples": self.samples, "errors": self.errors}


def _index_defs(conn, table: str) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = current_schema()", [table]
        ).fetchall()
    ]


def _clone_indexes(conn, source: str, target: str) -> int:
    """Create on `target` the indexes of `source` (primary key as a unique index)."""
    count = 0
    for n, definition in enumerate(_index_defs(conn, source)):
        on = definition.split(" ON ", 1)[1].replace(source, target, 1)
        unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
        conn.execute(f"CREATE {unique}INDEX bench_{target}_{n} ON {on}")
        count += 1
    return count


def _generated_columns(conn, table: str) -> str:
    """`, <expression> AS <name>` for each stored generated column of `table` (empty when none)."""
    rows = conn.execute(
        """SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a
           JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE a.attrelid = %s::regclass AND a.attgenerated = 's' ORDER BY a.attnum""",
        [table],
    ).fetchall()
    return "".join(f", {expression} AS {name}" for name, expression in rows)


def _refresh_at_once(url: str, views: list[str]) -> float:
    """Wall time of REFRESH MATERIALIZED VIEW of each view, all at once on their own connections."""
    barrier = threading.Barrier(len(views) + 1)

    def refresh(view: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            barrier.wait()
            conn.execute(f"REFRESH MATERIALIZED VIEW {view}")

    threads = [threading.Thread(target=refresh, args=(view,)) for view in views]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0


def _timed(conn, statement: str) -> float:
    t0 = time.perf_counter()
    conn.execute(statement)
    return time.perf_counter() - t0


def run(ctx: Context) -> None:
    conn = ctx.conn
    if not db.table_exists(conn, db.FLAT_TABLE):
        ctx.pending(["rebuild.vs_refresh_mv", "rebuild.seconds"], "read tables not migrated yet (issue 3)")
        return
    itens_src = "pharmacy_fonte_itens" if db.table_exists(conn, "pharmacy_fonte_itens") else f"({SOURCE_JOIN}) s"
    docs_src = None  # no documents table: only the flat rows are rebuilt and compared
    if db.table_exists(conn, db.DOC_TABLE):
        fonte = "pharmacy_fonte_documentos"
        docs_src = fonte if db.table_exists(conn, fonte) else f"({DOCS_FALLBACK}) d"
    rows = conn.execute(f"SELECT count(*) FROM {itens_src}").fetchone()[0]
    ctx.detail("rebuild", "rows", rows)
    probe_id = conn.execute("SELECT min(id_prescricao) FROM prescricao_medicamentos").fetchone()[0] or 1

    bare, refresh_itens, refresh_docs, refresh_both = _baselines(ctx, itens_src, docs_src, probe_id)
    if "rebuild_read_model" not in ctx.features["commands"]:
        ctx.pending(["rebuild.vs_refresh_mv", "rebuild.seconds"], "manage.py rebuild_read_model not landed (issue 3)")
        _fill_directly(ctx, itens_src, docs_src)
        return
    with StallProbe(ctx.url, f"SELECT count(*) FROM {db.FLAT_TABLE} WHERE id_prescricao = {probe_id}") as probe:
        result = ctx.pool.run("rebuild", args=[])[0]
    seconds = result["seconds"]
    ctx.detail("rebuild", "rebuild_output_tail", result["output"][-600:])
    ctx.detail("rebuild", "rebuild_reader_stall", probe.result())
    got = conn.execute(f"SELECT count(*) FROM {db.FLAT_TABLE}").fetchone()[0]
    ctx.detail("rebuild", "rebuilt_rows", got)
    if got != rows:
        ctx.notes.append(f"rebuild_read_model left {got} flat rows, the source join has {rows}")
    ctx.put("rebuild.seconds", seconds)
    # Like with like: the rebuild fills both tables on two connections at once, so its baseline is both views
    # refreshed at once on two connections; and the rebuild done serially against the views refreshed one
    # after the other.
    ctx.put("rebuild.vs_refresh_mv", seconds / refresh_both)
    serial = ctx.pool.run("rebuild_serial")[0]["seconds"]
    ctx.put("rebuild.serial_seconds", serial)
    ctx.put("rebuild.serial_vs_refresh_mv_serial", serial / (refresh_itens + refresh_docs))
    ctx.put("rebuild.vs_bare_insert_select", seconds / bare)
    ctx.put("rebuild.reader_stall_ms", probe.result()["max_ms"])
    # The usual operator case: rerun over a read model that is already (nearly) right.
    rerun = ctx.pool.run("rebuild", args=[])[0]
    ctx.detail("rebuild", "rerun_over_populated_s", round(rerun["seconds"], 2))
    ctx.put("rebuild.refresh_reader_stall_ms", ctx.details["rebuild"]["refresh_mv_reader_stall"]["max_ms"])


def _baselines(ctx: Context, itens_src: str, docs_src: str | None, probe_id: int) -> tuple[float, float, float, float]:
    """What a rebuild is compared with, in seconds: a bare INSERT … SELECT into an indexed copy of the flat table,
    and equivalent materialized views refreshed (the flat rows', the documents', both at once)."""
    conn = ctx.conn
    # Bare INSERT … SELECT into an indexed copy of the flat table (no protection trigger).
    conn.execute(f"CREATE TABLE bench_flat_copy (LIKE {db.FLAT_TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    _clone_indexes(conn, db.FLAT_TABLE, "bench_flat_copy")
    bare = _timed(conn, f"INSERT INTO bench_flat_copy SELECT * FROM {itens_src}")
    conn.execute("DROP TABLE bench_flat_copy")
    ctx.detail("rebuild", "bare_insert_select_itens_s", round(bare, 2))
    log(f"  bare INSERT…SELECT (indexed table): {bare:.2f}s")

    # Equivalent materialized views with the same indexes, refreshed (readers are locked out).
    conn.execute(f"CREATE MATERIALIZED VIEW bench_mv_itens AS SELECT * FROM {itens_src} WITH NO DATA")
    _clone_indexes(conn, db.FLAT_TABLE, "bench_mv_itens")
    with StallProbe(ctx.url, f"SELECT count(*) FROM bench_mv_itens WHERE id_prescricao = {probe_id}") as probe:
        conn.execute("REFRESH MATERIALIZED VIEW bench_mv_itens")  # first fill (not timed: warms the cache)
        refresh_itens = _timed(conn, "REFRESH MATERIALIZED VIEW bench_mv_itens")
    ctx.detail("rebuild", "refresh_mv_itens_s", round(refresh_itens, 2))
    ctx.detail("rebuild", "refresh_mv_reader_stall", probe.result())
    refresh_docs = 0.0
    refresh_both = refresh_itens
    if docs_src:
        generated = _generated_columns(conn, db.DOC_TABLE)  # the search columns: the table's indexes need them
        conn.execute(f"CREATE MATERIALIZED VIEW bench_mv_docs AS SELECT *{generated} FROM {docs_src} WITH NO DATA")
        _clone_indexes(conn, db.DOC_TABLE, "bench_mv_docs")
        conn.execute("REFRESH MATERIALIZED VIEW bench_mv_docs")
        refresh_docs = _timed(conn, "REFRESH MATERIALIZED VIEW bench_mv_docs")
        ctx.detail("rebuild", "refresh_mv_docs_s", round(refresh_docs, 2))
        refresh_both = _refresh_at_once(ctx.url, ["bench_mv_itens", "bench_mv_docs"])
        ctx.detail("rebuild", "refresh_mv_both_at_once_s", round(refresh_both, 2))
    log(
        f"  REFRESH MATERIALIZED VIEW: itens {refresh_itens:.2f}s, docs {refresh_docs:.2f}s, "
        f"both at once {refresh_both:.2f}s"
    )
    conn.execute("DROP MATERIALIZED VIEW IF EXISTS bench_mv_itens")
    conn.execute("DROP MATERIALIZED VIEW IF EXISTS bench_mv_docs")

    return bare, refresh_itens, refresh_docs, refresh_both


def _fill_directly(ctx: Context, itens_src: str, docs_src: str | None) -> None:
    """No rebuild command yet: fill the read tables under the sync allowance so reads can be measured."""
    with ctx.conn.transaction():
        ctx.conn.execute("SELECT set_config('pharmacy.sync_writer', 'on', true)")
        ctx.conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM " + itens_src).format(sql.Identifier(db.FLAT_TABLE)))
        if docs_src:
            ctx.conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM " + docs_src).format(sql.Identifier(db.DOC_TABLE)))
