"""The record's consumer of the project's event feed (the outbox): which visits an event touches.

Registered in `outbox.consumers`, so it runs in the writing transaction in
trigger mode and in the Celery projector's transaction in celery mode. Every
event is mapped to the visits whose documents show what it names, and those
visits are recomputed from the write model as it is now
(`prontuario.consolidation`): a prescription's own visit; every visit of a
registered or changed patient (which also applies their pending events);
the visits showing a renamed doctor or medication.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection

from outbox.types import AggregateType, EventType
from prontuario.consolidation import refresh_visits, visits_of_patients
from prontuario.selectors import Visit

_VISITS_SHOWING = {
    AggregateType.PRESCRICAO: "SELECT id_paciente, id_atendimento FROM prescricoes "
    "WHERE id = ANY(%s) AND id_atendimento IS NOT NULL",
    AggregateType.MEDICO: "SELECT DISTINCT id_paciente, id_atendimento FROM prescricoes "
    "WHERE id_medico = ANY(%s) AND id_atendimento IS NOT NULL",
    AggregateType.MEDICAMENTO: "SELECT DISTINCT p.id_paciente, p.id_atendimento FROM prescricoes p "
    "JOIN prescricao_medicamentos i ON i.id_prescricao = p.id "
    "WHERE i.id_medicamento = ANY(%s) AND p.id_atendimento IS NOT NULL",
}


def _names_its_visit(event) -> bool:
    """Whether the event itself says which visit it touches, so no query need look it up.

    A prescription's visit is fixed when it is created, and the creation event's
    payload names it; the events of trigger mode carry their payload, the
    projector's do not (`outbox.consumers`).
    """
    payload = getattr(event, "payload", None)
    return event.event_type == EventType.PRESCRICAO_CRIADA and isinstance(payload, dict) and "id_atendimento" in payload


def visits_touched(events: Sequence) -> set[Visit]:
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    visits: set[Visit] = set()
    for event in events:
        if not _names_its_visit(event):
            ids_by_type[event.aggregate_type].add(int(event.aggregate_id))
        elif event.payload["id_atendimento"]:
            visits.add((event.payload["paciente"]["id_paciente"], event.payload["id_atendimento"]))
    if AggregateType.PACIENTE in ids_by_type:
        visits |= visits_of_patients(ids_by_type.pop(AggregateType.PACIENTE))
    with connection.cursor() as cursor:
        for aggregate_type, ids in ids_by_type.items():
            sql = _VISITS_SHOWING.get(aggregate_type)
            if sql:
                cursor.execute(sql, [sorted(ids)])
                visits |= set(cursor.fetchall())
    return visits


def apply_events(events: Sequence) -> None:
    """Recompute the visits these events touch. Precondition: inside the transaction owning the events' effect."""
    refresh_visits(visits_touched(events))
