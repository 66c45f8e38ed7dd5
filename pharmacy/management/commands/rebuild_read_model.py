"""manage.py rebuild_read_model: rebuild the pharmacy read models from the write model, in batches."""

from django.core.management.base import BaseCommand

from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.rebuild import BatchProgress, rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the pharmacy read models (worklist and documents) from the write model in short batches, "
        "showing progress. Safe to rerun and to interrupt; writers are never held for more than one batch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000, help="Prescriptions per batch (default 5000).")
        parser.add_argument(
            "--from-empty",
            action="store_true",
            help="Empty the read tables first (the worklist is incomplete until the rebuild ends).",
        )
        parser.add_argument("--pause", type=float, default=0.0, help="Seconds to sleep between batches.")

    def handle(self, *args, batch_size: int, from_empty: bool, pause: float, **options):
        def report(p: BatchProgress) -> None:
            retried = f", {p.retries} retries" if p.retries else ""
            self.stdout.write(
                f"batch {p.batch}/{p.batches}: prescriptions {p.first_id}-{p.last_id} "
                f"({100 * p.batch / p.batches:.0f}%, {p.elapsed:.1f}s{retried})"
            )

        batches = rebuild(batch_size=batch_size, from_empty=from_empty, pause=pause, progress=report)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt in {batches} batches: {ItemDetalhado.objects.count()} worklist rows, "
                f"{PrescricaoDocumento.objects.count()} documents."
            )
        )
