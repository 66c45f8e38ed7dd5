"""Run inside a Django process (DATABASE_URL + DATABASE_REPLICA_URLS set): time the read-your-writes check.

Prints one JSON object: p50/p99/max in ms of `routing.read_database(token)`
for a token the replicas have already reached (one query on the replica:
the common case right after a write), and of `read_database(None)` (no
token: no query) as the baseline of the same call.
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
    from django.db import DEFAULT_DB_ALIAS

    from hospital.read_after import ReadToken
    from hospital.replicas.routing import read_database
    from hospital.replicas.token import primary_lsn
    from outbox.positions import projection_position

    token = ReadToken(projection_position(), primary_lsn())
    read_database(token)  # connections opened, replicas checked
    timings = {"token": [], "plain": []}
    served = set()
    for _ in range(rounds):
        for name, argument in (("token", token), ("plain", None)):
            t0 = time.perf_counter()
            alias = read_database(argument)
            timings[name].append(time.perf_counter() - t0)
            served.add(alias)
    return {
        "token_check": _percentiles(timings["token"]),
        "no_token": _percentiles(timings["plain"]),
        "rounds": rounds,
        "served_by_primary": DEFAULT_DB_ALIAS in served,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
