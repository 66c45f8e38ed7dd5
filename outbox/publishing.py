"""Publishing claimed outbox events to Celery (Redis broker): one message per call.

A message carries only positions and aggregates, never payloads: the worker
recomputes from the write model (`pharmacy.projector`). A broker that
refuses, drops or hangs past `BROKER_SOCKET_TIMEOUT` raises
`BrokerUnavailable` (the relay backs off, the events are not at fault); any
other error is the message's own (the relay isolates the offending event).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings
from django.utils.module_loading import import_string

from outbox.store import Claimed

TASK_NAME = "pharmacy.apply_events"


class BrokerUnavailable(Exception):
    """The broker refused, dropped or did not answer the connection: retry later, the events are not at fault."""


Publisher = Callable[[Sequence[Claimed]], None]


def celery_app():
    """The project's Celery app, named by the `OUTBOX_CELERY_APP` setting."""
    return import_string(settings.OUTBOX_CELERY_APP)


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def celery_publisher(app=None, *, check_broker: Callable[[str], None] | None = None) -> Publisher:
    """Publish one message per call through the Celery app; returns once Redis accepted it (LPUSH done).

    A broker that refuses, drops or (past `BROKER_SOCKET_TIMEOUT`) does not answer raises `BrokerUnavailable`;
    `check_broker(url)` runs before the first publish (the relay command passes
    `outbox.sync_mode.check_broker`: the mode may have switched, with its broker, since the relay started).
    """
    if app is None:
        app = celery_app()
    policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
    checked = []

    def publish(events: Sequence[Claimed]) -> None:
        if check_broker is not None and not checked:
            check_broker(app.conf.broker_url)
            checked.append(True)
        try:
            app.send_task(
                TASK_NAME,
                args=[[event.message() for event in events]],
                argsrepr=f"[{len(events)} events: {events[0].id}..{events[-1].id}]",  # not a saferepr of them all
                retry=True,
                retry_policy=policy,
            )
        except _broker_errors() as exc:
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    return publish


def broker_queue_empty(app=None) -> bool | None:
    """True when the task queue holds no message (the workers have taken everything published so far).

    None when the broker cannot be asked (down, hanging): the caller then
    cannot tell a lost message from a queued one. Transport-neutral: a passive
    `queue_declare` reports the queue's depth on Redis (every priority list)
    as on AMQP.
    """
    if app is None:
        app = celery_app()
    from kombu.exceptions import ChannelError

    queue = app.conf.task_default_queue
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=0)
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count == 0
    except ChannelError:  # NOT_FOUND: no such queue (Redis drops an empty list's key), so nothing waits in it
        return True
    except _broker_errors():
        return None
