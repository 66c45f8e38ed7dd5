"""Database metrics: every SQL statement of every process is counted and timed, per alias.

An execute wrapper (Django's documented hook) is added to each connection
when it opens, so the web, the relay and the workers all count their queries
without a per-request set-up.
"""

from __future__ import annotations

import time

from django.db.backends.signals import connection_created

from monitoring import metrics


class QueryTimer:
    """A `connection.execute_wrapper`: counts and times each statement (errors counted apart)."""

    def __init__(self, alias: str):
        self.count = metrics.db_queries.labels(alias=alias)
        self.errors = metrics.db_query_errors.labels(alias=alias)
        self.duration = metrics.db_query_duration.labels(alias=alias)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        except Exception:
            self.errors.inc()
            raise
        finally:
            self.count.inc()
            self.duration.observe(time.perf_counter() - started)


def _instrument(sender, connection, **kwargs) -> None:
    if not any(isinstance(wrapper, QueryTimer) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(QueryTimer(connection.alias))


def instrument_new_connections() -> None:
    connection_created.connect(_instrument, dispatch_uid="monitoring.database")
