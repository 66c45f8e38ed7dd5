"""The transactional inbox: `receive_events`, the command behind `POST /api/integracoes/eventos/`.

One batch, one durable transaction: the new events are stored (each
`(fonte, id_evento)` once: `INSERT ... ON CONFLICT DO NOTHING`, so a
redelivered event, even one racing its first delivery on another
connection, is acknowledged as a duplicate and applied once) and the
documents of the visits they touch are recomputed before commit. Events of
patients that do not exist yet are stored as pending and applied when the
patient is registered (`prontuario.feed`).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from hospital.errors import FieldError
from prontuario.consolidation import refresh_visits
from prontuario.errors import IntegrationErrorCode, SourceNotAllowed
from prontuario.event_types import SOURCE_OF_TYPE


@dataclass(frozen=True)
class IncomingEvent:
    """A validated event: `dados` already normalized to JSON (instants in UTC)."""

    id_evento: str
    tipo: str
    id_paciente: int
    id_atendimento: str
    versao: int
    ocorrido_em: object  # an aware datetime
    dados: dict


@dataclass
class Receipt:
    fonte: str
    situacoes: dict[str, str] = field(default_factory=dict)  # id_evento -> aplicado | pendente | duplicado

    def count(self, situacao: str) -> int:
        return sum(1 for value in self.situacoes.values() if value == situacao)


def check_sources(fonte: str, eventos: Sequence[IncomingEvent]) -> None:
    """Raise `SourceNotAllowed` naming every event whose type belongs to another source."""
    errors = [
        FieldError(
            f"eventos[{index}].tipo",
            IntegrationErrorCode.TYPE_OF_OTHER_SOURCE,
            f"{event.tipo} é entregue pelo sistema '{SOURCE_OF_TYPE[event.tipo]}', não por '{fonte}'.",
        )
        for index, event in enumerate(eventos)
        if SOURCE_OF_TYPE[event.tipo] != fonte
    ]
    if errors:
        raise SourceNotAllowed(errors)


def _insert_new(fonte: str, eventos: Sequence[IncomingEvent]) -> set[str]:
    """Store the events not stored before; return the `id_evento`s inserted now."""
    rows = [
        {"e": e.id_evento, "t": e.tipo, "p": e.id_paciente, "a": e.id_atendimento, "v": e.versao,
         "o": e.ocorrido_em.isoformat(), "d": e.dados}
        for e in eventos
    ]  # fmt: skip
    with connection.cursor() as cursor:  # one JSON parameter: cheaper to send than eight arrays
        cursor.execute(
            "INSERT INTO prontuario_inbox "
            "(fonte, id_evento, tipo, id_paciente, id_atendimento, versao, ocorrido_em, dados, recebido_em) "
            "SELECT %s, r->>'e', r->>'t', (r->>'p')::bigint, r->>'a', (r->>'v')::bigint, (r->>'o')::timestamptz, "
            "r->'d', now() FROM jsonb_array_elements(%s::jsonb) AS r "
            "ON CONFLICT (fonte, id_evento) DO NOTHING RETURNING id_evento",
            [fonte, json.dumps(rows)],
        )
        return {row[0] for row in cursor.fetchall()}


@transaction.atomic(durable=True)
def receive_events(*, fonte: str, eventos: Sequence[IncomingEvent]) -> Receipt:
    """Store a batch of one source's events and apply the new ones; all or nothing."""
    check_sources(fonte, eventos)
    unique: dict[str, IncomingEvent] = {}
    for event in eventos:
        unique.setdefault(event.id_evento, event)  # the same id twice in one batch: the first one counts
    inserted = _insert_new(fonte, list(unique.values()))
    new = [event for event in unique.values() if event.id_evento in inserted]
    applied = refresh_visits({(event.id_paciente, event.id_atendimento) for event in new})
    receipt = Receipt(fonte)
    for event in eventos:
        if event.id_evento in receipt.situacoes:
            continue
        if event.id_evento not in inserted:
            receipt.situacoes[event.id_evento] = "duplicado"
        elif (event.id_paciente, event.id_atendimento) in applied:
            receipt.situacoes[event.id_evento] = "aplicado"
        else:
            receipt.situacoes[event.id_evento] = "pendente"
    return receipt
