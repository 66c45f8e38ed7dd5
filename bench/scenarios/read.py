"""2. Read path: flat read table vs the source 5-table join, at SQL level and over HTTP.

SQL level: literal queries over the simple query protocol (`PQexec`, no
prepare, no Python row decoding), alternating flat/join rounds over the same
random ids after a warm-up pass, so both run hot. HTTP: a real gunicorn on
loopback with `clients` concurrent clients and a bounded number of requests.
"""

from __future__ import annotations

import random
import time

from psycopg import pq

from bench import db
from bench.context import Context, log, merge_http, pct
from bench.sql import FLAT_BY_PATIENT, FLAT_BY_PRESCRIPTION, JOIN_BY_PATIENT, JOIN_BY_PRESCRIPTION


def _run_queries(pgconn, template: str, ids: list[int]) -> float:
    queries = [template.format(id=i).encode() for i in ids]
    t0 = time.perf_counter()
    for q in queries:
        res = pgconn.exec_(q)
        if res.status != pq.ExecStatus.TUPLES_OK:
            raise RuntimeError(f"{q!r}: {res.error_message!r}")
    return time.perf_counter() - t0


def _explain(conn, template: str, some_id: int) -> dict:
    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + template.format(id=some_id)).fetchone()[0][0]
    return {
        "execution_ms": round(plan["Execution Time"], 3),
        "planning_ms": round(plan["Planning Time"], 3),
        "shared_hit_blocks": plan["Plan"].get("Shared Hit Blocks"),
        "top_node": plan["Plan"]["Node Type"],
    }


def _active_prescriptions(ctx: Context, count: int, rng: random.Random) -> list[int]:
    n = ctx.cfg.prescriptions
    ids = []
    while len(ids) < count:
        i = rng.randint(1, n)
        if i % 50:
            ids.append(i)
    return ids


def run_sql(ctx: Context) -> None:
    conn = ctx.conn
    if not db.table_exists(conn, db.FLAT_TABLE):
        ctx.pending(["read.flat_vs_join_speedup", "read.patient_flat_vs_join_speedup"], "read tables (issue 3)")
        return
    flat_rows = conn.execute(f"SELECT count(*) FROM {db.FLAT_TABLE}").fetchone()[0]
    ctx.detail("read", "flat_rows", flat_rows)
    if not flat_rows:
        ctx.pending(["read.flat_vs_join_speedup"], "flat read table is empty")
        return
    conn.execute(f"VACUUM ANALYZE {db.FLAT_TABLE}")
    rng = random.Random(7)
    n = ctx.cfg.read_lookups
    pgconn = conn.pgconn
    cases = {
        "prescription": (FLAT_BY_PRESCRIPTION, JOIN_BY_PRESCRIPTION, _active_prescriptions(ctx, n, rng)),
        "patient": (FLAT_BY_PATIENT, JOIN_BY_PATIENT, [rng.randint(1, ctx.cfg.pacientes) for _ in range(n)]),
    }
    for case, (flat_q, join_q, ids) in cases.items():
        _run_queries(pgconn, flat_q, ids)  # warm-up: both sides hot
        _run_queries(pgconn, join_q, ids)
        flat_t = join_t = 0.0
        rounds = 4
        chunk = max(1, len(ids) // rounds)
        for r in range(rounds):
            part = ids[r * chunk : (r + 1) * chunk]
            if r % 2:
                join_t += _run_queries(pgconn, join_q, part)
                flat_t += _run_queries(pgconn, flat_q, part)
            else:
                flat_t += _run_queries(pgconn, flat_q, part)
                join_t += _run_queries(pgconn, join_q, part)
        done = chunk * rounds
        flat_us, join_us = flat_t / done * 1e6, join_t / done * 1e6
        ctx.detail("read", f"{case}_flat_us", round(flat_us, 1))
        ctx.detail("read", f"{case}_join_us", round(join_us, 1))
        ctx.detail("read", f"{case}_explain_flat", _explain(conn, flat_q, ids[0]))
        ctx.detail("read", f"{case}_explain_join", _explain(conn, join_q, ids[0]))
        log(f"  {case}: flat {flat_us:.0f} µs, join {join_us:.0f} µs per lookup")
        key = "read.flat_vs_join_speedup" if case == "prescription" else "read.patient_flat_vs_join_speedup"
        ctx.put(key, join_us / flat_us)
    # The floor of one round trip: what no table layout can go below.
    floor = _run_queries(pgconn, "SELECT {id}", list(range(n))) / n * 1e6
    ctx.detail("read", "round_trip_floor_us", round(floor, 1))
    flat_us = ctx.details["read"]["prescription_flat_us"]
    join_us = ctx.details["read"]["prescription_join_us"]
    ctx.detail("read", "speedup_net_of_round_trip", round((join_us - floor) / max(flat_us - floor, 1e-9), 2))


def run_http(ctx: Context, port: int | None) -> None:
    keys = ["read.http_prescription_p50_ms", "read.http_prescription_p99_ms", "read.http_prescription_rps"]
    if port is None:
        ctx.pending(keys, "web server did not start")
        return
    probe = ctx.pool.run("http_probe", path="/api/pharmacy/itens/?id_prescricao=1", token=ctx.token, port=port)[0]
    if probe != 200:
        ctx.pending(keys, f"GET /api/pharmacy/itens/ answers {probe} (read API of issue 3 not landed)")
        return
    rng = random.Random(11)
    clients = ctx.cfg.clients
    per = max(1, ctx.cfg.http_requests // clients)
    for case, make in {
        "prescription": lambda: f"/api/pharmacy/itens/?id_prescricao={_active_prescriptions(ctx, 1, rng)[0]}",
        "patient": lambda: f"/api/pharmacy/itens/?id_paciente={rng.randint(1, ctx.cfg.pacientes)}",
    }.items():
        paths = [[make() for _ in range(per)] for _ in range(clients)]
        start_at = time.monotonic() + 0.3
        results = ctx.pool.run(
            "read_http", workers=clients, per_worker=lambda i, p=paths: {"paths": p[i]},
            start_at=start_at, token=ctx.token, port=port,
        )  # fmt: skip
        latencies, statuses = merge_http(results)
        wall = max(r["seconds"] for r in results)
        ctx.detail("read", f"http_{case}_statuses", statuses)
        ctx.put(f"read.http_{case}_p50_ms", pct(latencies, 50) * 1000)
        ctx.put(f"read.http_{case}_p99_ms", pct(latencies, 99) * 1000)
        ctx.put(f"read.http_{case}_rps", len(latencies) / wall)
    ctx.detail("read", "http_clients", clients)
