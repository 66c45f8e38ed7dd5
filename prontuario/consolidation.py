"""Recompute visit documents from the inbox and the write model: the only writer of `prontuario_atendimentos`.

Every path that changes a visit's inputs ends here: ingestion (in the same
transaction as the inbox rows), the event feed (prescriptions, patients,
doctors, medications; `prontuario.feed`), and rebuild/repair. A refresh
recomputes whole documents (`prontuario.fold`) instead of applying deltas,
so it is idempotent and order-free.

Concurrency: a refresh takes a transaction-scoped advisory lock per patient
(sorted, so two refreshes never deadlock) and only then reads; in READ
COMMITTED each later statement sees everything committed before the lock was
granted, so the last refresh of a patient reads the newest state. The same
lock orders ingestion against a patient's registration: whichever runs
second sees the other's rows, so no event stays pending once its patient
exists.
"""

import json
from collections.abc import Collection

from django.db import connection

from hospital.models import Paciente
from prontuario import selectors
from prontuario.fold import build_visit_document
from prontuario.selectors import Visit

LOCK_CLASS = 7272  # advisory lock namespace: (LOCK_CLASS, patient id)


def lock_patients(patient_ids: Collection[int]) -> None:
    """Take the patients' advisory locks in sorted order. Precondition: inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, k)) FROM "
            "(SELECT DISTINCT (id %% 2147483647)::int AS k FROM unnest(%s::bigint[]) AS id ORDER BY 1) AS keys",
            [LOCK_CLASS, sorted(set(patient_ids))],
        )


def refresh_visits(visits: Collection[Visit]) -> set[Visit]:
    """Make these visits' documents equal to the fold of their events and prescriptions; return the applied ones.

    Visits of patients that do not exist are left alone (their events stay
    pending). Precondition: inside a transaction (the caller's: ingestion, the
    writing command in trigger mode, the projector in celery mode).
    """
    if not visits:
        return set()
    lock_patients({p for p, _ in visits})
    applicable, documents = compute_documents(visits)
    _write(documents, applicable - documents.keys())
    _mark_applied(applicable)
    return applicable


def compute_documents(visits: Collection[Visit]) -> tuple[set[Visit], dict[Visit, dict]]:
    """The visits whose patient exists, and the documents they should have (none for a visit left empty)."""
    existing = set(Paciente.objects.filter(pk__in={p for p, _ in visits}).values_list("pk", flat=True))
    applicable = {visit for visit in visits if visit[0] in existing}
    events = selectors.visit_events(applicable)
    prescriptions = selectors.prescriptions_of_visits(applicable)
    documents = {
        visit: build_visit_document(visit[0], visit[1], events.get(visit, []), prescriptions.get(visit, []))
        for visit in applicable
        if events.get(visit) or prescriptions.get(visit)
    }
    return applicable, documents


def _write(documents: dict[Visit, dict], gone: set[Visit]) -> None:
    """Upsert the documents (skipping unchanged ones) and delete those of visits left with nothing."""
    with connection.cursor() as cursor:
        if documents:
            # One JSON parameter rather than text arrays: psycopg escapes every element of a text[] in Python.
            rows = [{"p": p, "a": a, "d": documents[(p, a)]} for p, a in sorted(documents)]
            cursor.execute(
                "INSERT INTO prontuario_atendimentos (id_paciente, id_atendimento, inicio, documento, atualizado_em) "
                "SELECT (r->>'p')::bigint, r->>'a', (r->'d'->>'inicio')::timestamptz, r->'d', now() "
                "FROM jsonb_array_elements(%s::jsonb) AS r "
                "ON CONFLICT (id_paciente, id_atendimento) DO UPDATE SET inicio = EXCLUDED.inicio, "
                "documento = EXCLUDED.documento, atualizado_em = EXCLUDED.atualizado_em "
                "WHERE prontuario_atendimentos.documento IS DISTINCT FROM EXCLUDED.documento",
                [json.dumps(rows)],
            )
        if gone:
            p, a = zip(*sorted(gone), strict=True)
            cursor.execute(
                "DELETE FROM prontuario_atendimentos d USING unnest(%s::bigint[], %s::text[]) AS v(p, a) "
                "WHERE d.id_paciente = v.p AND d.id_atendimento = v.a",
                [list(p), list(a)],
            )


def _mark_applied(visits: set[Visit]) -> None:
    p, a = zip(*sorted(visits), strict=True) if visits else ((), ())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE prontuario_inbox i SET aplicado_em = now() FROM unnest(%s::bigint[], %s::text[]) AS v(p, a) "
            "WHERE i.id_paciente = v.p AND i.id_atendimento = v.a AND i.aplicado_em IS NULL",
            [list(p), list(a)],
        )


def patients_with_records() -> list[int]:
    """Every patient with an inbox event, a prescription written in a visit, or a visit document."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_paciente FROM prontuario_inbox UNION SELECT id_paciente FROM prescricoes "
            "WHERE id_atendimento IS NOT NULL UNION SELECT id_paciente FROM prontuario_atendimentos ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def visits_of_patients(patient_ids: Collection[int]) -> set[Visit]:
    """Every visit these patients have in the inbox or in prescriptions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_paciente, id_atendimento FROM prontuario_inbox WHERE id_paciente = ANY(%s) "
            "UNION SELECT id_paciente, id_atendimento FROM prescricoes "
            "WHERE id_paciente = ANY(%s) AND id_atendimento IS NOT NULL "
            "UNION SELECT id_paciente, id_atendimento FROM prontuario_atendimentos WHERE id_paciente = ANY(%s)",
            [list(patient_ids)] * 3,
        )
        return set(cursor.fetchall())
