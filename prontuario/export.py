"""Export of the patient records as JSON Lines: one line per patient, in constant memory.

Visit documents are read through a server-side cursor (`QuerySet.iterator`)
ordered by patient, and each patient's line is written as soon as their last
visit has been read, so memory holds one patient at a time however large the
hospital.
"""

import datetime as dt
from collections.abc import Iterator

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from hospital.models import Paciente
from prontuario.models import DocumentoAtendimento

CHUNK = 500


def _window(since: dt.date | None, until: dt.date | None) -> Q:
    """Visits that began on these local dates (inclusive)."""
    zone = timezone.get_default_timezone()
    window = Q()
    if since is not None:
        window &= Q(inicio__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until is not None:
        window &= Q(inicio__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    return window


def _patient(field: str) -> Subquery:
    return Subquery(Paciente.objects.filter(pk=OuterRef("id_paciente")).values(field)[:1])


def count_patients(since: dt.date | None = None, until: dt.date | None = None) -> int:
    return DocumentoAtendimento.objects.filter(_window(since, until)).values("id_paciente").distinct().count()


def patient_records(since: dt.date | None = None, until: dt.date | None = None) -> Iterator[dict]:
    """Each patient's record (`{"paciente", "atendimentos"}`, visits newest first), patient by patient."""
    rows = (
        DocumentoAtendimento.objects.filter(_window(since, until))
        .annotate(nome=_patient("nome"), nascimento=_patient("data_nascimento"))
        .order_by("id_paciente", "-inicio", "-id_atendimento")
        .values_list("id_paciente", "nome", "nascimento", "documento")
        .iterator(chunk_size=CHUNK)
    )
    current: dict | None = None
    for id_paciente, nome, nascimento, documento in rows:
        if current is None or current["paciente"]["id_paciente"] != id_paciente:
            if current is not None:
                yield current
            current = {
                "paciente": {"id_paciente": id_paciente, "nome": nome, "data_nascimento": nascimento.isoformat()},
                "atendimentos": [],
            }
        current["atendimentos"].append(documento)
    if current is not None:
        yield current
