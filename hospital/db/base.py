"""Django's PostgreSQL backend, with a health check that costs no round trip, and prepared cursors for hot reads.

With `CONN_HEALTH_CHECKS`, Django checks a reused connection before a
request's first query by sending `SELECT 1`: a round trip, and work for the
server, on every request. The pharmacy's plain reads are one query each, so
the check doubled what each of them asked of PostgreSQL.

An idle connection has nothing to read: the server speaks only when asked.
When the server drops the connection (a restart, a failover, an operator's
`pg_terminate_backend`) it sends its farewell and closes the socket; when it
dies, the kernel closes the socket. Either way the socket becomes readable.
So a connection that psycopg still holds open, idle, whose socket has
nothing to read is used as it is; one with anything to read (a farewell, or
a notice or notification) gets Django's `SELECT 1`, which reads it and
decides. A connection cut silently on the network (no farewell, no reset)
passes both checks alike and fails on its first query.

Django binds parameters in the client and prepares nothing (so that
connection poolers work), so the server parses and plans every statement
anew. `prepared_cursor()` gives the few hot reads whose SQL never changes
(`pharmacy.selectors`) a cursor whose statements the server binds and keeps
prepared per connection, as psycopg does by default; the ORM's cursors are
left as Django makes them. When the connection and Django both keep time in
UTC (the project's setting), those cursors also read `timestamptz` with
psycopg's own loader, written in C, instead of Django's Python subclass of
it: both give the same instant in `datetime.timezone.utc`, and a worklist
page reads one per row.
"""

import datetime as dt
import select

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import pq

_PSYCOPG_TZLOADER = psycopg.adapters.get_loader(base.TIMESTAMPTZ_OID, pq.Format.TEXT)


class PreparedCursor(base.ServerBindingCursor):
    """Server-side binding, every statement prepared on its first run (psycopg keeps 100 per connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def prepared_cursor(self):
        """A Django cursor (health check, error wrapping, execute wrappers) over a `PreparedCursor`."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = PreparedCursor(self.connection)
            if self.timezone == dt.UTC and self.connection.info.parameter_status("TimeZone") == "UTC":
                cursor.adapters.register_loader(base.TIMESTAMPTZ_OID, _PSYCOPG_TZLOADER)
            elif self.timezone != self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, pq.Format.TEXT).timezone:
                register_tzloader(self.timezone, cursor)  # as Django's own cursors do
            return self._prepare_cursor(cursor)

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE and not _input_waiting(connection):
            return True
        return super().is_usable()


def _input_waiting(connection) -> bool:
    """True when the server has sent something since the last query (or the socket cannot be polled)."""
    try:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
