"""The source article's dual-write (`READ_MODEL_SYNC=dualwrite`): opt-in, for comparison with the outbox.

A command publishes its event to the broker *inside* its transaction, before
committing (`publish_in_transaction`, called by `outbox.events.record_event`);
the outbox row is still written (it is the event feed) but no relay runs.
What that costs, and how this project contains it:

- **Broker down**: the publish fails, the command raises `WritesUnavailable`
  and its transaction rolls back: the API answers 503 with `Retry-After` and
  nothing is written. (The outbox modes accept the write and deliver later.)
- **Commit fails after the publish** (a phantom event): the worker
  (`pharmacy.apply_dualwrite_events`) recomputes from the *committed* write
  model, as the projector always does, so a phantom projects nothing.
- **Message processed before the commit**: the message carries the writing
  transaction's id; the worker waits while `pg_xact_status` says it is in
  progress, so it never reads the write model from before the commit.
- **A message lost after the commit** (broker crash) is lost: nothing
  republishes it (the outbox modes would). `verify_read_model --repair` is the
  only remedy.
"""

from django.conf import settings
from django.db import connection
from rest_framework import status
from rest_framework.exceptions import APIException

from outbox.publishing import _broker_errors, celery_app

TASK_NAME = "pharmacy.apply_dualwrite_events"
RETRY_AFTER = 5  # seconds a refused client is told to wait


class WritesUnavailable(APIException):
    """Dual-write mode: the broker refused the event, so the command was rolled back (503 + Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "broker_indisponivel"
    default_detail = (
        "O broker de mensagens está indisponível e o modo dual-write não grava sem publicar; nada foi gravado. "
        "Tente de novo em instantes."
    )
    wait = RETRY_AFTER  # DRF sends it as Retry-After


def enabled() -> bool:
    return settings.READ_MODEL_SYNC == "dualwrite"


def publish_in_transaction(event) -> None:
    """Publish one outbox event before the caller's transaction commits; raise `WritesUnavailable` if refused.

    Unsafe by design (the article's dual-write): called inside the writing
    transaction, it may publish an event that never commits.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("publish_in_transaction runs inside the command's transaction, before its commit")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        xid = cursor.fetchone()[0]
    message = [event.pk, event.aggregate_type, event.aggregate_id, event.event_type]
    try:
        celery_app().send_task(TASK_NAME, args=[[message], xid], retry=False)
    except _broker_errors() as exc:
        raise WritesUnavailable() from exc


def transaction_status(xid: str) -> str:
    """`committed`, `aborted` or `in progress` (PostgreSQL's `pg_xact_status`) of the writing transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_xact_status(%s::xid8)", [xid])
        return cursor.fetchone()[0] or "aborted"  # NULL: too old to know; long finished
