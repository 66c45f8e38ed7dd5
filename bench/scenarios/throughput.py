"""Relay and projector throughput: how fast a backlog is published, and a burst projected.

- Bare baseline: the claim-and-delete loop in SQL (`FOR UPDATE SKIP LOCKED`,
  1,000 per batch) over a `backlog` of pending events.
- Relay: `outbox.relay.run(once=True)` (what `manage.py outbox_relay --once`
  runs) in a warm Django process, draining the same backlog into the run's
  private Redis.
- Projector: a burst of real events with relay and worker running; events/s
  until all are projected (the worker's capacity, which bounds the lag).
"""

from __future__ import annotations

import time

import psycopg

from bench import db
from bench.context import Context
from bench.sql import backlog_events
from bench.threads import run_in_threads
from outbox import queries

TABLE = queries.TABLE


def mark_all_projected(conn) -> None:
    conn.execute(f"UPDATE {TABLE} SET projected_at = now() WHERE projected_at IS NULL")


def bare_claim_delete(ctx: Context) -> None:
    conn = ctx.conn
    n = ctx.cfg.backlog
    mark_all_projected(conn)
    conn.execute(backlog_events(1, n, ctx.cfg.prescriptions))
    conn.execute(f"VACUUM ANALYZE {TABLE}")
    t0 = time.perf_counter()
    done = 0
    while True:
        with conn.transaction():
            rows = conn.execute(
                f"WITH c AS (SELECT id FROM {TABLE} WHERE projected_at IS NULL AND dead_lettered_at IS NULL "
                "ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED) "
                f"DELETE FROM {TABLE} o USING c WHERE o.id = c.id RETURNING o.id, o.payload"
            ).fetchall()
        if not rows:
            break
        done += len(rows)
    seconds = time.perf_counter() - t0
    ctx.put("relay.bare_claim_delete_per_s", done / seconds)


EVENTS_PER_AGGREGATE = 4
BACKLOG_WRITERS = 4
EVENTS_PER_TRANSACTION = 250


def concurrent_backlog(ctx: Context, n: int) -> dict:
    """`n` pending events, `EVENTS_PER_AGGREGATE` per prescription, committed by concurrent transactions.

    Event `g` is for prescription `1 + g % (n / EVENTS_PER_AGGREGATE)`, so an
    aggregate's events sit in different transactions of different writers, as
    concurrent commands leave them: the relay must keep each aggregate's order
    across passes, which one event per aggregate in one transaction never asks.
    """
    aggregates = max(1, n // EVENTS_PER_AGGREGATE)
    chunks = list(range(0, n, EVENTS_PER_TRANSACTION))

    def writer(index: int) -> None:
        with psycopg.connect(ctx.url, autocommit=True) as conn:
            for start in chunks[index::BACKLOG_WRITERS]:
                size = min(EVENTS_PER_TRANSACTION, n - start)
                conn.execute(backlog_events(1, size, aggregates, offset=start))

    run_in_threads(writer, [(i,) for i in range(BACKLOG_WRITERS)])
    return {
        "events": n,
        "aggregates": aggregates,
        "writers": BACKLOG_WRITERS,
        "per_transaction": EVENTS_PER_TRANSACTION,
    }


def relay_throughput(ctx: Context) -> None:
    conn = ctx.conn
    n = ctx.cfg.backlog
    mark_all_projected(conn)
    ctx.detail("relay", "backlog", concurrent_backlog(ctx, n))
    conn.execute(f"VACUUM ANALYZE {TABLE}")
    result = ctx.pool.run("relay_drain", profile=ctx.cfg.profile)[0]
    published = result["published"]
    profile = result.pop("profile", None)
    if profile:
        ctx.detail("relay", "profile", profile)
    ctx.detail("relay", "drain", {"events": n, **result, "seconds": round(result["seconds"], 3)})
    if published < n:  # an incomplete drain says nothing about throughput: no figure
        ctx.notes.append(
            f"outbox relay published {published} of {n} backlog events ({result['errors']}): "
            "relay.events_per_s is not reported for an incomplete run"
        )
        ctx.put("relay.events_per_s", None)
        return
    ctx.put("relay.events_per_s", published / result["seconds"])
    bare = ctx.metrics.get("relay.bare_claim_delete_per_s")
    if isinstance(bare, float):
        ctx.put("relay.vs_bare_claim_delete", ctx.metrics["relay.events_per_s"] / bare)


def projector_throughput(ctx: Context) -> None:
    """Relay and worker running: how fast a burst of events that change read rows is projected.

    The burst is one direct UPDATE of the items of `n` prescriptions (their
    dosage gains a mark); in celery mode the capture triggers give each
    prescription an event at commit, and every event changes its rows, which
    must then show the mark. Events/s from the commit until all are projected
    and no row lacks the mark; not reported when that does not happen in time.
    """
    conn = ctx.conn
    n = min(ctx.cfg.prescriptions - 3, max(ctx.cfg.backlog // 10, 2_000), 20_000)
    first = 3  # away from the fan-out doctors' first prescriptions
    mark_all_projected(conn)
    mark = f"·{int(time.time()) % 1000}"
    conn.execute(
        "UPDATE prescricao_medicamentos SET dosagem = dosagem || %s WHERE id_prescricao BETWEEN %s AND %s",
        [mark, first, first + n - 1],
    )
    t0 = time.perf_counter()
    events = conn.execute(f"SELECT count(*) FROM {TABLE} WHERE projected_at IS NULL").fetchone()[0]
    conn.execute("SELECT pg_notify(%s, '')", [queries.CHANNEL])
    left = stale = events
    while time.perf_counter() - t0 < ctx.cfg.converge_timeout:
        left = conn.execute(
            f"SELECT count(*) FROM {TABLE} WHERE projected_at IS NULL AND dead_lettered_at IS NULL"
        ).fetchone()[0]
        if not left:
            stale = conn.execute(
                f"SELECT count(*) FROM {db.FLAT_TABLE} WHERE id_prescricao BETWEEN %s AND %s "
                "AND right(dosagem, %s) <> %s",
                [first, first + n - 1, len(mark), mark],
            ).fetchone()[0]
            if not stale:
                break
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    ctx.detail("projector", "burst", {"events": events, "left": left, "stale_rows": stale,
                                      "seconds": round(seconds, 2)})  # fmt: skip
    if left or stale:
        ctx.notes.append(f"projector burst: {left} events pending, {stale} rows stale after {seconds:.0f}s: no figure")
        ctx.put("projector.events_per_s", None)
    else:
        ctx.put("projector.events_per_s", events / seconds)
    mark_all_projected(conn)
