"""The Celery application; workers apply outbox events to the read models."""

import os
import sys

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")

app = Celery("hospital")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import monitoring.worker  # noqa: E402,F401 -- connects the worker's metrics signals (WORKER_METRICS_PORT)


@worker_init.connect
def refuse_another_broker(sender=None, **kwargs) -> None:
    """A worker serves the broker the database's celery mode records, or does not start.

    Exits (SystemExit: Celery logs and swallows ordinary exceptions of signal
    handlers) when it would listen where the relays do not publish. With
    REDIS_URL unset the broker is this checkout's embedded Redis, which `make
    run` starts before the worker (a worker started by hand waits for it).
    """
    import django

    django.setup()
    from outbox.sync_mode import BrokerMismatch, check_broker, mode_line

    print(mode_line(), file=sys.stderr)
    try:
        check_broker(app.conf.broker_url)
    except BrokerMismatch as exc:
        print(f"refusing to run: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
