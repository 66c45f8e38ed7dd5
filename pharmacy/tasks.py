"""Celery tasks of the query side: thin wrappers over `pharmacy.projector`."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, close_old_connections

from monitoring.metrics import count_projection
from pharmacy import projector


@shared_task(
    name="pharmacy.apply_events",
    acks_late=True,  # acknowledged only after the events are applied: a killed worker's message is redelivered
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),  # database hiccups: retry the whole (idempotent) message
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
    ignore_result=True,
)
def apply_events(events: list[list]) -> dict:
    """Apply a message of outbox events ([position, aggregate type, aggregate id, event type], ...).

    Per-event failures are recorded on the outbox (backoff, dead letter) by the
    projector and do not fail the task; if retries of a database error run
    out, the relay publishes the events again after `OUTBOX_REPUBLISH_AFTER`.
    """
    close_old_connections()
    result = projector.apply_events([projector.Event.from_message(item) for item in events])
    count_projection(applied=len(result.projected), failed=len(result.failed), dead_lettered=result.dead_lettered)
    return {"projected": len(result.projected), "failed": len(result.failed), "dead_lettered": result.dead_lettered}
