"""`manage.py outbox_relay`: publish outbox events to Celery (see `outbox.relay`)."""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection

from outbox import relay
from outbox.sync_mode import current_mode


class Command(BaseCommand):
    help = "Publica os eventos do outbox no Celery (Redis). --once: esvazia o outbox e sai."

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
        if mode != "celery":
            self.stderr.write(
                self.style.WARNING(
                    f"O banco está no modo {mode!r}: os eventos já nascem projetados e não há o que publicar. "
                    "Use `manage.py switch_sync_mode celery` para o modo assíncrono."
                )
            )
        if not once:
            self.stdout.write(
                f"relay do outbox: lote {settings.OUTBOX_BATCH_SIZE}, {settings.OUTBOX_MESSAGE_SIZE} eventos/mensagem, "
                f"LISTEN {relay.CHANNEL} + polling a cada {settings.OUTBOX_POLL_INTERVAL}s (Ctrl-C para parar)"
            )
        stats = relay.run(once=once, should_stop=lambda: stop["now"], log=self.stdout.write)
        self.stdout.write(
            f"{stats.published} evento(s) publicado(s) em {stats.passes} passada(s); "
            f"{stats.failed} falha(s), {stats.dead_lettered} dead letter(s)"
        )
        if stats.errors and once:
            raise CommandError(f"o relay não esvaziou o outbox: {stats.errors[-1]}")

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
                self.stderr.write(
                    f"banco indisponível ({first_line}); nova tentativa em {settings.OUTBOX_POLL_INTERVAL}s"
                )
                deadline = time.monotonic() + settings.OUTBOX_POLL_INTERVAL
                while time.monotonic() < deadline and not should_stop():
                    time.sleep(0.1)
        return None
