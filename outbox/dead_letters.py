"""Dead letters: events that failed `OUTBOX_MAX_ATTEMPTS` times, parked until an operator redrives them."""

from django.db import transaction
from django.db.models import QuerySet

from outbox.models import OutboxEvent
from outbox.relay import notify


def redrive(events: QuerySet[OutboxEvent]) -> int:
    """Put dead-lettered events back in the relay's queue with a fresh attempt count; returns how many."""
    with transaction.atomic():
        count = events.filter(dead_lettered_at__isnull=False).update(
            dead_lettered_at=None, attempts=0, next_attempt_at=None, published_at=None
        )
        if count:
            transaction.on_commit(notify)
    return count
