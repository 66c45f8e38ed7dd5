"""`manage.py outbox_purge`: delete projected events older than the retention (the relay also does it hourly)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from outbox.store import purge
from outbox.sync_mode import mode_line


class Command(BaseCommand):
    help = "Delete projected events older than the retention (dead letters stay)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=float, default=None, help=f"retention in days (default {settings.OUTBOX_RETENTION_DAYS})"
        )

    def handle(self, *args, days: float | None = None, **options):
        self.stdout.write(mode_line())
        deleted = purge(older_than_days=days)
        self.stdout.write(f"{deleted} event(s) deleted")
