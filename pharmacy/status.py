"""Sync status: the one computation behind `GET /api/pharmacy/status/` and `manage.py sync_status`.

- `mode`: the mode in effect, the database's (`outbox_sync_state`, switched
  by the outbox app; the one truth); `database_mode`: the same, kept for
  clients that read it.
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

from django.utils import timezone

from outbox.positions import feed_status


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
    """Read the outbox and the sync state (one query, `outbox.positions.feed_status`) and summarize them."""
    feed = feed_status()
    oldest = feed.oldest_pending_at
    return SyncStatus(
        mode=feed.mode,
        database_mode=feed.mode,
        backlog=feed.backlog,
        unpublished=feed.unpublished,
        oldest_pending_at=oldest,
        oldest_pending_age_seconds=round((timezone.now() - oldest).total_seconds(), 3) if oldest else None,
        dead_letters=feed.dead_letters,
        last_position=feed.last_position,
        projection_position=feed.projection_position,
        lag_events=0 if feed.mode == "trigger" else feed.backlog,
    )
