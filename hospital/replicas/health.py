"""Per-process view of the replicas: up or down, how far behind, and the reads each database served.

A replica is *usable* when it answered its last check, is in recovery (a
promoted server is on another timeline) and is at most `REPLICA_MAX_LAG`
seconds behind the primary. Checks run in the request path, at most every
`REPLICA_CHECK_INTERVAL` seconds for usable or lagging replicas and every
`REPLICA_RETRY_INTERVAL` seconds for one that failed, so a dead replica costs
one failed connect per retry interval and per process, not one per read.

Each check round first samples the primary's WAL position. A replica is
within `REPLICA_MAX_LAG` when it has replayed the newest sample at least that
old: exactly "it has everything the primary had that long ago", whether the
primary is busy or idle, and it keeps growing while replay is stuck. (Until
this process has such a sample, the reported lag decides.)

The reported `lag_seconds` is an upper bound: 0 once the replica has replayed
the primary's position of this round, else the smaller of the age of the last
transaction it replayed (exact under a steady write load) and the age of the
newest sample it has replayed.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from hospital.replicas.config import replica_aliases

PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn()::text"
REPLICA_CHECK_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       pg_wal_lsn_diff(%(primary)s::pg_lsn, pg_last_wal_replay_lsn())::bigint,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
       (SELECT count(*) FROM unnest(%(samples)s::pg_lsn[]) AS s WHERE s > pg_last_wal_replay_lsn())::int
"""
_SAMPLES_KEPT = 600


@dataclass
class ReplicaState:
    alias: str
    status: str = "unchecked"  # ok | lagging | down | not_in_recovery | unchecked
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    replay_lsn: str | None = None
    error: str = ""
    checked_at: float = 0.0  # time.monotonic() of the last check

    @property
    def usable(self) -> bool:
        return self.status == "ok"

    def due(self, now: float) -> bool:
        interval = settings.REPLICA_RETRY_INTERVAL if self.status == "down" else settings.REPLICA_CHECK_INTERVAL
        return now - self.checked_at >= interval


class ReplicaPool:
    """The replicas of this process's settings (thread-safe; one per process: `pool()`)."""

    def __init__(self, aliases: list[str]):
        self.aliases = aliases
        self.states = {alias: ReplicaState(alias) for alias in aliases}
        self.reads: Counter[str] = Counter()
        self.token_reads: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._samples: deque[tuple[float, str]] = deque(maxlen=_SAMPLES_KEPT)  # (monotonic time, primary LSN)

    # -- what readers ask

    def usable(self) -> list[str]:
        """Replicas fit to serve a read now (checking those whose last check is due, unless another thread is)."""
        now = time.monotonic()
        if any(state.due(now) for state in self.states.values()) and self._check_lock.acquire(blocking=False):
            try:
                self.check(now)
            finally:
                self._check_lock.release()
        return [alias for alias, state in self.states.items() if state.usable]

    def served(self, alias: str) -> None:
        with self._lock:
            self.reads[alias] += 1

    def token_read(self, alias: str) -> None:
        """A read with a token was sent to `alias` (the primary: no replica had reached it in time)."""
        with self._lock:
            self.token_reads[alias] += 1

    def mark_down(self, alias: str, error: BaseException | str) -> None:
        """A read on `alias` failed on the connection: skip it until its retry is due."""
        with self._lock:
            state = self.states[alias]
            state.status, state.error, state.checked_at = "down", str(error).strip()[:300], time.monotonic()
        with contextlib.suppress(DatabaseError):
            connections[alias].close()

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "replicas": [{k: v for k, v in asdict(s).items() if k != "checked_at"} for s in self.states.values()],
                "reads_served": {alias: self.reads.get(alias, 0) for alias in [DEFAULT_DB_ALIAS, *self.aliases]},
                "token_reads": {alias: self.token_reads.get(alias, 0) for alias in [DEFAULT_DB_ALIAS, *self.aliases]},
            }

    # -- checks

    def check(self, now: float | None = None, *, every: bool = False) -> None:
        """Check the replicas that are due (all of them with `every`) against the primary's WAL position."""
        now = time.monotonic() if now is None else now
        due = [s for s in self.states.values() if every or s.due(now)]
        if not due:
            return
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(PRIMARY_LSN_SQL)
            primary_lsn = cursor.fetchone()[0]
        self._samples.append((now, primary_lsn))
        times, lsns = [t for t, _ in self._samples], [lsn for _, lsn in self._samples]
        for state in due:
            self._check_one(state, now, primary_lsn, times, lsns)

    def _check_one(self, state: ReplicaState, now: float, primary_lsn: str, times: list, lsns: list) -> None:
        try:
            with connections[state.alias].cursor() as cursor:
                cursor.execute(REPLICA_CHECK_SQL, {"primary": primary_lsn, "samples": lsns})
                in_recovery, replay_lsn, lag_bytes, replay_age, not_replayed = cursor.fetchone()
        except DatabaseError as error:
            self.mark_down(state.alias, error)
            return
        replayed = len(times) - not_replayed  # samples are in LSN order: these first ones are replayed
        lag = 0.0
        if lag_bytes > 0:
            bounds = [now - times[replayed - 1]] if replayed else [now - times[0]]
            if replay_age is not None:
                bounds.append(replay_age)
            lag = round(max(0.0, min(bounds)), 3)
        max_lag = settings.REPLICA_MAX_LAG
        old_enough = bisect.bisect_right(times, now - max_lag)  # samples taken at least max_lag ago
        behind = replayed < old_enough if old_enough else lag > max_lag
        if not in_recovery:
            status = "not_in_recovery"
        elif behind:
            status = "lagging"
        else:
            status = "ok"
        with self._lock:
            state.status, state.error, state.checked_at = status, "", now
            state.lag_seconds, state.lag_bytes, state.replay_lsn = lag, max(0, int(lag_bytes)), replay_lsn


_pool: ReplicaPool | None = None
_pool_lock = threading.Lock()


def pool() -> ReplicaPool:
    """This process's replica pool (built from the settings' replica aliases on first use)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ReplicaPool(replica_aliases(settings.DATABASES))
    return _pool


def replica_status() -> dict:
    """Each replica checked now, and this process's counters (for `sync_status` and the status endpoint)."""
    replicas = pool()
    if not replicas.aliases:
        return {"replicas": [], "reads_served": {}, "token_reads": {}}
    replicas.check(every=True)
    return replicas.snapshot()


def replicas_configured() -> bool:
    return bool(replica_aliases(settings.DATABASES))


__all__ = ["ReplicaPool", "ReplicaState", "pool", "replicas_configured"]
