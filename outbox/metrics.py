"""The relay's Prometheus counters (the process's default registry; `monitoring` serves them with the rest)."""

from contextlib import contextmanager

from prometheus_client import Counter

from outbox.publishing import BrokerUnavailable

relay_events = Counter(
    "outbox_relay_events",
    "Outbox events the relay handled, by outcome: published (the broker accepted them), "
    "failed (a publish the broker refused; retried with backoff) or dead_lettered.",
    ["outcome"],
)
relay_passes = Counter(
    "outbox_relay_passes", "Relay passes (claim, publish, record), by whether they claimed events.", ["claimed"]
)
relay_broker_outages = Counter(
    "outbox_relay_broker_outages", "Relay passes that found the broker unreachable (leases released, backoff)."
)


@contextmanager
def counting_relay_pass(stats):
    """Around one relay pass: add what it changed in the relay's `RelayStats` to the counters (outages too)."""
    before = (stats.claimed, stats.published, stats.failed, stats.dead_lettered)
    try:
        yield
    except BrokerUnavailable:
        relay_broker_outages.inc()
        raise
    finally:
        claimed, published, failed, dead = (
            now - then
            for now, then in zip(
                (stats.claimed, stats.published, stats.failed, stats.dead_lettered), before, strict=True
            )
        )
        relay_passes.labels(claimed="yes" if claimed else "no").inc()
        for outcome, count in (("published", published), ("failed", failed), ("dead_lettered", dead)):
            if count:
                relay_events.labels(outcome=outcome).inc(count)
