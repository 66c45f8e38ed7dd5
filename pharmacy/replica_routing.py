"""The one place a read chooses its database (`using=`): a replica when it is safe, else the primary.

- No `X-Read-After`: any usable replica (up, in recovery, within
  `REPLICA_MAX_LAG`), taken in turn; the primary when there is none.
- With a read token (`N@LSN`, or a bare outbox position `N`, for which the
  primary's current WAL position stands in as the LSN: the reader's write
  committed before it asked): a usable replica on which, in one query on the
  connection the read then uses, `pg_last_wal_replay_lsn() >= LSN` and the
  projection has reached N (so in celery mode the projection's commit is
  replayed too). Each replica is checked for itself: one replica having
  caught up says nothing about another. Replicas are polled for up to
  `REPLICA_READ_WAIT` seconds; then the read goes to the primary, which waits
  for the projection as before (`READ_AFTER_TIMEOUT`, then 503). A replica
  that fails is marked down and the read goes on elsewhere: never a stale
  answer, never an error while the primary is up.
"""

from __future__ import annotations

import itertools
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from hospital.replicas.health import pool, replicas_configured
from hospital.replicas.token import primary_lsn
from outbox.queries import IS_PROJECTED_SQL
from pharmacy.read_after import ReadToken, wait_for_position

REACHED_SQL = f"SELECT coalesce(pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn, false) AND ({IS_PROJECTED_SQL})"
_turn = itertools.count()


def read_database(token: ReadToken | None) -> str:
    """The alias a read with `token` (or none) must use; may raise `ProjectionBehind` (see module doc)."""
    replicas = pool().usable() if replicas_configured() else []
    if replicas:
        start = next(_turn) % len(replicas)
        replicas = replicas[start:] + replicas[:start]
        if token is None:
            return replicas[0]
        alias = _replica_that_reached(token, replicas)
        if alias is not None:
            pool().token_read(alias)
            return alias
    return read_on_primary(token)


def read_on_primary(token: ReadToken | None) -> str:
    """The primary, once its projection reflects `token` (raises `ProjectionBehind` after READ_AFTER_TIMEOUT)."""
    if token is not None:
        wait_for_position(token.position)
        if replicas_configured():
            pool().token_read(DEFAULT_DB_ALIAS)
    return DEFAULT_DB_ALIAS


def has_reached(alias: str, lsn: str, position: int) -> bool:
    """True when replica `alias` has replayed the primary's WAL up to `lsn` and shows `position` projected."""
    with connections[alias].cursor() as cursor:
        cursor.execute(REACHED_SQL, {"lsn": lsn, "p": position})
        return bool(cursor.fetchone()[0])


def _replica_that_reached(token: ReadToken, candidates: list[str]) -> str | None:
    lsn = token.lsn or primary_lsn()
    deadline = time.monotonic() + settings.REPLICA_READ_WAIT
    delay = 0.001  # a replica a few ms behind is the common case: poll it closely at first
    while candidates:
        for alias in list(candidates):
            try:
                if has_reached(alias, lsn, token.position):
                    return alias
            except DatabaseError as error:
                pool().mark_down(alias, error)
                candidates.remove(alias)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.02)
    return None
