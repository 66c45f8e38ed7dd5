"""The project's own Prometheus metrics, declared once and imported by whoever counts.

Counters that a Celery pool child increments carry a label: their children
are created on first use, after the fork, so in multiprocess mode (see
`monitoring.exposition`) they write to the shared files of the child that
counts, not to a copy left in the parent. The relay's counters are the
outbox's own (`outbox.metrics`) and the projector's the pharmacy's
(`pharmacy.metrics`): every process's registry serves them alike.
"""

from prometheus_client import Counter, Histogram

# Request latency buckets: the pharmacy's reads take a few ms, a command tens, a read-after wait up to seconds.
_REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

http_requests = Counter(
    "http_requests",
    "HTTP requests answered, by method, route (the URL pattern, not the path) and status code.",
    ["method", "route", "status"],
)
http_request_duration = Histogram(
    "http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it, by method and route.",
    ["method", "route"],
    buckets=_REQUEST_BUCKETS,
)
db_queries = Counter("db_queries", "SQL statements executed, by database alias.", ["alias"])
db_query_errors = Counter("db_query_errors", "SQL statements that raised, by database alias.", ["alias"])
db_query_duration = Histogram(
    "db_query_duration_seconds",
    "Time in the database driver per SQL statement (round trip included), by database alias.",
    ["alias"],
    buckets=_QUERY_BUCKETS,
)
