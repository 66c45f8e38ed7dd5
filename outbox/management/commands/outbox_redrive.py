"""`manage.py outbox_redrive`: send dead-lettered events through the relay again."""

from django.core.management.base import BaseCommand, CommandError

from outbox.dead_letters import redrive
from outbox.models import OutboxEvent
from outbox.sync_mode import mode_line


class Command(BaseCommand):
    help = "Publish dead-lettered events again (all of them, or the given positions)."

    def add_arguments(self, parser):
        parser.add_argument("positions", nargs="*", type=int, help="positions to redrive (default: every dead letter)")
        parser.add_argument("--list", action="store_true", help="only list the dead letters")

    def handle(self, *args, positions: list[int], list: bool = False, **options):
        self.stdout.write(mode_line())
        dead = OutboxEvent.objects.filter(dead_lettered_at__isnull=False)
        if positions:
            dead = dead.filter(pk__in=positions)
        if list:
            for event in dead.order_by("id"):
                self.stdout.write(
                    f"#{event.pk} {event.event_type} {event.aggregate_type}:{event.aggregate_id} "
                    f"attempts={event.attempts} error={event.last_error[:120]!r}"
                )
            return
        count = redrive(dead)
        if positions and count != len(set(positions)):
            raise CommandError(
                f"only {count} of {len(set(positions))} positions were dead letters; those were redriven"
            )
        self.stdout.write(self.style.SUCCESS(f"{count} event(s) redriven"))
