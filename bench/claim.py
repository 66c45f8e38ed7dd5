"""The relay's claim: throughput of the no-starvation claim against the previous one, and the stall it removes.

    python -m bench.claim [--events 100000] [--per-aggregate 1,2,20] [--rounds 3]

Runs against DATABASE_URL's database (migrated; its outbox is emptied before and after, and it is in celery
mode meanwhile: use a database of your own). For each events-per-aggregate layout it fills the outbox with a
backlog, then drains it with `claim` + `mark_published` (the relay's two statements, no broker) using the
current claim (`outbox.store`) and the previous claim (the baseline: the same statement without
`outbox.queries.SKIP_BLOCKED`), alternating rounds; it reports events/s of each and their ratio. Then the
stall: two events per aggregate, a "dead relay" leasing the first `OUTBOX_BATCH_SIZE` heads; how many events
the next claim takes with each (the previous one took none until the lease ran out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from outbox import queries, store  # noqa: E402
from outbox.models import OutboxEvent  # noqa: E402
from outbox.sync_mode import current_mode, set_mode  # noqa: E402

TABLE = queries.TABLE

# The baseline: the claim without its no-starvation condition, as it was before that condition existed. It takes
# the first `batch` unpublished events by position and only then drops the blocked ones (the `heads` step), so
# a batch of blocked events stalls it.
PREVIOUS_CLAIM_SQL = queries.CLAIM_SQL.replace(queries.SKIP_BLOCKED, "")
assert PREVIOUS_CLAIM_SQL != queries.CLAIM_SQL, "outbox.queries.CLAIM_SQL no longer embeds SKIP_BLOCKED"


def _sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def _fill(events: int, per_aggregate: int) -> None:
    """`events` pending events, `per_aggregate` per prescription, all first events before all second ones."""
    aggregates = max(1, events // per_aggregate)
    _sql(
        "SELECT outbox_append('Bench', 'Prescricao', 1 + g %% %s, '{}') FROM generate_series(0, %s - 1) g",
        [aggregates, events],
    )
    _sql(f"ANALYZE {TABLE}")


def _claim(sql: str) -> list[int]:
    params = {"batch": settings.OUTBOX_BATCH_SIZE, "lease": settings.OUTBOX_LEASE, "horizon": store.horizon()}
    return [row[0] for row in _sql(sql, params)]


def _drain(sql: str) -> tuple[int, float]:
    done, t0 = 0, time.perf_counter()
    while ids := _claim(sql):
        store.mark_published(ids)
        done += len(ids)
    return done, time.perf_counter() - t0


def _empty() -> None:
    OutboxEvent.objects.all().delete()
    _sql(f"VACUUM ANALYZE {TABLE}")


def throughput(events: int, per_aggregate: int, rounds: int) -> dict:
    rates: dict[str, list[float]] = {"current": [], "previous": []}
    for _ in range(rounds):
        for name, sql in (("current", queries.CLAIM_SQL), ("previous", PREVIOUS_CLAIM_SQL)):
            _empty()
            _fill(events, per_aggregate)
            done, seconds = _drain(sql)
            assert done == events, (name, done, events)
            rates[name].append(done / seconds)
    current, previous = statistics.median(rates["current"]), statistics.median(rates["previous"])
    return {"current_per_s": round(current), "previous_per_s": round(previous), "ratio": round(current / previous, 3)}


def stall(events: int) -> dict:
    out = {}
    for name, sql in (("current", queries.CLAIM_SQL), ("previous", PREVIOUS_CLAIM_SQL)):
        _empty()
        _fill(events, 2)
        # The dead relay: leases on the first batch of heads, then the first batch of pending events is all
        # second events of those aggregates (the rest of the heads were published before it died).
        first = _sql(f"SELECT min(id) FROM {TABLE}")[0][0]
        half, batch = first + events // 2, first + settings.OUTBOX_BATCH_SIZE
        _sql(f"UPDATE {TABLE} SET published_at = now() WHERE id < %s AND id >= %s", [half, batch])
        _sql(f"UPDATE {TABLE} SET next_attempt_at = now() + interval '30 seconds' WHERE id < %s", [batch])
        t0 = time.perf_counter()
        claimed = _claim(sql)
        out[name] = {"claimed_by_next_pass": len(claimed), "ms": round((time.perf_counter() - t0) * 1000, 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.claim", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-aggregate", default="1,2,20")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    previous_mode = current_mode()
    set_mode("celery")  # in trigger mode events are born projected: nothing to claim
    try:
        for k in (int(x) for x in args.per_aggregate.split(",")):
            print(f"drain {args.events} events, {k} per aggregate:", throughput(args.events, k, args.rounds))
        print(f"dead relay's leases ahead of {args.events} events:", stall(args.events))
    finally:
        _empty()
        set_mode(previous_mode)


if __name__ == "__main__":
    main()
