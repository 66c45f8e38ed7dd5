"""1. Write path: create a prescription with 3 items.

Configurations (kind × sync mode × clients), alternated over `rounds` rounds
of `seconds` each; the median round counts:

- kind `command`: `prescriptions.commands.create_prescription` in a Django process;
- kind `http_inproc`: POST /api/commands/prescricoes/ through Django's test client;
- kind `raw`: the same transaction (prescription + 3 items + outbox row) in
  plain SQL, psycopg 3, prepared statements: the physical limit;
- kind `http`: a real gunicorn on loopback (bounded request count).

Modes: `trigger` (read-model triggers on), `celery` (outbox only: the triggers
stand down), `nosync` (the read-model triggers disabled: the baseline).

Every mode starts from the same vacuumed tables: the earlier scenarios (the
fan-out's renames above all) leave dead rows behind, and an autovacuum of them
during some rounds and not others would weigh on one mode's figure alone.
"""

from __future__ import annotations

import time

from bench import db
from bench.context import Context, log, median, pct
from outbox import queries


def set_mode(ctx: Context, mode: str) -> None:
    triggers = ctx.features["read_model_triggers"]
    db.set_triggers(ctx.conn, triggers, enabled=mode != "nosync")
    if ctx.features["sync_mode"]:
        db.set_sync_mode(ctx.conn, "celery" if mode == "celery" else "trigger")


def modes_available(ctx: Context) -> list[str]:
    modes = ["nosync"]
    if ctx.features["read_model_triggers"]:
        modes.append("trigger")
    if ctx.features["sync_mode"]:
        modes.append("celery")
    return modes


def _measure(ctx: Context, kind: str, mode: str, clients: int, seed: int) -> dict:
    set_mode(ctx, mode)
    job = {"command": "write_command", "http_inproc": "write_http_inproc"}.get(kind, "write_raw")
    extra = {}
    if kind == "http_inproc":
        extra = {"token": ctx.token}
    elif kind.startswith("raw"):
        extra = {"url": ctx.url, "durable": kind == "raw_durable"}
    start_at = time.monotonic() + 0.3
    results = ctx.pool.run(
        job, workers=clients, per_worker=lambda i: {"seed": seed * 100 + i},
        seconds=ctx.cfg.seconds, start_at=start_at, scale=ctx.scale, **extra,
    )  # fmt: skip
    count = sum(r["count"] for r in results)
    wall = max(r["seconds"] for r in results)
    latencies = [x for r in results for x in r["latencies"]]
    return {"per_s": count / wall, "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000}


def _vacuum(ctx: Context) -> None:
    """The tables the write scenario writes, vacuumed and analyzed (see the module doc)."""
    for table in (*db.WRITE_TABLES, db.FLAT_TABLE, db.DOC_TABLE, queries.TABLE):
        ctx.conn.execute(f"VACUUM ANALYZE {table}")


def run(ctx: Context, web_port: int | None) -> None:
    _vacuum(ctx)
    modes = modes_available(ctx)
    raw_mode = "trigger" if "trigger" in modes else "nosync"
    many = ctx.cfg.clients
    # Ratio partners run back to back (the machine's load drifts minute to minute).
    configs = [("command", m, 1) for m in ("trigger", "nosync", "celery") if m in modes]
    configs += [("raw", raw_mode, 1), ("raw", "nosync", 1), ("raw_durable", raw_mode, 1)]
    configs += [("http_inproc", m, 1) for m in ("trigger", "nosync", "celery") if m in modes]
    configs += [("command", m, many) for m in ("trigger", "nosync") if m in modes]
    configs.append(("raw", raw_mode, many))
    configs = list(dict.fromkeys(configs))
    samples: dict[tuple, list[dict]] = {c: [] for c in configs}
    for r in range(ctx.cfg.rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for kind, mode, clients in order:
            samples[(kind, mode, clients)].append(_measure(ctx, kind, mode, clients, seed=r * 1000 + len(samples)))
        log(f"  write round {r + 1}/{ctx.cfg.rounds} done")
    table = {}
    for (kind, mode, clients), runs in samples.items():
        table[f"{kind}/{mode}/{clients}"] = {
            "per_s": round(median([s["per_s"] for s in runs]), 1),
            "p50_ms": round(median([s["p50_ms"] for s in runs]), 2),
            "p99_ms": round(median([s["p99_ms"] for s in runs]), 2),
            "rounds": [round(s["per_s"], 1) for s in runs],
        }
    ctx.detail("write", "per_config", table)

    def per_s(kind, mode, clients=1):
        row = table.get(f"{kind}/{mode}/{clients}")
        return row["per_s"] if row else None

    def ratio(a: tuple, b: tuple):
        """Median over rounds of the per-round ratio (each round's pair ran minutes apart at most)."""
        if a not in samples or b not in samples:
            return None
        return median([x["per_s"] / y["per_s"] for x, y in zip(samples[a], samples[b], strict=True)])

    if "trigger" in modes:
        ctx.put("write.command_trigger_per_s", per_s("command", "trigger"))
        ctx.put("write.trigger_vs_nosync", ratio(("command", "trigger", 1), ("command", "nosync", 1)))
        ctx.put("write.django_vs_raw", ratio(("command", "trigger", 1), ("raw", "trigger", 1)))
        ctx.put("write.http_trigger_vs_nosync", ratio(("http_inproc", "trigger", 1), ("http_inproc", "nosync", 1)))
        ctx.put(
            f"write.trigger_vs_nosync_{many}clients",
            ratio(("command", "trigger", many), ("command", "nosync", many)),
        )
        ctx.put(f"write.django_vs_raw_{many}clients", ratio(("command", "trigger", many), ("raw", "trigger", many)))
        ctx.put("write.raw_trigger_vs_nosync", ratio(("raw", "trigger", 1), ("raw", "nosync", 1)))
    else:
        ctx.pending(["write.trigger_vs_nosync", "write.django_vs_raw"], "read-model triggers not migrated (issue 3)")
    ctx.put("write.command_nosync_per_s", per_s("command", "nosync"))
    ctx.put("write.raw_per_s", per_s("raw", raw_mode))
    ctx.put("write.raw_durable_per_s", per_s("raw_durable", raw_mode))
    if "celery" in modes:
        ctx.put("write.celery_vs_nosync", ratio(("command", "celery", 1), ("command", "nosync", 1)))
    else:
        ctx.pending(["write.celery_vs_nosync"], "sync-mode switch (outbox_sync_state) not migrated (issue 4)")
    _gunicorn(ctx, web_port, modes)
    set_mode(ctx, "trigger" if "trigger" in modes else "nosync")


def _gunicorn(ctx: Context, port: int | None, modes: list[str]) -> None:
    if port is None:
        ctx.pending(["write.http_gunicorn_per_s"], "web server did not start")
        return
    mode = "trigger" if "trigger" in modes else "nosync"
    set_mode(ctx, mode)
    clients = ctx.cfg.clients
    per = max(1, ctx.cfg.http_requests // clients)
    start_at = time.monotonic() + 0.3
    results = ctx.pool.run(
        "write_http", workers=clients, per_worker=lambda i: {"seed": 9000 + i},
        requests=per, start_at=start_at, scale=ctx.scale, token=ctx.token, port=port,
    )  # fmt: skip
    latencies = [x for r in results for x in r["latencies"]]
    wall = max(r["seconds"] for r in results)
    ctx.put("write.http_gunicorn_per_s", len(latencies) / wall)
    ctx.put("write.http_gunicorn_p50_ms", pct(latencies, 50) * 1000)
    ctx.put("write.http_gunicorn_p99_ms", pct(latencies, 99) * 1000)
    ctx.detail("write", "http_gunicorn", {"mode": mode, "clients": clients, "workers": ctx.cfg.web_workers})
