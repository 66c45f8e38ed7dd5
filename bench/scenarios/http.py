"""HTTP side by side: the project's endpoints, the plain-DRF peer and the bare-handler limit.

One gunicorn with the launcher's flags (`WEB_CONCURRENCY` workers, 4 threads
each) serves all three (`bench.peer.wsgi`), so they share the process, the
data and the database. Each endpoint's capacity is the highest offered rate
(open loop, `clients` client processes, keep-alive) that the server sustains
(≥ 95 % of it answered, every answer a 2xx) with p99 ≤ `http_p99_ms`: rates
double from 50/s until one fails, then bisect. The sides' searches take
their runs in turn (project, peer, bare, and again), so a slow or fast spell
of the machine falls on all of them. A rate that misses is run once more
before it counts as missed: the p99 of a few hundred requests is three or
four of them, so one stall of the machine (a checkpoint's writes, another
process) would otherwise stop the search at any side's first steps. Figures
are requests/s at that equal p99 bound, compared as ratios; before
measuring, each endpoint's body is checked against the others (same JSON).
"""

from __future__ import annotations

import json
import random
import time

from bench.context import Context, log, merge_http, pct
from bench.jobs import Picker
from bench.loadgen import build_request
from bench.scenarios.read import _active_prescriptions
from bench.services import gunicorn_like_launcher

PEER_TABLES = """
CREATE TABLE IF NOT EXISTS peer_prescricoes (
    id bigserial PRIMARY KEY,
    id_medico bigint NOT NULL REFERENCES medicos (id) DEFERRABLE INITIALLY DEFERRED,
    id_paciente bigint NOT NULL REFERENCES pacientes (id) DEFERRABLE INITIALLY DEFERRED,
    data_prescricao timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS peer_prescricoes_medico ON peer_prescricoes (id_medico);
CREATE INDEX IF NOT EXISTS peer_prescricoes_paciente ON peer_prescricoes (id_paciente);
CREATE TABLE IF NOT EXISTS peer_prescricao_medicamentos (
    id bigserial PRIMARY KEY,
    prescricao_id bigint NOT NULL REFERENCES peer_prescricoes (id) DEFERRABLE INITIALLY DEFERRED,
    medicamento_id bigint NOT NULL REFERENCES medicamentos (id) DEFERRABLE INITIALLY DEFERRED,
    horario time NOT NULL,
    dosagem varchar(100) NOT NULL);
CREATE INDEX IF NOT EXISTS peer_itens_prescricao ON peer_prescricao_medicamentos (prescricao_id);
CREATE INDEX IF NOT EXISTS peer_itens_medicamento ON peer_prescricao_medicamentos (medicamento_id);
"""  # what Django's migration of bench.peer.models would create

# case -> (project path, peer path, bare path), "{id}" filled per request
READ_CASES = {
    "prescription": ("/api/pharmacy/itens/?id_prescricao={id}", "/peer/itens/?id_prescricao={id}",
                     "/bare/itens/?id_prescricao={id}"),
    "worklist": ("/api/pharmacy/itens/?id_paciente={id}", "/peer/itens/?id_paciente={id}",
                 "/bare/itens/?id_paciente={id}"),
    "document": ("/api/pharmacy/prescricoes/{id}/", "/peer/prescricoes/{id}/", "/bare/prescricoes/{id}/"),
}  # fmt: skip
SIDES = ("project", "peer", "bare")
START_RATE = 50.0
BISECTIONS = 3


def _ids(ctx: Context, case: str, rng: random.Random, count: int) -> list[int]:
    if case == "worklist":
        return [rng.randint(1, ctx.cfg.pacientes) for _ in range(count)]
    return _active_prescriptions(ctx, count, rng)


def _get_requests(template: str, ids: list[int], token: str) -> list[bytes]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    return [build_request("GET", template.format(id=i), headers) for i in ids]


def _post_requests(ctx: Context, path: str, seed: int, count: int) -> list[bytes]:
    picker = Picker(seed, **ctx.scale)
    headers = {"Authorization": f"Token {ctx.token}", "Content-Type": "application/json"}
    out = []
    for _ in range(count):
        medico, paciente, itens = picker.pick()
        body = {"id_medico": medico, "id_paciente": paciente,
                "medicamentos": [{"id_medicamento": m, "horario": h, "dosagem": d} for m, h, d in itens]}  # fmt: skip
        out.append(build_request("POST", path, headers, json.dumps(body).encode()))
    return out


def _step_seconds(ctx: Context, rate: float) -> float:
    """Long enough for `http_min_samples` requests, so a p99 is not just the slowest of a handful (at most 10 s)."""
    return min(10.0, max(ctx.cfg.http_seconds, ctx.cfg.http_min_samples / rate))


def _measure(ctx: Context, port: int, requests: list[list[bytes]], rate: float) -> dict:
    clients = len(requests)
    results = ctx.pool.run(
        "open_loop", workers=clients, start_at=time.monotonic() + 0.3,
        per_worker=lambda i: {"requests": requests[i]},
        port=port, rate=rate / clients, seconds=_step_seconds(ctx, rate),
    )  # fmt: skip
    latencies, statuses = merge_http(results)
    offered = sum(r["offered"] for r in results)
    good = sum(n for code, n in statuses.items() if 200 <= int(code) < 300)
    return {
        "offered_rps": rate,
        "rps": good / max(r["seconds"] for r in results),
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
        "complete": good >= 0.95 * offered and good == len(latencies),
        "statuses": statuses,
        "errors": [e for r in results for e in r["errors"]][:3],
    }


def _search(ctx: Context, name: str):
    """One side's capacity search (doubling, then bisection) as a generator.

    It yields the rate to run next and is sent that run's result; it returns
    the highest sustained rate's run, with every run in `steps`.
    """
    bound = ctx.cfg.http_p99_ms
    steps = []

    def met(run: dict) -> bool:
        steps.append({k: (round(v, 2) if isinstance(v, float) else v) for k, v in run.items()})
        return run["complete"] and run["p99_ms"] <= bound

    def sustained(rate: float):
        """The run at `rate` that met the bound, of at most two; None when both missed."""
        for _ in range(2):
            run = yield rate
            if met(run):
                return run
        return None

    if not ctx.cfg.quick:
        yield START_RATE  # warm-up: connections, lazy imports, caches; not counted
    best, rate = None, START_RATE
    while rate <= ctx.cfg.http_max_rate:
        run = yield from sustained(rate)
        if run is None:
            break
        best, rate = run, rate * 2
    low, high = (best["offered_rps"] if best else 0.0), rate
    for _ in range(BISECTIONS if rate <= ctx.cfg.http_max_rate else 0):
        middle = (low + high) / 2
        if middle < 1:
            break
        run = yield from sustained(middle)
        if run is not None:
            best, low = run, middle
        else:
            high = middle
    found = best or {"rps": 0.0, "p99_ms": float("nan"), "p50_ms": float("nan")}
    log(f"  {name}: {found['rps']:.0f} requests/s at p99 {found['p99_ms']:.1f} ms")
    return {"rps": found["rps"], "p99_ms": found["p99_ms"], "p50_ms": found["p50_ms"], "steps": steps}


def _capacities(ctx: Context, port: int, requests: dict[str, list[list[bytes]]], case: str) -> dict[str, dict]:
    """Each side's capacity, their searches' runs taken in turn (one side's, then the next's, and again).

    Side by side in time, a slower or faster spell of the machine falls on
    every side alike instead of on whichever side was running then.
    """
    searches = {side: _search(ctx, f"{case} {side}") for side in requests}
    due = {side: next(search) for side, search in searches.items()}
    found = {}
    while due:
        for side in list(due):
            run = _measure(ctx, port, requests[side], due[side])
            try:
                due[side] = searches[side].send(run)
            except StopIteration as done:
                found[side] = done.value
                del due[side]
    return found


def _same_bodies(ctx: Context, port: int, case: str, ids: list[int]) -> list[str]:
    """Differences between the three sides' JSON for a few ids (empty: all equal)."""
    problems = []
    for some_id in ids:
        bodies = {}
        for side, template in zip(SIDES, READ_CASES[case], strict=True):
            status, body = ctx.pool.run("http_get", path=template.format(id=some_id), token=ctx.token, port=port)[0]
            bodies[side] = (status, json.loads(body) if body else None)
        if bodies["project"][0] != 200 or bodies["peer"] != bodies["project"] or bodies["bare"] != bodies["project"]:
            problems.append(
                f"{case} {some_id}: " + "; ".join(f"{s} {b[0]} {str(b[1])[:200]}" for s, b in bodies.items())
            )
    return problems


def run(ctx: Context) -> None:
    ctx.conn.execute(PEER_TABLES)
    env = dict(ctx.env, DJANGO_SETTINGS_MODULE="bench.peer.settings")
    web, port = gunicorn_like_launcher(env, ctx.cfg.web_workers, ctx.log_dir, "bench.peer.wsgi:application")
    rng = random.Random(17)
    clients = ctx.cfg.clients
    table = {}
    try:
        for case, templates in READ_CASES.items():
            problems = _same_bodies(ctx, port, case, _ids(ctx, case, rng, 5))
            if problems:
                ctx.notes.append(f"http {case}: the three bodies differ: {problems[0]}")
            ids = [_ids(ctx, case, rng, 400) for _ in range(clients)]
            requests = {
                side: [_get_requests(template, part, ctx.token) for part in ids]
                for side, template in zip(SIDES, templates, strict=True)
            }
            table[case] = _capacities(ctx, port, requests, case)
        count = int(ctx.cfg.http_max_rate * ctx.cfg.http_seconds)
        writes = (("project", "/api/commands/prescricoes/"), ("peer", "/peer/prescricoes/"))
        requests = {
            side: [_post_requests(ctx, path, 1000 * i + n, count) for i in range(clients)]
            for n, (side, path) in enumerate(writes)
        }
        table["create"] = _capacities(ctx, port, requests, "create")
    finally:
        web.stop()
    _report(ctx, table)


def _report(ctx: Context, table: dict) -> None:
    for case, sides in table.items():
        for side, found in sides.items():
            ctx.put(f"http.{case}_{side}_rps", found["rps"])
            ctx.put(f"http.{case}_{side}_p99_ms", found["p99_ms"])
        project = sides["project"]["rps"]
        if sides["peer"]["rps"]:
            ctx.put(f"http.{case}_vs_peer", project / sides["peer"]["rps"])
        if "bare" in sides and sides["bare"]["rps"]:
            ctx.put(f"http.{case}_vs_bare", project / sides["bare"]["rps"])
    ctx.detail(
        "http", "steps", {case: {side: f["steps"] for side, f in sides.items()} for case, sides in table.items()}
    )
    ctx.detail("http", "p99_bound_ms", ctx.cfg.http_p99_ms)
    ctx.detail("http", "clients", ctx.cfg.clients)
