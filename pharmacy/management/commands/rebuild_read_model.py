"""manage.py rebuild_read_model: rebuild the pharmacy read models from the write model.

Default: online build-and-swap (`pharmacy.swap_rebuild`): fresh tables built
beside the live ones, caught up with the writes made meanwhile, swapped in
with one short exclusive lock. `--in-place`: the batched in-place refresh
(`pharmacy.rebuild`), slower but never takes more than row locks.
"""

from django.core.management.base import BaseCommand, CommandError

from outbox.sync_mode import mode_line
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.rebuild import BatchProgress, rebuild
from pharmacy.swap_rebuild import RebuildError, rebuild_swap


class Command(BaseCommand):
    help = (
        "Rebuild the pharmacy read models (worklist and documents) from the write model, showing progress. "
        "Default: build new tables online, catch up the writes made meanwhile and swap them in (readers and "
        "writers of the read tables wait only for the swap, typically milliseconds). --in-place: refresh the "
        "live tables in short batches instead. Both are safe to rerun and to interrupt."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="Refresh the live tables in short batches instead of building and swapping (slower; no table lock).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=None, help="--in-place: prescriptions per batch (default 5000)."
        )
        parser.add_argument(
            "--from-empty",
            action="store_true",
            help="--in-place: empty the read tables first (the worklist is incomplete until the rebuild ends).",
        )
        parser.add_argument("--pause", type=float, default=None, help="--in-place: seconds to sleep between batches.")
        parser.add_argument(
            "--lock-timeout",
            type=float,
            default=2.0,
            help="Swap: give up waiting for the read tables' lock after this many seconds, then retry (default 2).",
        )

    def handle(self, *args, in_place: bool, batch_size, from_empty: bool, pause, lock_timeout: float, **options):
        if not in_place and (batch_size is not None or from_empty or pause is not None):
            raise CommandError("--batch-size, --from-empty and --pause apply to --in-place only.")
        self.stdout.write(mode_line())
        if in_place:
            self._in_place(batch_size or 5000, from_empty, pause or 0.0)
            return
        try:
            report = rebuild_swap(lock_timeout=lock_timeout, log=self.stdout.write)
        except RebuildError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt by swap in {report.seconds:.1f}s: {report.rows} worklist rows, {report.documents} "
                f"documents; catch-up rounds {report.rounds}, last delta {report.final_delta}, "
                f"read tables locked {report.locked_s * 1000:.0f} ms."
            )
        )

    def _in_place(self, batch_size: int, from_empty: bool, pause: float) -> None:
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
