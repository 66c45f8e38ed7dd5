"""The read-model sync mode the database is in, and switching it without losing a write.

The database's `outbox_sync_state` row is the one truth about the mode: the
triggers obey it (`read_model_sync_mode()`), and so do the relay, the
workers and every operator command. `settings.READ_MODEL_SYNC` is only the
mode `make run` switches the database to (`manage.py switch_sync_mode`). In
celery mode the row also records the broker the relays and workers must
share, so that a process configured for another Redis refuses to run
instead of publishing where no worker listens.
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


class BrokerMismatch(Exception):
    """This process is configured for another broker than the one the database's celery mode records."""


def display_broker(url: str) -> str:
    """A broker URL as it may be shown and stored: its password masked."""
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


def recorded_broker() -> str:
    """The broker recorded with the database's celery mode ("" when none was recorded)."""
    return SyncState.objects.filter(id=1).values_list("broker", flat=True).first() or ""


def check_broker(url: str) -> None:
    """Raise `BrokerMismatch` unless `url` is the broker recorded with the database's mode (if one is)."""
    recorded = recorded_broker()
    if recorded and recorded != display_broker(url):
        raise BrokerMismatch(
            f"this process is configured for broker {display_broker(url)}, but the database's celery mode uses "
            f"{recorded}: set REDIS_URL to that broker, or move the mode to this one with "
            "`manage.py switch_sync_mode celery` run with this REDIS_URL."
        )


def mode_line() -> str:
    """One line for operators: the mode in effect, where it comes from and, in celery mode, the broker."""
    from django.conf import settings

    mode = current_mode()
    line = f"sync mode: {mode} (from the database)"
    if mode == "celery":
        line += f"; broker {recorded_broker() or display_broker(settings.CELERY_BROKER_URL)}"
    requested = settings.READ_MODEL_SYNC
    if requested == "dualwrite" and mode == "celery":
        line += "; dual-write (READ_MODEL_SYNC=dualwrite): this process's commands publish before committing"
    elif requested and requested != mode:
        line += (
            f"; READ_MODEL_SYNC={requested} is not in effect: `manage.py switch_sync_mode {requested}` "
            "(or `make run`) switches the database"
        )
    return line


def set_mode(mode: str, *, broker: str = "") -> int:
    """Flip the database's mode in one transaction; return the `xmax` horizon to wait for.

    From this commit on, new statements see the new mode: in celery mode the
    pharmacy triggers stand down and events are born unprojected; in trigger
    mode the triggers maintain the read models again and events are born
    projected. Statements already running finish under the old mode: wait for
    `wait_for_horizon(returned value)` before trusting the read models.
    `broker` (celery mode) is recorded so that relays and workers configured
    for another one refuse to run (`check_broker`); empty records none.
    """
    if mode not in SyncMode.values:
        raise ValueError(f"mode must be one of {SyncMode.values}, not {mode!r}")
    with transaction.atomic():
        state, _ = SyncState.objects.select_for_update().get_or_create(id=1)
        state.mode, state.changed_at = mode, timezone.now()
        state.broker = display_broker(broker) if broker else ""
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
            log("waiting for the transactions still open to end before switching...")
            announced = True
        time.sleep(0.1)
