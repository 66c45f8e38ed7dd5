"""Search jobs for `bench.pool` workers (Django is set up): the project's search and the naive baseline.

The baseline is what a Django developer would write without a search read
model: every word `icontains` over the joined write tables (patient, doctor,
CRM, specialty, medications' names and descriptions, dosage, address), a page
of 20 newest first, the total count, and the three facets as
`values().annotate(Count)` queries: the answers the search gives (words,
filters, page, count, facets), minus typo tolerance and stemming.
"""

from __future__ import annotations

import time


def _naive(q: str, spec: dict) -> int:
    from django.db.models import Count, Q

    from prescriptions.models import Prescricao

    queryset = Prescricao.objects.all()
    for word in q.split():
        queryset = queryset.filter(
            Q(paciente__nome__icontains=word)
            | Q(medico__nome__icontains=word)
            | Q(medico__crm__icontains=word)
            | Q(medico__especialidade__icontains=word)
            | Q(paciente__endereco__icontains=word)
            | Q(itens__medicamento__nome__icontains=word)
            | Q(itens__medicamento__descricao__icontains=word)
            | Q(itens__dosagem__icontains=word)
        )
    if spec.get("status"):
        queryset = queryset.filter(status=spec["status"])
    if spec.get("especialidade"):
        queryset = queryset.filter(medico__especialidade=spec["especialidade"])
    matches = Prescricao.objects.filter(pk__in=queryset.values("pk"))
    page = matches.select_related("medico", "paciente").prefetch_related("itens__medicamento")
    list(page.order_by("-data_prescricao", "-id")[:20])
    count = matches.count()
    list(matches.values("status").annotate(n=Count("id")))
    list(matches.values("medico__especialidade").annotate(n=Count("id")))
    medications = matches.values("itens__medicamento_id", "itens__medicamento__nome")
    list(medications.annotate(n=Count("id", distinct=True)).order_by("-n")[:20])
    return count


def _explain(q: str, filters) -> dict:
    from django.db import connection

    from pharmacy.search import matching, parse_terms

    sql, params = matching(parse_terms(q), filters).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]
    return {"execution_ms": round(plan["Execution Time"], 2), "top_node": plan["Plan"]["Node Type"]}


def search_latency(worker: int, cases: list[dict], search_rounds: int, naive_rounds: int) -> dict:
    """Per case: latencies of `pharmacy.search.search` and of the naive baseline, alternated, same inputs.

    Each case is {"name", "queries": [q, ...], "filters": {...}}; round n runs
    query n of the list (cycling). Returns {name: {"search": [s, ...],
    "naive": [s, ...], "counts": [...], "naive_counts": [...], "explain": {...}}}.
    """
    from pharmacy.search import Filters, search

    out = {}
    for case in cases:
        spec, queries = case.get("filters", {}), case["queries"]
        filters = Filters(**spec)
        for q in queries[:5]:  # warm-up
            search(q, filters)
        result: dict = {"search": [], "naive": [], "counts": [], "naive_counts": []}
        for n in range(max(search_rounds, naive_rounds)):
            q = queries[n % len(queries)]
            if n < search_rounds:
                t0 = time.perf_counter()
                result["counts"].append(search(q, filters).count)
                result["search"].append(time.perf_counter() - t0)
            if n < naive_rounds:
                t0 = time.perf_counter()
                result["naive_counts"].append(_naive(q, spec))
                result["naive"].append(time.perf_counter() - t0)
        result["explain"] = _explain(queries[0], filters)
        out[case["name"]] = result
    return out
