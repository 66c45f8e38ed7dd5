"""Sync status: the one computation behind `GET /api/pharmacy/status/` and `manage.py sync_status`.

- `mode`: the configured `READ_MODEL_SYNC`; `database_mode`: the mode the
  database is in right now (`outbox_sync_state`, switched by the outbox app).
- `backlog`: events not yet applied to the read models (neither projected nor
  dead-lettered); `unpublished`: events the relay has not handed to the
  broker; `oldest_pending_age_seconds`: age of the oldest backlog event
  (null when there is none); `dead_letters`: events given up on.
- `projection_position`: every committed event up to this outbox position is
  reflected by the read models (what `X-Read-After` waits for);
- `lag_events`: how far the read models trail the write model in events; in
  trigger mode that is 0 by construction (same transaction).

Costs one query.
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from outbox.models import PENDING, UNPUBLISHED, OutboxEvent, SyncState


@dataclass(frozen=True)
class SyncStatus:
    mode: str
    database_mode: str
    backlog: int
    unpublished: int
    oldest_pending_at: dt.datetime | None
    oldest_pending_age_seconds: float | None
    dead_letters: int
    last_position: int | None
    projection_position: int
    lag_events: int

    def as_dict(self) -> dict:
        return asdict(self)


def sync_status() -> SyncStatus:
    """Read the outbox and the sync state (one query) and summarize them."""
    database_mode = SyncState.objects.filter(pk=1).values("mode")[:1]
    stats = OutboxEvent.objects.aggregate(
        backlog=Count("id", filter=PENDING),
        unpublished=Count("id", filter=UNPUBLISHED),
        first_pending=Min("id", filter=PENDING),
        oldest_pending_at=Min("occurred_at", filter=PENDING),
        dead_letters=Count("id", filter=Q(dead_lettered_at__isnull=False)),
        last_position=Max("id"),
        database_mode=Min(database_mode),  # scalar subquery folded into the same query
    )
    oldest = stats["oldest_pending_at"]
    db_mode = stats["database_mode"] or "trigger"
    return SyncStatus(
        mode=settings.READ_MODEL_SYNC,
        database_mode=db_mode,
        backlog=stats["backlog"],
        unpublished=stats["unpublished"],
        oldest_pending_at=oldest,
        oldest_pending_age_seconds=round((timezone.now() - oldest).total_seconds(), 3) if oldest else None,
        dead_letters=stats["dead_letters"],
        last_position=stats["last_position"],
        projection_position=(
            stats["first_pending"] - 1 if stats["first_pending"] is not None else (stats["last_position"] or 0)
        ),
        lag_events=0 if db_mode == "trigger" else stats["backlog"],
    )
