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

from django.db import connection
from django.utils import timezone

from outbox.models import OutboxEvent, SyncState
from outbox.positions import PENDING_SQL  # outbox.models.PENDING: the predicate of index outbox_pending_v2


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


# One statement, one scalar subquery per figure so each walks its own small partial index (pending,
# unpublished, dead letters) or the primary key; FILTER aggregates of a single scan would read the
# whole outbox, projected history included.
STATUS_SQL = f"""
SELECT
    (SELECT count(*) FROM {OutboxEvent._meta.db_table} WHERE {PENDING_SQL}),
    (SELECT count(*) FROM {OutboxEvent._meta.db_table} WHERE {PENDING_SQL} AND published_at IS NULL),
    (SELECT min(id) FROM {OutboxEvent._meta.db_table} WHERE {PENDING_SQL}),
    (SELECT min(occurred_at) FROM {OutboxEvent._meta.db_table} WHERE {PENDING_SQL}),
    (SELECT count(*) FROM {OutboxEvent._meta.db_table} WHERE dead_lettered_at IS NOT NULL),
    (SELECT max(id) FROM {OutboxEvent._meta.db_table}),
    (SELECT mode FROM {SyncState._meta.db_table} WHERE id = 1)
"""
_COLUMNS = ("backlog", "unpublished", "first_pending", "oldest_pending_at", "dead_letters", "last_position", "mode")


def sync_status() -> SyncStatus:
    """Read the outbox and the sync state (one query) and summarize them."""
    with connection.cursor() as cursor:
        cursor.execute(STATUS_SQL)
        stats = dict(zip(_COLUMNS, cursor.fetchone(), strict=True))
    oldest = stats["oldest_pending_at"]
    db_mode = stats["mode"] or "trigger"
    return SyncStatus(
        mode=db_mode,
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
