"""bench/results/latest.json (every figure) and latest.md (the table the README quotes)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict
from pathlib import Path

from bench.context import PENDING, Context

# key -> (comparison, target, what)
TARGETS = {
    "write.trigger_vs_nosync": (">=", 0.85, "trigger-mode commands/s ÷ read-model sync off"),
    "write.django_vs_raw": (">=", 0.35, "trigger-mode command function ÷ raw SQL (psycopg), 1 client"),
    "read.flat_vs_join_speedup": (">=", 4.0, "join ÷ flat, one prescription's rows, simple query protocol"),
    "rebuild.vs_refresh_mv": (
        "<=",
        1.5,
        "rebuild_read_model ÷ both REFRESH MATERIALIZED VIEW at once (same rows)",
    ),
    "fanout.trigger_50k_ms": ("<=", 1500, "rename a doctor shown by 50,000 rows, trigger mode (ms)"),
    "relay.events_per_s": (
        ">=",
        10_000,
        "relay draining 4 events per aggregate, concurrent writers (events/s)",
    ),
    "http.worklist_vs_peer": (
        ">=",
        3.0,
        "HTTP, a patient's worklist page: project ÷ plain DRF, requests/s at equal p99",
    ),
    "http.prescription_vs_peer": (">=", 2.0, "HTTP, one prescription's rows: project ÷ plain DRF"),
    "http.worklist_vs_bare": (">=", 0.5, "HTTP, worklist page: project ÷ bare WSGI handler (same SQL, same JSON)"),
    "http.prescription_vs_bare": (">=", 0.5, "HTTP, one prescription's rows: project ÷ bare handler"),
    "http.document_vs_bare": (">=", 0.5, "HTTP, the prescription document: project ÷ bare handler"),
    "http.create_vs_peer": (">=", 0.7, "HTTP create: the command ÷ a plain-DRF nested create (no rules/outbox/sync)"),
    "search.name_p99_ms": ("<=", 50, "search, a patient's name: p99 (ms)"),
    "search.name_speedup": (">=", 20, "search ÷ naive icontains over the write join, a name (p50 ratio)"),
    "search.typo_p99_ms": ("<=", 50, "search, a name with a typo: p99 (ms)"),
    "search.typo_speedup": (">=", 20, "search ÷ naive icontains, the typo query (p50 ratio)"),
    "search.faceted_p99_ms": ("<=", 50, "search, a medication filtered by specialty and status, with facets: p99 (ms)"),
    "search.faceted_speedup": (">=", 20, "search ÷ naive icontains, the filtered faceted query (p50 ratio)"),
    "lag.p50_ms": (None, None, "commit → row visible, celery mode, p50 (ms)"),
    "lag.p99_ms": ("<=", 250, "commit → row visible, celery mode, p99 (ms)"),
}

OTHER_ROWS = [
    ("write.command_trigger_per_s", "command function, trigger mode, 1 client (commands/s)"),
    ("write.command_nosync_per_s", "command function, sync off, 1 client (commands/s)"),
    ("write.raw_per_s", "raw SQL transaction, 1 client (transactions/s)"),
    ("write.celery_vs_nosync", "celery-mode (outbox only) commands/s ÷ sync off"),
    ("write.http_trigger_vs_nosync", "HTTP (test client) trigger ÷ sync off"),
    ("write.trigger_vs_nosync_4clients", "trigger ÷ sync off, 4 concurrent clients"),
    ("write.django_vs_raw_4clients", "command ÷ raw SQL, 4 concurrent clients"),
    ("write.http_gunicorn_per_s", "POST over gunicorn on loopback, 4 clients (requests/s)"),
    ("write.http_gunicorn_p99_ms", "POST over gunicorn, p99 (ms)"),
    ("read.patient_flat_vs_join_speedup", "join ÷ flat, a patient's 50 latest rows"),
    ("read.http_prescription_p50_ms", "GET itens?id_prescricao over gunicorn, p50 (ms)"),
    ("read.http_prescription_p99_ms", "GET itens?id_prescricao, p99 (ms)"),
    ("read.http_prescription_rps", "GET itens?id_prescricao, requests/s (4 clients)"),
    ("read.http_patient_p99_ms", "GET itens?id_paciente, p99 (ms)"),
    ("search.name_p50_ms", "search, a patient's name: p50 (ms)"),
    ("search.typo_p50_ms", "search, a name with a typo: p50 (ms)"),
    ("search.faceted_p50_ms", "search, filtered and faceted: p50 (ms)"),
    (
        "search.columns_us_per_document",
        "what the generated search columns and their indexes add per document written (µs)",
    ),
    ("rebuild.seconds", "rebuild_read_model wall time (s)"),
    ("rebuild.serial_seconds", "rebuild_read_model with the two tables built one after the other (s)"),
    ("rebuild.serial_vs_refresh_mv_serial", "serial rebuild ÷ the two views refreshed one after the other"),
    ("rebuild.vs_bare_insert_select", "rebuild ÷ bare INSERT … SELECT into the indexed table"),
    ("rebuild.reader_stall_ms", "worst reader latency during the rebuild (ms)"),
    ("rebuild.refresh_reader_stall_ms", "worst reader latency during REFRESH MATERIALIZED VIEW (ms)"),
    ("fanout.trigger_1k_ms", "rename a doctor shown by 1,000 rows, trigger mode (ms)"),
    ("fanout.celery_50k_ms", "same 50,000-row rename, celery mode: time to converge (ms)"),
    ("fanout.celery_1k_ms", "1,000-row rename, celery mode: time to converge (ms)"),
    ("relay.bare_claim_delete_per_s", "bare claim-and-delete loop in SQL (events/s)"),
    ("relay.vs_bare_claim_delete", "relay ÷ bare claim-and-delete"),
    ("projector.events_per_s", "Celery projector: burst of events that change rows, relayed and projected (events/s)"),
    ("lag.max_ms", "commit → row visible, max (ms)"),
    ("lag.commands_per_s", "achieved command rate during the lag run"),
    ("lag.p50_ms_at_50", "lag p50 at 50 commands/s (run when 200/s was not reached) (ms)"),
    ("lag.p99_ms_at_50", "lag p99 at 50 commands/s (ms)"),
    ("memory.web_peak_mib", "peak RSS, web (gunicorn, all processes) (MiB)"),
    ("memory.worker_peak_mib", "peak RSS, Celery worker (all processes) (MiB)"),
    ("memory.relay_peak_mib", "peak RSS, relay (MiB)"),
]


def status(key: str, value, unmet: dict | None = None) -> str:
    op, target, _ = TARGETS.get(key, (None, None, ""))
    if unmet and key in unmet:
        return f"NOT MET ({unmet[key]})"
    if value == PENDING:
        return "pending"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if op is None:
        return ""
    ok = value >= target if op == ">=" else value <= target
    return "met" if ok else "MISSED"


def _fmt(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write(ctx: Context, out_dir: Path, *, command: str, started: float, seconds: float) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for key in TARGETS:
        ctx.metrics.setdefault(key, None)
    when = dt.datetime.fromtimestamp(started, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    unmet = ctx.details.get("unmet", {})
    data = {
        **{k: _clean(v) for k, v in sorted(ctx.metrics.items())},
        "targets": {
            k: {"op": op, "target": t, "status": status(k, ctx.metrics.get(k), unmet), "what": what}
            for k, (op, t, what) in TARGETS.items()
        },
        "meta": {"command": command, "started": when, "seconds": round(seconds, 1), "config": asdict(ctx.cfg)},
        "notes": ctx.notes,
        "details": _clean(ctx.details),
    }
    (out_dir / "latest.json").write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    machine = ctx.details.get("environment", {}).get("machine", {})
    server = ctx.details.get("environment", {}).get("server", {})
    lines = [
        f"Produced by `{command}` on {when} in {seconds / 60:.1f} min "
        f"({ctx.cfg.items:,} item rows; {machine.get('cpus')} CPUs shared with other work: load average "
        f"{machine.get('loadavg_start')} at start, {machine.get('loadavg_end')} at the end; "
        f"PostgreSQL {server.get('server_version', '?')}, shared_buffers {server.get('shared_buffers', '?')}, "
        f"autovacuum {server.get('autovacuum', '?')}).",
        "",
        "| figure | measured | target | status |",
        "| --- | ---: | ---: | --- |",
    ]
    for key, (op, target, what) in TARGETS.items():
        value = ctx.metrics.get(key)
        goal = f"{op} {_fmt(target)}" if op else ""
        lines.append(f"| `{key}`: {what} | {_fmt(value)} | {goal} | {status(key, value, unmet)} |")
    lines += ["", "| other figure | measured |", "| --- | ---: |"]
    for key, what in OTHER_ROWS:
        if key in ctx.metrics:
            lines.append(f"| `{key}`: {what} | {_fmt(ctx.metrics[key])} |")
    lines += _http_table(ctx)
    per_config = ctx.details.get("write", {}).get("per_config")
    if per_config:
        lines += ["", "Write path, per configuration (median of rounds):", ""]
        lines += ["| kind / sync mode / clients | per s | p50 ms | p99 ms |", "| --- | ---: | ---: | ---: |"]
        for name, row in per_config.items():
            lines.append(f"| {name} | {_fmt(row['per_s'])} | {_fmt(row['p50_ms'])} | {_fmt(row['p99_ms'])} |")
    pending = ctx.details.get("pending")
    if pending:
        lines += ["", "Pending (the piece they need has not landed):", ""]
        lines += [f"- `{k}`: {why}" for k, why in pending.items()]
    if ctx.notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in ctx.notes]
    (out_dir / "latest.md").write_text("\n".join(lines) + "\n")


HTTP_CASES = {
    "worklist": "a patient's worklist page (`itens?id_paciente=`)",
    "prescription": "one prescription's rows (`itens?id_prescricao=`)",
    "document": "the prescription document",
    "create": "create a prescription (POST)",
}


def _http_table(ctx: Context) -> list[str]:
    """Each endpoint's capacity beside the peer and the limit, with the ratios and their targets."""
    m = ctx.metrics
    if not any(key.startswith("http.") for key in m):
        return []
    bound = ctx.details.get("http", {}).get("p99_bound_ms")
    lines = [
        "",
        f"HTTP, requests/s sustained with p99 ≤ {_fmt(bound)} ms (open loop, {ctx.cfg.clients} client processes, "
        f"keep-alive; gunicorn {ctx.cfg.web_workers} workers × 4 threads), p99 in ms:",
        "",
        "| endpoint | project | p99 | plain DRF | p99 | bare handler | p99 | ÷ plain DRF | ÷ bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def ratio_cell(key: str) -> str:
        if key not in m:
            return "—"
        op, target, _ = TARGETS.get(key, (None, None, ""))
        goal = f" ({op} {_fmt(target)}: {status(key, m[key])})" if op else ""
        return f"{_fmt(m[key])}{goal}"

    for case, what in HTTP_CASES.items():
        cells = []
        for side in ("project", "peer", "bare"):
            cells += [_fmt(m.get(f"http.{case}_{side}_rps")), _fmt(m.get(f"http.{case}_{side}_p99_ms"))]
        cells += [ratio_cell(f"http.{case}_vs_peer"), ratio_cell(f"http.{case}_vs_bare")]
        lines.append(f"| {what} | {' | '.join(cells)} |")
    return lines
