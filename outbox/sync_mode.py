"""The read-model sync mode the database is in, and switching it without losing a write.

`settings.READ_MODEL_SYNC` is what a process was started for; the database's
`outbox_sync_state` row is what the triggers obey (`read_model_sync_mode()`).
`manage.py switch_sync_mode` (and `make run`) bring the two together.
"""

import time
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from outbox.models import SyncMode, SyncState
from outbox.store import horizon


def current_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT read_model_sync_mode()")
        return cursor.fetchone()[0]


def set_mode(mode: str) -> int:
    """Flip the database's mode in one transaction; return the `xmax` horizon to wait for.

    From this commit on, new statements see the new mode: in celery mode the
    pharmacy triggers stand down and events are born unprojected; in trigger
    mode the triggers maintain the read models again and events are born
    projected. Statements already running finish under the old mode: wait for
    `wait_for_horizon(returned value)` before trusting the read models.
    """
    if mode not in SyncMode.values:
        raise ValueError(f"mode must be one of {SyncMode.values}, not {mode!r}")
    with transaction.atomic():
        state, _ = SyncState.objects.select_for_update().get_or_create(id=1)
        state.mode, state.changed_at = mode, timezone.now()
        state.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        return int(cursor.fetchone()[0])


def wait_for_horizon(xmax: int, *, timeout: float = 300.0, log: Callable[[str], None] = print) -> None:
    """Block until every transaction of this database that had an xid before `xmax` has ended."""
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        if horizon() >= xmax:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"transactions older than xid {xmax} still running after {timeout}s")
        if not announced:
            log("aguardando o fim das transações abertas antes da troca de modo...")
            announced = True
        time.sleep(0.1)
