"""`manage.py outbox_relay`: publish outbox events to Celery (see `outbox.relay`)."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monitoring.exposition import serve_in_background
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
        mode = current_mode()
        if mode != "celery":
            self.stderr.write(
                self.style.WARNING(
                    f"O banco está no modo {mode!r}: os eventos já nascem projetados e não há o que publicar. "
                    "Use `manage.py switch_sync_mode celery` para o modo assíncrono."
                )
            )
        if not once and settings.RELAY_METRICS_PORT:
            serve_in_background(settings.RELAY_METRICS_PORT, "relay")
            self.stdout.write(
                f"métricas do relay em http://{settings.METRICS_BIND}:{settings.RELAY_METRICS_PORT}/metrics"
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
