"""`manage.py switch_sync_mode trigger|celery`: switch how the read models follow the write model."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from outbox.sync_mode import current_mode, display_broker, mode_line, recorded_broker, set_mode
from pharmacy.sync_switch import switch_mode


class Command(BaseCommand):
    help = (
        "Switch the read models' sync mode (trigger <-> celery) without losing a write: flip the database's mode, "
        "wait for open transactions, apply pending events, rebuild and verify. Celery mode records this "
        "process's broker (REDIS_URL): relays and workers configured for another one refuse to run."
    )

    def add_arguments(self, parser):
        parser.add_argument("mode", choices=["trigger", "celery"])
        parser.add_argument("--no-rebuild", action="store_true", help="skip the batched rebuild (verify still runs)")
        parser.add_argument("--force", action="store_true", help="run the full procedure even if already in mode")
        parser.add_argument("--timeout", type=float, default=300.0, help="max seconds to wait for open transactions")

    def handle(self, *args, mode: str, no_rebuild: bool, force: bool, timeout: float, **options):
        self.stdout.write(mode_line())
        broker = settings.CELERY_BROKER_URL if mode == "celery" else ""
        if current_mode() == mode and not force:
            self._keep_mode(mode, broker)
            return
        report = switch_mode(mode, do_rebuild=not no_rebuild, timeout=timeout, broker=broker, log=self.stdout.write)
        if not report.ok:
            raise CommandError(
                f"mode {mode} is in effect, but the read models differ from the source:\n{report.drift.summary()}\n"
                "Run `manage.py verify_read_model --repair` (in celery mode, once the relay and the workers have "
                "drained the outbox)."
            )
        hint = (
            f" Run the relay (manage.py outbox_relay) and Celery workers with REDIS_URL={display_broker(broker)}."
            if broker
            else ""
        )
        self.stdout.write(self.style.SUCCESS(f"mode {mode} in effect; read models verified.{hint}"))

    def _keep_mode(self, mode: str, broker: str) -> None:
        if broker and recorded_broker() != display_broker(broker):
            previous = recorded_broker() or "none recorded"
            set_mode(mode, broker=broker)
            self.stdout.write(
                f"already in mode {mode}; broker changed from {previous} to {display_broker(broker)} (events "
                "published to the old one and never projected are published again after OUTBOX_REPUBLISH_AFTER)"
            )
            return
        self.stdout.write(f"already in mode {mode}; nothing to do")
