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

from outbox.types import AggregateType
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


def visits_touched(events: Sequence) -> set[Visit]:
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for event in events:
        ids_by_type[event.aggregate_type].add(int(event.aggregate_id))
    visits: set[Visit] = set()
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
