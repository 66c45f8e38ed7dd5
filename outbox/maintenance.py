"""Keep the outbox cheap to relay and plans sound: vacuum and analyze when the server's autovacuum will not.

Every event is updated two or three times (leased, published, projected), and
each update leaves a dead entry at the head of the partial index the relay
walks on every pass (`outbox_unpublished`). Autovacuum removes them (outbox/sql/queue.sql
makes it visit the outbox after 20,000 dead rows whatever the
table's size). A server running with `autovacuum = off` never does, and every
relay pass then steps over the whole dead head of the index.

So the relay runs a `Vacuumer` beside it: every `OUTBOX_VACUUM_CHECK_INTERVAL`
seconds it reads the outbox's dead-row count from the statistics and, when the
server's autovacuum is off and at least `OUTBOX_VACUUM_DEAD_ROWS` rows are dead,
runs `VACUUM (ANALYZE)` of the outbox on a connection of its own, so relaying
never waits for it. With autovacuum off it also
does autovacuum's other job for every table of the database: `ANALYZE` once
more than 50 + 10% of its rows changed since the last one (autovacuum's
default rule). Without fresh statistics, plans cached by long-lived sessions
(the sync functions plan generically once per session) stay those of the
tables' early, tiny days (nested sequential scans). With autovacuum on it
only watches.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from outbox.pg import connection_params
from outbox.queries import NEEDS_VACUUM_SQL, VACUUM_SQL

logger = logging.getLogger(__name__)


# Tables whose rows changed by more than autovacuum's default analyze threshold since their last ANALYZE.
STALE_STATISTICS_SQL = """
SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables
WHERE NOT current_setting('autovacuum')::boolean
  AND n_mod_since_analyze > 50 + 0.1 * n_live_tup
ORDER BY relname
"""


def vacuum_if_needed(conn, dead_rows: int) -> bool:
    """VACUUM (ANALYZE) the outbox when autovacuum is off and `dead_rows` rows are dead; True if it did.

    `conn` is an autocommit psycopg connection (VACUUM cannot run in a transaction).
    """
    row = conn.execute(NEEDS_VACUUM_SQL, [dead_rows]).fetchone()
    if not (row and row[0]):
        return False
    conn.execute(VACUUM_SQL)
    logger.info("outbox: vacuumed the outbox table (server autovacuum is off)")
    return True


def analyze_if_stale(conn) -> list[str]:
    """ANALYZE every table whose statistics autovacuum would refresh, when autovacuum is off; the tables done."""
    tables = [row[0] for row in conn.execute(STALE_STATISTICS_SQL).fetchall()]
    for table in tables:
        conn.execute(f"ANALYZE {table}")
    if tables:
        logger.info("statistics refreshed (server autovacuum is off): %s", ", ".join(tables))
    return tables


class Vacuumer(threading.Thread):
    """Background thread: `vacuum_if_needed` and `analyze_if_stale` every `interval` seconds until `stop()`."""

    def __init__(self, *, interval: float | None = None, dead_rows: int | None = None) -> None:
        super().__init__(name="outbox-vacuumer", daemon=True)
        self.interval = settings.OUTBOX_VACUUM_CHECK_INTERVAL if interval is None else interval
        self.dead_rows = settings.OUTBOX_VACUUM_DEAD_ROWS if dead_rows is None else dead_rows
        self.vacuums = 0
        self.analyzed = 0  # tables analyzed
        self._params = connection_params()  # read on the caller's thread: Django connections are per thread
        self._stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        conn = None
        while not self._stopping.wait(self.interval):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(**self._params, autocommit=True)
                if vacuum_if_needed(conn, self.dead_rows):
                    self.vacuums += 1
                self.analyzed += len(analyze_if_stale(conn))
            except psycopg.Error as exc:  # the relay keeps going; try again at the next check
                logger.warning("outbox: vacuum check failed (%s)", exc)
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
