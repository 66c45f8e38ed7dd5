"""Sync status seen from the outbox: backlog, lag, projection position, dead letters."""

from typing import Any

from django.conf import settings
from django.db import connection

from outbox.positions import PENDING_SQL


def outbox_status() -> dict[str, Any]:
    """One round trip over the outbox's partial indexes (cheap on a large table).

    - `mode`: what the database obeys now; `configured_mode`: this process's READ_MODEL_SYNC;
    - `backlog`: events the read models do not reflect yet (`unpublished` of them not yet sent to the broker);
    - `oldest_pending_age_seconds`: age of the oldest of them (the lag in time);
    - `projection_position` / `last_position` / `lag_events`: where the projection stands in positions;
    - `dead_letters`: events parked after `OUTBOX_MAX_ATTEMPTS` failures (redrive them).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH first_pending AS (
                SELECT id, occurred_at FROM outbox_events WHERE {PENDING_SQL} ORDER BY id LIMIT 1
            )
            SELECT
                read_model_sync_mode(),
                (SELECT count(*) FROM outbox_events WHERE {PENDING_SQL}),
                (SELECT count(*) FROM outbox_events WHERE {PENDING_SQL} AND published_at IS NULL),
                (SELECT extract(epoch FROM now() - occurred_at) FROM first_pending),
                (SELECT id FROM first_pending),
                (SELECT max(id) FROM outbox_events),
                (SELECT count(*) FROM outbox_events WHERE dead_lettered_at IS NOT NULL)
            """
        )
        mode, backlog, unpublished, age, first_pending, last, dead = cursor.fetchone()
    last = int(last or 0)
    projection = int(first_pending) - 1 if first_pending is not None else last
    return {
        "mode": mode,
        "configured_mode": settings.READ_MODEL_SYNC,
        "backlog": int(backlog),
        "unpublished": int(unpublished),
        "oldest_pending_age_seconds": round(float(age), 3) if age is not None else 0.0,
        "projection_position": projection,
        "last_position": last,
        "lag_events": max(0, last - projection),
        "dead_letters": int(dead),
    }
