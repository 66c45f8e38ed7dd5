"""The one function that appends domain events to the outbox."""

from typing import Any

from django.db import connection

from outbox.models import OutboxEvent


def record_event(*, event_type: str, aggregate_type: str, aggregate_id: int, payload: dict[str, Any]) -> OutboxEvent:
    """Append a domain event to the outbox inside the caller's transaction.

    Precondition: called inside `transaction.atomic`, by the command whose
    change the event describes, so that the event commits (or rolls back)
    together with that change. Never publishes anything itself.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the command's transaction")
    return OutboxEvent.objects.create(
        event_type=event_type, aggregate_type=aggregate_type, aggregate_id=aggregate_id, payload=payload
    )
