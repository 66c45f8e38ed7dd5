"""The read token a command answers with: `X-Read-Token: <outbox position>@<primary WAL LSN>`.

Sent back as `X-Read-After`, it asks for a state at least as recent as the
command's: projected up to that outbox position (what celery mode needs) and,
on a replica, replayed up to that WAL position (what any replica needs). The
LSN is the primary's WAL insert position read after the command committed,
so it lies at or after the end of the command's commit record.

Without replicas configured the token is the bare position (same as
`X-Event-Position`) and no query is added.
"""

from django.db import DEFAULT_DB_ALIAS, connections

from hospital.replicas.health import replicas_configured

READ_TOKEN_HEADER = "X-Read-Token"


def primary_lsn() -> str:
    """The primary's WAL insert position now (what every transaction committed so far lies before)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return cursor.fetchone()[0]


def issue(position: int) -> str:
    """The token for a command whose event is at `position` and whose transaction has committed."""
    return f"{position}@{primary_lsn()}" if replicas_configured() else str(position)
