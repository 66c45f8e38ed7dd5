"""The project's own Prometheus metrics, declared once and imported by whoever counts.

Counters that a Celery pool child increments carry a label: their children
are created on first use, after the fork, so in multiprocess mode (see
`monitoring.exposition`) they write to the shared files of the child that
counts, not to a copy left in the parent. The relay's counters are the
outbox's own (`outbox.metrics`), the projector's the pharmacy's
(`pharmacy.metrics`) and the HTTP requests' the project's
(`hospital.request_metrics`): every process's registry serves them alike.
"""

from prometheus_client import Counter, Histogram

_QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

db_queries = Counter("db_queries", "SQL statements executed, by database alias.", ["alias"])
db_query_errors = Counter("db_query_errors", "SQL statements that raised, by database alias.", ["alias"])
db_query_duration = Histogram(
    "db_query_duration_seconds",
    "Time in the database driver per SQL statement (round trip included), by database alias.",
    ["alias"],
    buckets=_QUERY_BUCKETS,
)
