"""The projector's Prometheus counters (the process's default registry; `monitoring` serves them with the rest).

Counted in Celery pool children: each counter carries a label, so its
children are created after the fork (see `monitoring.exposition`).
"""

from prometheus_client import Counter

projector_events = Counter(
    "sync_projector_events",
    "Outbox events a Celery worker applied to the read models, by outcome: applied, failed (retried with "
    "backoff) or dead_lettered.",
    ["outcome"],
)
projector_messages = Counter(
    "sync_projector_messages", "Celery messages of events the workers processed, by result.", ["result"]
)


def count_projection(*, applied: int, failed: int, dead_lettered: int) -> None:
    """Record what one worker message did to its events."""
    projector_messages.labels(result="ok").inc()
    projector_events.labels(outcome="applied").inc(applied)
    if failed:
        projector_events.labels(outcome="failed").inc(failed)
    if dead_lettered:
        projector_events.labels(outcome="dead_lettered").inc(dead_lettered)


fast_reads = Counter(
    "pharmacy_fast_reads",
    "Plain pharmacy reads answered before the views (`pharmacy.fast_reads`), by URL pattern; the rest of "
    "`http_requests` on those routes went through the views.",
    ["route"],
)
