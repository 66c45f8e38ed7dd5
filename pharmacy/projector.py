"""The Celery projector: applies outbox events to both read models (celery mode).

An event is never applied "as a delta". Each event only names what changed
(its aggregate); the projector maps it to the prescriptions whose read rows
show that aggregate and recomputes them from the write model *as it is now*
(`pharmacy.projection.refresh_prescriptions`). Hence:

- **idempotent**: applying an event twice writes nothing the second time;
- **order-safe**: a late, duplicated or reordered event recomputes from the
  current state, never from the event's stale payload;
- **no regression under concurrency**: refreshes of one prescription are
  serialized by transaction-scoped advisory locks that the refresh function
  itself takes, under the one lock protocol every caller shares (trigger-mode
  writers included; `pharmacy/sql/locks.sql`), so no two
  refreshes wait for each other in a cycle; the refresh reads the write model
  after acquiring them, so whoever refreshes last has the newest snapshot. A
  write committed after that snapshot has its own event, which refreshes again.

Master-data events (Medico, Paciente, Medicamento) fan out to the
prescriptions that show the record, in chunks of `CHUNK` prescriptions per
transaction. Only after its prescriptions are refreshed is an event marked
`projected_at`; a crash in between just means it is applied again.

Other read models following the feed (`outbox.consumers`, e.g. the patient
record) get the projected events in that same transaction.

Failures: database hiccups (`OperationalError`: lost connection, deadlock)
propagate so the Celery task retries the whole message. Anything else is
isolated per prescription and charged to the events that need it
(`outbox.store.record_failure`: backoff, then dead letter) while every other
event of the message is projected.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction

from outbox import consumers
from outbox.store import mark_projected, pending_after, record_failure
from outbox.types import AggregateType
from pharmacy.projection import refresh_prescriptions

logger = logging.getLogger(__name__)

CHUNK = 200

# Which prescriptions each event touches: one query per message, through the fan-out function.
_FAN_OUT = """
SELECT g.tipo, f.id_agregado, f.id_prescricao
FROM (SELECT e.tipo, array_agg(e.id) AS ids FROM unnest(%s::text[], %s::bigint[]) AS e(tipo, id) GROUP BY e.tipo) g
CROSS JOIN LATERAL pharmacy_prescricoes_afetadas(g.tipo, g.ids) AS f
"""
_KNOWN = frozenset(AggregateType)


@dataclass(frozen=True)
class Event:
    id: int
    aggregate_type: str
    aggregate_id: int
    event_type: str = ""

    @classmethod
    def from_message(cls, item: Sequence) -> Event:
        return cls(int(item[0]), str(item[1]), int(item[2]), str(item[3]) if len(item) > 3 else "")


@dataclass
class ApplyResult:
    projected: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    dead_lettered: int = 0


def _resolve(events: Sequence[Event]) -> tuple[dict[int, set[int]], dict[int, str]]:
    """Map each event to the prescriptions it touches (`pharmacy_prescricoes_afetadas`); unknown aggregates fail."""
    failed = {e.id: f"unknown aggregate type: {e.aggregate_type!r}" for e in events if e.aggregate_type not in _KNOWN}
    known = sorted({(e.aggregate_type, e.aggregate_id) for e in events if e.id not in failed})
    shown_in: dict[tuple[str, int], set[int]] = defaultdict(set)
    if known:
        with connection.cursor() as cursor:
            cursor.execute(_FAN_OUT, [[t for t, _ in known], [i for _, i in known]])
            for aggregate_type, aggregate_id, prescription_id in cursor.fetchall():
                shown_in[aggregate_type, aggregate_id].add(prescription_id)
    touched = {e.id: set(shown_in.get((e.aggregate_type, e.aggregate_id), ())) for e in events if e.id not in failed}
    return touched, failed


def refresh_locked(prescription_ids: Iterable[int]) -> None:
    """Recompute these prescriptions in one transaction of their own, under the refresh's lock protocol.

    The locks are the refresh function's own (`pharmacy_lock_prescricoes`): taking any here first would
    put this caller's order out of step with the trigger-mode writers'.
    """
    ids = sorted(set(prescription_ids))
    if not ids:
        return
    with transaction.atomic():
        refresh_prescriptions(ids)


def apply_events(events: Sequence[Event]) -> ApplyResult:
    """Apply one message's events (see module doc). Raises `OperationalError` for a retry of the whole message."""
    result = ApplyResult()
    touched, failed = _resolve(events)
    result.failed.update(failed)
    all_ids = sorted({pid for ids in touched.values() for pid in ids})
    if len(all_ids) <= CHUNK and _apply_in_one_transaction(events, all_ids, result):
        return _record_failures(result)
    bad: dict[int, str] = {}
    for start in range(0, len(all_ids), CHUNK):
        chunk = all_ids[start : start + CHUNK]
        try:
            refresh_locked(chunk)
        except OperationalError:
            raise
        except Exception as exc:
            logger.warning("projector: refreshing %d prescriptions failed (%s); isolating", len(chunk), exc)
            for pid in chunk:
                try:
                    refresh_locked([pid])
                except OperationalError:
                    raise
                except Exception as one_exc:
                    bad[pid] = f"{type(one_exc).__name__}: {one_exc}"
    for event in events:
        if event.id in result.failed:
            continue
        broken = sorted(touched[event.id] & bad.keys())
        if broken:
            result.failed[event.id] = f"prescription {broken[0]}: {bad[broken[0]]}"
        else:
            result.projected.append(event.id)
    with transaction.atomic():
        consumers.dispatch([event for event in events if event.id in set(result.projected)])
        mark_projected(result.projected)
    return _record_failures(result)


def _apply_in_one_transaction(events: Sequence[Event], ids: list[int], result: ApplyResult) -> bool:
    """The common case (one chunk of prescriptions): refresh and mark projected in a single transaction.

    One commit instead of two per message, and `projected_at` can never be
    recorded without the rows it vouches for (nor the reverse). Returns False,
    with nothing written, when the refresh fails with a non-database error: the
    caller then isolates the offending prescription(s) chunk by chunk.
    """
    projected = [event.id for event in events if event.id not in result.failed]
    try:
        with transaction.atomic():
            if ids:
                refresh_prescriptions(ids)
            consumers.dispatch([event for event in events if event.id not in result.failed])
            mark_projected(projected)
    except OperationalError:
        raise
    except Exception as exc:
        logger.warning("projector: refreshing %d prescriptions failed (%s); isolating", len(ids), exc)
        return False
    result.projected.extend(projected)
    return True


def _record_failures(result: ApplyResult) -> ApplyResult:
    for event_id, error in result.failed.items():
        result.dead_lettered += record_failure([event_id], f"projection failed: {error}")
    return result


def catch_up(*, upto: int | None = None, batch_size: int = 500) -> int:
    """Apply every pending event (up to position `upto`) in this process, without the broker.

    Used by the mode switch so the read models are complete before verifying;
    safe while workers run too (same locks, idempotent). Returns how many
    events were projected; events that fail stay pending (backoff, dead letter).
    """
    projected = 0
    after = 0
    while True:
        rows = pending_after(after, upto=upto, limit=batch_size)
        if not rows:
            return projected
        result = apply_events([Event(*row) for row in rows])
        projected += len(result.projected)
        after = rows[-1][0]
