"""4. Fan-out: rename a doctor shown by `fanout_big` rows and one shown by `fanout_small` rows.

Trigger mode: the time of the committed `UPDATE medicos` (the triggers rewrite
every row and document in the same transaction). Celery mode is measured in
`asyncmode` (time until every row shows the new name).
"""

from __future__ import annotations

import time

from bench import db
from bench.context import Context, log, median


def rename(conn, id_medico: int, name: str) -> float:
    t0 = time.perf_counter()
    conn.execute("UPDATE medicos SET nome = %s WHERE id = %s", [name, id_medico])
    return time.perf_counter() - t0


def rows_of(conn, id_medico: int) -> int:
    return conn.execute(f"SELECT count(*) FROM {db.FLAT_TABLE} WHERE id_medico = %s", [id_medico]).fetchone()[0]


def run_trigger(ctx: Context) -> None:
    keys = ["fanout.trigger_50k_ms", "fanout.trigger_1k_ms"]
    if not ctx.features["read_model_triggers"] or not db.table_exists(ctx.conn, db.FLAT_TABLE):
        ctx.pending(keys, "read-model triggers not migrated (issue 3)")
        return
    conn = ctx.conn
    if ctx.features["sync_mode"]:
        db.set_sync_mode(conn, "trigger")
    for label, id_medico in (("1k", 2), ("50k", 1)):
        shown = rows_of(conn, id_medico)
        times = [rename(conn, id_medico, f"Dr(a). Renomeado {label} {k}") * 1000 for k in range(3)]
        stale = conn.execute(
            f"SELECT count(*) FROM {db.FLAT_TABLE} WHERE id_medico = %s AND nome_medico <> %s",
            [id_medico, f"Dr(a). Renomeado {label} 2"],
        ).fetchone()[0]
        if stale:
            ctx.notes.append(f"after renaming doctor {id_medico}, {stale} flat rows still show an old name")
        ctx.detail("fanout", f"trigger_{label}", {"rows": shown, "runs_ms": [round(t, 1) for t in times]})
        ctx.put(f"fanout.trigger_{label}_ms", median(times))
        log(f"  rename doctor {id_medico} ({shown} rows): {median(times):.0f} ms")
