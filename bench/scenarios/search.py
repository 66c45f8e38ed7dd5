"""6. Search: `pharmacy.search.search` vs the naive `icontains` over the joined write tables.

Three cases over the generated data (names like "Paciente 4242", "Medicamento
17"): a patient's name, the same with a typo ("Pacinte 4242": found by
trigram similarity; the baseline finds nothing but still scans), and a
medication filtered by specialty and status with its facets. Both sides
run in one Django worker, alternated, over the same random inputs after a
warm-up; the search does page + count + facets, and so does the baseline.
Reported: the search's p50/p99 and the speedup (baseline p50 ÷ search p50).
Also what the search columns add to every document write: the same
documents inserted into a copy with the generated columns and their GIN
indexes and into a plain copy, alternated (µs per document).
"""

from __future__ import annotations

import random
import time

from bench import db
from bench.context import Context, log, pct

KEYS = [f"search.{case}_{what}" for case in ("name", "typo", "faceted") for what in ("p50_ms", "p99_ms", "speedup")]


def _cases(ctx: Context, rng: random.Random, count: int) -> list[dict]:
    # Four-digit patient numbers at least: "Paciente 390" would also prefix-match 3900-3909,
    # 39000-39099 and "Medicamento 390", some 1,800 documents instead of one patient's few.
    patients = [rng.randint(min(1000, ctx.cfg.pacientes), ctx.cfg.pacientes) for _ in range(count)]
    # Three-digit medication numbers: "Medicamento 42" would also prefix-match 420-429 and every
    # "Paciente 42…", a broad query real medication names do not make. Nor a number that is also a
    # generated dosage (50mg to 500mg, bench/sql.py): "Medicamento 150" finds every "150mg" too.
    dosages = range(50, 501, 50)
    numbers = range(min(100, ctx.cfg.medicamentos), min(999, ctx.cfg.medicamentos) + 1)
    medications = rng.choices([n for n in numbers if n not in dosages], k=count)
    return [
        {"name": "name", "queries": [f"Paciente {n}" for n in patients]},
        {"name": "typo", "queries": [f"Pacinte {n}" for n in patients]},
        {
            "name": "faceted",
            "queries": [f"Medicamento {m}" for m in medications],
            "filters": {"especialidade": "Cardiologia", "status": "ativa"},
        },
    ]


COLUMNS_COPY = """
CREATE TEMP TABLE bench_docs_search (
    documento jsonb,
    busca tsvector GENERATED ALWAYS AS (pharmacy_documento_vetor(documento)) STORED,
    busca_texto text GENERATED ALWAYS AS (pharmacy_documento_texto(documento)) STORED)
"""


def _columns_cost(ctx: Context, documents: int) -> None:
    """µs per document write that the generated search columns and their indexes add."""
    conn = ctx.conn
    conn.execute("CREATE TEMP TABLE bench_docs_plain (documento jsonb)")
    conn.execute(COLUMNS_COPY)
    conn.execute("CREATE INDEX ON bench_docs_search USING gin (busca)")
    conn.execute("CREATE INDEX ON bench_docs_search USING gin (busca_texto gin_trgm_ops)")
    sample = f"SELECT documento FROM {db.DOC_TABLE} ORDER BY id_prescricao LIMIT {documents}"
    spent = {"bench_docs_plain": 0.0, "bench_docs_search": 0.0}
    for n in range(4):
        for table in sorted(spent, reverse=bool(n % 2)):
            t0 = time.perf_counter()
            conn.execute(f"INSERT INTO {table} (documento) {sample}")
            spent[table] += time.perf_counter() - t0
            conn.execute(f"TRUNCATE {table}")
    extra = (spent["bench_docs_search"] - spent["bench_docs_plain"]) / (4 * documents)
    ctx.put("search.columns_us_per_document", extra * 1e6)
    conn.execute("DROP TABLE bench_docs_plain, bench_docs_search")


def run(ctx: Context) -> None:
    conn = ctx.conn
    has_search = conn.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'busca'", [db.DOC_TABLE]
    ).fetchone()
    if not has_search:
        ctx.pending(KEYS, "search columns not migrated (issue 11)")
        return
    conn.execute(f"VACUUM ANALYZE {db.DOC_TABLE}")
    quick = ctx.cfg.quick
    search_rounds, naive_rounds = (20, 2) if quick else (300, 3)
    cases = _cases(ctx, random.Random(13), search_rounds)
    (results,) = ctx.pool.run("search_latency", cases=cases, search_rounds=search_rounds, naive_rounds=naive_rounds)
    for case, result in results.items():
        search_p50, naive_p50 = pct(result["search"], 50), pct(result["naive"], 50)
        ctx.put(f"search.{case}_p50_ms", search_p50 * 1000)
        ctx.put(f"search.{case}_p99_ms", pct(result["search"], 99) * 1000)
        ctx.put(f"search.{case}_speedup", naive_p50 / search_p50)
        ctx.detail("search", f"{case}_naive_p50_ms", round(naive_p50 * 1000, 1))
        ctx.detail("search", f"{case}_hits_median", sorted(result["counts"])[len(result["counts"]) // 2])
        ctx.detail("search", f"{case}_naive_hits", result["naive_counts"])
        ctx.detail("search", f"{case}_explain", result["explain"])
        log(f"  {case}: search p50 {search_p50 * 1000:.1f} ms, naive p50 {naive_p50 * 1000:.0f} ms")
    ctx.detail("search", "rounds", {"search": search_rounds, "naive": naive_rounds})
    _columns_cost(ctx, 2_000 if quick else 20_000)
