"""The one function that appends domain events to the outbox."""

from typing import Any

from django.db import connection

from outbox import consumers, dualwrite
from outbox.models import OutboxEvent
from outbox.types import AggregateType, EventType


def record_event(
    *, event_type: EventType, aggregate_type: AggregateType, aggregate_id: int, payload: dict[str, Any]
) -> OutboxEvent:
    """Append a domain event to the outbox inside the caller's transaction.

    Precondition: called inside `transaction.atomic`, by the command whose
    change the event describes, so that the event commits (or rolls back)
    together with that change. Never publishes anything itself. In trigger
    mode the registered consumers (`outbox.consumers`) apply it here, in the
    same transaction. With `READ_MODEL_SYNC=dualwrite` it is also published
    to the broker here, before the commit (`outbox.dualwrite`).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the command's transaction")
    event = OutboxEvent.objects.create(
        event_type=event_type, aggregate_type=aggregate_type, aggregate_id=aggregate_id, payload=payload
    )
    if consumers.registered() and event.projected_at is not None:  # born projected: trigger mode
        consumers.dispatch([event])
    if dualwrite.enabled():
        dualwrite.publish_in_transaction(event)
    return event
