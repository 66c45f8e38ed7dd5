"""The sync's gauges, read from the database when Prometheus scrapes (one query, `pharmacy.status`).

Every process that serves metrics (web, relay, worker) includes them, so an
operator sees the backlog wherever they scrape; they are the same numbers
everywhere because they come from the outbox itself, not from a process's memory.
"""

from __future__ import annotations

import logging

from django.db import connection
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from pharmacy.status import sync_status

logger = logging.getLogger(__name__)

_GAUGES = (
    ("sync_backlog_events", "Outbox events not yet applied to the read models (neither projected nor dead-lettered).",
     "backlog"),
    ("sync_unpublished_events", "Outbox events the relay has not handed to the broker yet.", "unpublished"),
    ("sync_oldest_pending_age_seconds", "Age of the oldest event not yet applied (0 when there is none).",
     "oldest_pending_age_seconds"),
    ("sync_dead_letters", "Outbox events given up on (redrive them from the admin or outbox_redrive).",
     "dead_letters"),
    ("sync_projection_lag_events", "How many events the read models trail the write model by (0 in trigger mode).",
     "lag_events"),
    ("sync_projection_position", "Every committed event up to this outbox position is in the read models.",
     "projection_position"),
    ("sync_last_position", "The newest outbox position.", "last_position"),
)  # fmt: skip


class SyncCollector(Collector):
    """Yields the sync gauges; `sync_status_up` is 0 (and the other gauges absent) when the database fails.

    `close_connection`: close this thread's Django connection after reading,
    for the relay's and worker's metrics threads (a new thread per scrape).
    """

    def __init__(self, *, close_connection: bool = False):
        self.close_connection = close_connection

    def collect(self):
        up = GaugeMetricFamily("sync_status_up", "1 when the sync status could be read from the database.")
        try:
            status = sync_status()
        except Exception as exc:  # a scrape must still answer: the database being down is what it reports
            logger.warning("metrics: reading the sync status failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        finally:
            if self.close_connection:
                connection.close()
        up.add_metric([], 1)
        yield up
        mode = InfoMetricFamily(
            "sync_mode", "How the read models follow the write model: configured and in the database."
        )
        mode.add_metric([], {"configured": status.mode, "database": status.database_mode})
        yield mode
        for name, documentation, field in _GAUGES:
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], float(getattr(status, field) or 0))
            yield gauge
