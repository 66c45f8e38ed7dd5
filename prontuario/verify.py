"""Verify and rebuild the record: every visit document against the fold of the inbox and the write model.

Both walk the patients in batches; each batch is one short transaction, so
neither blocks ingestion for long. Rebuild takes the same per-patient locks
as any refresh; verify only reads.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from prontuario.consolidation import compute_documents, patients_with_records, refresh_visits, visits_of_patients
from prontuario.models import DocumentoAtendimento
from prontuario.selectors import Visit

BATCH = 500


@dataclass
class RecordDrift:
    missing: list[Visit] = field(default_factory=list)
    extra: list[Visit] = field(default_factory=list)
    different: list[Visit] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.different)

    @property
    def patient_ids(self) -> list[int]:
        return sorted({p for p, _ in self.missing + self.extra + self.different})

    def summary(self, sample: int = 10) -> str:
        return "\n".join(
            f"  prontuario_atendimentos {kind}: {len(visits)} {visits[:sample]}"
            for kind, visits in (("missing", self.missing), ("extra", self.extra), ("different", self.different))
            if visits
        )


def _batches(ids: list[int]):
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def find_drift() -> RecordDrift:
    """Compare every stored visit document with the one the fold gives now."""
    drift = RecordDrift()
    for chunk in _batches(patients_with_records()):
        with transaction.atomic():
            _, expected = compute_documents(visits_of_patients(chunk))
            stored = {
                (row.id_paciente, row.id_atendimento): row.documento
                for row in DocumentoAtendimento.objects.filter(id_paciente__in=chunk)
            }
        for visit, document in sorted(expected.items()):
            if visit not in stored:
                drift.missing.append(visit)
            elif stored[visit] != json.loads(json.dumps(document)):
                drift.different.append(visit)
        drift.extra += sorted(stored.keys() - expected.keys())
    return drift


def repair(drift: RecordDrift) -> None:
    for chunk in _batches(drift.patient_ids):
        with transaction.atomic():
            refresh_visits(visits_of_patients(chunk))


def rebuild(progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Recompute every visit of every patient from the inbox and the write model; return the visits refreshed."""
    patients = patients_with_records()
    refreshed = 0
    for done, chunk in enumerate(_batches(patients), start=1):
        with transaction.atomic():
            refreshed += len(refresh_visits(visits_of_patients(chunk)))
        progress(min(done * BATCH, len(patients)), len(patients))
    return refreshed
