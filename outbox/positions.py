"""Where the projection stands, in outbox positions (read-your-writes, status, the mode switch, rebuilds)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from outbox import queries


def is_projected(position: int) -> bool:
    """True once the read models reflect every committed event up to `position`.

    An event at or before `position` still waiting (not projected, not
    dead-lettered) means no. An event not committed yet is invisible here and
    cannot be one the caller has seen, so it does not hold the answer back.
    A position beyond the last event is not projected (yet).
    """
    with connection.cursor() as cursor:
        cursor.execute(queries.IS_PROJECTED_SQL, {"p": position})
        return bool(cursor.fetchone()[0])


def last_position() -> int:
    """The newest committed position (as this transaction sees it); 0 when the outbox is empty."""
    with connection.cursor() as cursor:
        cursor.execute(queries.LAST_POSITION_SQL)
        return int(cursor.fetchone()[0])


def position_sequence(cursor=None) -> str:
    """The name of the sequence handing out positions (it counts positions taken by uncommitted transactions)."""
    if cursor is None:
        with connection.cursor() as own:
            return position_sequence(own)
    cursor.execute(queries.POSITION_SEQUENCE_SQL)
    return cursor.fetchone()[0]


def highest_assigned_position() -> int:
    """The highest position the outbox has ever handed out (committed, in flight or rolled back); 0 if none."""
    with connection.cursor() as cursor:
        cursor.execute(queries.HIGHEST_ASSIGNED_SQL)
        return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class FeedStatus:
    """The outbox's figures for status pages and metrics."""

    backlog: int  # pending: neither projected nor dead-lettered
    unpublished: int  # pending and not handed to the broker
    first_pending: int | None
    oldest_pending_at: datetime | None
    dead_letters: int
    last_position: int | None
    mode: str  # the database's sync mode (`outbox.models.SyncState`; no row: trigger)

    @property
    def projection_position(self) -> int:
        """Every committed event up to this position is reflected by the read models (or dead-lettered)."""
        return self.first_pending - 1 if self.first_pending is not None else (self.last_position or 0)


def feed_status() -> FeedStatus:
    """The outbox's figures and the sync mode, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(queries.FEED_STATUS_SQL)
        *figures, mode = cursor.fetchone()
    return FeedStatus(*figures, mode=mode or "trigger")
