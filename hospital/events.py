"""Domain events of master data: a record registered or changed.

Appended to the outbox inside the calling command's transaction. Payloads
are the full new state of the record, so consumers never need the previous
event. Event type names are a contract: never reuse one.
"""

import datetime as dt

from django.db import models

from hospital.models import Medicamento, Medico, Paciente
from outbox.events import record_event
from outbox.models import OutboxEvent
from outbox.types import AggregateType, EventType

# Per model: its aggregate, its event types (registered, changed), the payload's id key and state fields.
_EVENTS: dict[type[models.Model], tuple[AggregateType, EventType, EventType, str, tuple[str, ...]]] = {
    Medico: (
        AggregateType.MEDICO,
        EventType.MEDICO_CADASTRADO,
        EventType.MEDICO_ATUALIZADO,
        "id_medico",
        ("nome", "especialidade", "crm", "crm_uf", "ativo"),
    ),
    Paciente: (
        AggregateType.PACIENTE,
        EventType.PACIENTE_CADASTRADO,
        EventType.PACIENTE_ATUALIZADO,
        "id_paciente",
        ("nome", "data_nascimento", "endereco", "prontuario", "ativo"),
    ),
    Medicamento: (
        AggregateType.MEDICAMENTO,
        EventType.MEDICAMENTO_CADASTRADO,
        EventType.MEDICAMENTO_ATUALIZADO,
        "id_medicamento",
        ("nome", "descricao", "especialidades_permitidas", "ativo"),
    ),
}


def _as_json(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return list(value) if isinstance(value, list | tuple) else value


def master_data_saved(record: Medico | Paciente | Medicamento, *, created: bool) -> OutboxEvent:
    """`<Model>Cadastrado` when `created`, else `<Model>Atualizado`, carrying the record's whole state."""
    aggregate, registered, changed, id_key, fields = _EVENTS[type(record)]
    return record_event(
        event_type=registered if created else changed,
        aggregate_type=aggregate,
        aggregate_id=record.pk,
        payload={id_key: record.pk, **{name: _as_json(getattr(record, name)) for name in fields}},
    )
