"""Run inside a Django process (DATABASE_URL + DATABASE_REPLICA_URLS set): time the read-your-writes check.

Prints one JSON object: p50/p99/max in ms of `routing.read_database(token)`
for a token the replicas have already reached (one query on the replica:
the common case right after a write), of `read_database(None)` (no token: no
query) as the baseline of the same call, of a bare `SELECT 1` on the same
replica connection (the round trip the check cannot go below), and the
server-side execution time of the check's query (`EXPLAIN ANALYZE`).
"""

from __future__ import annotations

import json
import time

import django


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 4),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 4),
        "max_ms": round(ordered[-1] * 1000, 4),
    }


def main(rounds: int = 3000) -> dict:
    django.setup()
    from django.db import DEFAULT_DB_ALIAS, connections

    from hospital.replicas.token import primary_lsn
    from outbox.positions import feed_status
    from pharmacy.read_after import ReadToken
    from pharmacy.replica_routing import REACHED_SQL, read_database

    token = ReadToken(feed_status().projection_position, primary_lsn())
    read_database(token)  # connections opened, replicas checked
    timings = {"token": [], "plain": [], "select_1": [], "server": []}
    served = set()
    for _ in range(rounds):
        for name, argument in (("token", token), ("plain", None)):
            t0 = time.perf_counter()
            alias = read_database(argument)
            timings[name].append(time.perf_counter() - t0)
            served.add(alias)
    with connections["replica_1"].cursor() as cursor:
        for _ in range(rounds):
            t0 = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            timings["select_1"].append(time.perf_counter() - t0)
        for _ in range(200):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + REACHED_SQL, {"lsn": token.lsn, "p": token.position})
            timings["server"].append(cursor.fetchone()[0][0]["Execution Time"] / 1000)
    return {
        "token_check": _percentiles(timings["token"]),
        "no_token": _percentiles(timings["plain"]),
        "select_1_round_trip": _percentiles(timings["select_1"]),
        "check_query_server_side": _percentiles(timings["server"]),
        "rounds": rounds,
        "served_by_primary": DEFAULT_DB_ALIAS in served,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
