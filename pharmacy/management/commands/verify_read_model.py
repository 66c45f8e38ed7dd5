"""manage.py verify_read_model: diff the read models against the source join; --repair fixes the drift."""

import sys

from django.core.management.base import BaseCommand

from outbox.sync_mode import mode_line
from pharmacy import verifiers, verify


class Command(BaseCommand):
    help = (
        "Compare every column of every worklist row and every document with the source join over the write "
        "model. Exit 0 when equal; exit 1 with a summary of missing, extra and different rows otherwise. "
        "--repair recomputes exactly the drifted prescriptions and reports what it fixed. Also checks (and "
        "repairs) the other read models registered with it (the patient records' visit documents)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", dest="do_repair", help="Fix the drift found.")
        parser.add_argument("--sample", type=int, default=10, help="Ids listed per kind of drift (default 10).")

    def handle(self, *args, do_repair: bool, sample: int, **options):
        self.stdout.write(mode_line())
        others_ok = all([self._other(verifier, do_repair, sample) for verifier in verifiers.registered()])
        self._pharmacy(do_repair, sample)
        if not others_ok:
            sys.exit(1)

    def _other(self, verifier: verifiers.Verifier, do_repair: bool, sample: int) -> bool:
        """A registered read model against its source."""
        drift = verifier.find_drift()
        if not drift:
            self.stdout.write(self.style.SUCCESS(f"OK: {verifier.name} equal {verifier.source}."))
            return True
        self.stdout.write(self.style.WARNING(f"DRIFT in {verifier.name}:"))
        self.stdout.write(drift.summary(sample))
        if not do_repair:
            return False
        verifier.repair(drift)
        if verifier.find_drift():
            self.stderr.write(self.style.ERROR(f"Drift remains in {verifier.name} after the repair."))
            return False
        self.stdout.write(self.style.SUCCESS(f"REPAIRED {verifier.name}."))
        return True

    def _pharmacy(self, do_repair: bool, sample: int) -> None:
        drift = verify.find_drift()
        if not drift:
            self.stdout.write(self.style.SUCCESS("OK: the read models equal the source join."))
            return
        self.stdout.write(self.style.WARNING("DRIFT between the read models and the source join:"))
        self.stdout.write(drift.summary(sample))
        if not do_repair:
            self.stdout.write("Run with --repair to fix it.")
            sys.exit(1)
        verify.repair(drift)
        remaining = verify.find_drift()
        if remaining:
            self.stderr.write(self.style.ERROR("Drift remains after the repair (concurrent writes?):"))
            self.stderr.write(remaining.summary(sample))
            sys.exit(1)
        fixed = drift.counts()
        self.stdout.write(
            self.style.SUCCESS(
                f"REPAIRED {len(drift.prescription_ids)} prescriptions: "
                + "; ".join(f"{table} {kind} {n}" for table, kinds in fixed.items() for kind, n in kinds.items() if n)
                + ". The read models now equal the source join."
            )
        )
