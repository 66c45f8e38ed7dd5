"""`manage.py outbox_relay`: publish outbox events to Celery (see `outbox.relay`)."""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection

from outbox import relay
from outbox.publishing import celery_publisher
from outbox.signals import relay_starting
from outbox.sync_mode import BrokerMismatch, check_broker, current_mode, display_broker, mode_line


class Command(BaseCommand):
    help = (
        "Publish outbox events to Celery (Redis) and purge old ones. --once: drain the outbox and exit. "
        "Refuses to run when its broker (REDIS_URL) is not the one the database's celery mode records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="publish everything claimable now, then exit")

    def handle(self, *args, once: bool = False, **options):
        stop = {"now": False}

        def _stop(signum, frame):
            stop["now"] = True

        if not once:
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        mode = current_mode() if once else self._mode_once_reachable(lambda: stop["now"])
        if mode is None:
            return
        self.stdout.write(mode_line())
        self._check_broker()
        if mode != "celery":
            self.stdout.write(
                "Trigger mode: events are born projected, there is nothing to publish (the relay still purges "
                "old events). `manage.py switch_sync_mode celery` switches to the asynchronous mode."
            )
        if not once and settings.RELAY_METRICS_PORT:
            relay_starting.send(sender=self.__class__, metrics_port=settings.RELAY_METRICS_PORT)
            self.stdout.write(f"relay metrics at http://{settings.METRICS_BIND}:{settings.RELAY_METRICS_PORT}/metrics")
        if not once:
            self.stdout.write(
                f"outbox relay: batches of {settings.OUTBOX_BATCH_SIZE}, {settings.OUTBOX_MESSAGE_SIZE} events per "
                f"message, LISTEN {relay.CHANNEL} + polling every {settings.OUTBOX_POLL_INTERVAL}s (Ctrl-C stops it); "
                f"broker {display_broker(settings.CELERY_BROKER_URL)}"
            )
        publish = celery_publisher(check_broker=check_broker)
        stats = relay.run(once=once, publish=publish, should_stop=lambda: stop["now"], log=self.stdout.write)
        self.stdout.write(
            f"{stats.published} event(s) published in {stats.passes} pass(es); "
            f"{stats.failed} failure(s), {stats.dead_lettered} dead letter(s)"
        )
        if stats.errors and once:
            raise CommandError(f"the relay did not drain the outbox: {stats.errors[-1]}")

    def _check_broker(self) -> None:
        try:
            check_broker(settings.CELERY_BROKER_URL)
        except BrokerMismatch as exc:
            raise CommandError(f"refusing to run: {exc}") from exc

    def _mode_once_reachable(self, should_stop) -> str | None:
        """The database's sync mode; started while PostgreSQL is down, the relay waits for it instead of exiting.

        None when asked to stop meanwhile.
        """
        while not should_stop():
            try:
                return current_mode()
            except (OperationalError, InterfaceError) as exc:
                connection.close()
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.stderr.write(f"database unavailable ({first_line}); retrying in {settings.OUTBOX_POLL_INTERVAL}s")
                deadline = time.monotonic() + settings.OUTBOX_POLL_INTERVAL
                while time.monotonic() < deadline and not should_stop():
                    time.sleep(0.1)
        return None
