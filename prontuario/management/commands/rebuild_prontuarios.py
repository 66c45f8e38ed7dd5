"""manage.py rebuild_prontuarios: recompute every visit document from the inbox and the write model."""

import sys

from django.core.management.base import BaseCommand

from prontuario.verify import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the patient records (one document per visit) from the inbox of other systems' events and the "
        "prescriptions, in batches of patients (short transactions; ingestion keeps running). Applies pending "
        "events of patients registered since. Safe to rerun and to interrupt."
    )

    def handle(self, *args, **options):
        def progress(done: int, total: int) -> None:
            if sys.stderr.isatty():
                sys.stderr.write(f"\r{done}/{total} patients")
                sys.stderr.flush()

        refreshed = rebuild(progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {refreshed} visit documents."))
