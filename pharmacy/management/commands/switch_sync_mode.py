"""`manage.py switch_sync_mode trigger|celery`: switch how the read models follow the write model."""

from django.core.management.base import BaseCommand, CommandError

from outbox.sync_mode import current_mode
from pharmacy.sync_switch import switch_mode


class Command(BaseCommand):
    help = (
        "Troca o modo de sincronização dos modelos de leitura (trigger <-> celery) sem perder escritas: "
        "troca, espera as transações em curso, aplica os eventos pendentes, reconstrói e verifica."
    )

    def add_arguments(self, parser):
        parser.add_argument("mode", choices=["trigger", "celery"])
        parser.add_argument("--no-rebuild", action="store_true", help="skip the batched rebuild (verify still runs)")
        parser.add_argument("--force", action="store_true", help="run the full procedure even if already in mode")
        parser.add_argument("--timeout", type=float, default=300.0, help="max seconds to wait for open transactions")

    def handle(self, *args, mode: str, no_rebuild: bool, force: bool, timeout: float, **options):
        if current_mode() == mode and not force:
            self.stdout.write(f"o banco já está no modo {mode}; nada a fazer")
            return
        report = switch_mode(mode, do_rebuild=not no_rebuild, timeout=timeout, log=self.stdout.write)
        if not report.ok:
            raise CommandError(
                f"modo {mode} ativo, mas os modelos de leitura divergem da fonte:\n{report.drift.summary()}\n"
                "Rode `manage.py verify_read_model --repair` (no modo celery, depois que o relay e os workers "
                "esvaziarem o outbox)."
            )
        hint = " Rode o relay (manage.py outbox_relay) e workers Celery." if mode == "celery" else ""
        self.stdout.write(self.style.SUCCESS(f"modo {mode} ativo; modelos de leitura verificados.{hint}"))
