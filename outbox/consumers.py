"""Read models beyond the pharmacy's that follow the event feed (e.g. the consolidated patient record).

An app registers a function taking a list of events (objects with
`aggregate_type`, `aggregate_id` and `event_type`; in trigger mode they are
the outbox rows themselves, `payload` included). It is called inside a
transaction that commits or rolls back with its effect:

- trigger mode: by `outbox.events.record_event`, in the writing command's
  transaction, right after the event is appended;
- celery mode: by the Celery projector (`pharmacy.projector`), in the
  transaction that marks the events projected.

Consumers must be idempotent and recompute from the committed write model (an
event only names what changed), so duplicated, late or phantom events are
harmless. Writes that bypass the commands in trigger mode reach no consumer:
their verify/repair finds and fixes that drift.
"""

from collections.abc import Callable, Sequence

Consumer = Callable[[Sequence], None]

_consumers: list[Consumer] = []


def register(consumer: Consumer) -> None:
    if consumer not in _consumers:
        _consumers.append(consumer)


def registered() -> bool:
    return bool(_consumers)


def dispatch(events: Sequence) -> None:
    """Hand the events to every consumer. Precondition: inside the transaction that owns their effect."""
    if not events:
        return
    for consumer in _consumers:
        consumer(events)
