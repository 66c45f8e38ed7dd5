"""Celery tasks of the query side: thin wrappers over `pharmacy.projector`."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, close_old_connections

from outbox import dualwrite
from pharmacy import projector
from pharmacy.metrics import count_projection

logger = logging.getLogger(__name__)


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


class WriterStillRunning(Exception):
    """Dual-write: the event was published before its transaction ended; try again shortly."""


@shared_task(
    name=dualwrite.TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, WriterStillRunning),
    retry_backoff=0.05,
    retry_backoff_max=2,
    retry_jitter=False,
    max_retries=30,
    ignore_result=True,
)
def apply_dualwrite_events(events: list[list], xid: str) -> dict:
    """Dual-write mode: apply events published inside transaction `xid`, once that transaction has ended.

    Committed or not, the projector recomputes from the committed write model:
    an event whose transaction rolled back (a phantom) projects nothing.
    """
    close_old_connections()
    outcome = dualwrite.transaction_status(xid)
    if outcome == "in progress":
        raise WriterStillRunning(xid)
    if outcome != "committed":
        logger.warning("dual-write: phantom event(s) %s of rolled-back transaction %s", [e[0] for e in events], xid)
    result = projector.apply_events([projector.Event.from_message(item) for item in events])
    return {"transaction": outcome, "projected": len(result.projected), "failed": len(result.failed)}
