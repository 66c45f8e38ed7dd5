"""`python -m bench`: create a bench database, load data in SQL, run the scenarios, report.

Every figure that matters is a ratio against a baseline measured in the same
run (the machine is shared and noisy). Pieces of the project that have not
landed yet are reported as "pending" instead of failing the run.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import db, report
from bench.config import Config, parse_args
from bench.context import Context, log
from bench.pool import Pool
from bench.sql import generation, reset_sequences

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("rebuild", "read", "http", "search", "fanout", "write", "async")


def _django_env(url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        READ_MODEL_SYNC="trigger",
        DEBUG="0",  # DEBUG=1 keeps every SQL query in memory: not what production runs
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="hospital.settings",
        CONN_MAX_AGE="600",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _features(ctx: Context) -> dict:
    conn = ctx.conn
    return {
        "commands": ctx.pool.run("commands_available")[0],
        "flat_table": db.table_exists(conn, db.FLAT_TABLE),
        "doc_table": db.table_exists(conn, db.DOC_TABLE),
        "read_model_triggers": db.read_model_triggers(conn),
        "sync_mode": db.sync_mode_supported(conn),
    }


def _generate(ctx: Context) -> None:
    conn = ctx.conn
    with db.user_triggers_off(conn):
        for label, statement in generation(ctx.cfg):
            t0 = time.perf_counter()
            conn.execute(statement)
            log(f"  generated {label} in {time.perf_counter() - t0:.1f}s")
        for statement in reset_sequences():
            conn.execute(statement)
    conn.execute("VACUUM ANALYZE")
    ctx.scale = {
        "medicos": ctx.cfg.medicos,
        "pacientes": ctx.cfg.pacientes,
        "medicamentos": ctx.cfg.medicamentos,
        "items": ctx.cfg.items_per_prescription,
    }


def _selected(cfg: Config) -> set[str]:
    chosen = {s.strip() for s in cfg.only.split(",") if s.strip()}
    return chosen or set(SCENARIOS)


def _guard(ctx: Context, name: str, fn, *args) -> None:
    log(f"scenario {name}")
    t0 = time.perf_counter()
    try:
        fn(ctx, *args)
    except Exception:
        tb = traceback.format_exc()
        ctx.details.setdefault("errors", {})[name] = tb[-3000:]
        ctx.notes.append(f"scenario {name} failed: {tb.strip().splitlines()[-1]}")
        log(f"  scenario {name} FAILED:\n{tb}")
    ctx.detail("timing", f"{name}_s", round(time.perf_counter() - t0, 1))


def main(argv: list[str] | None = None) -> int:
    """Run the bench: its own database, the data, the chosen scenarios in order, the report.

    One function although long: the scenarios' order and what `finally` stops and drops (servers,
    worker pool, database) read top to bottom in one place.
    """
    cfg = parse_args(argv)
    from bench import services
    from bench.scenarios import asyncmode, fanout, http, read, rebuild, search, write

    started = time.time()
    load_start = os.getloadavg()
    server = db.server_url()
    name = f"bench_{os.getpid()}"
    log(f"creating database {name}")
    url = db.create_database(server, name, synchronous_commit=cfg.synchronous_commit)
    env = _django_env(url)
    out_dir = Path(cfg.out_dir) if cfg.out_dir else ROOT / "bench" / "results"
    log_dir = Path(tempfile.mkdtemp(prefix="bench_logs_"))
    pool = None
    web = None
    redis = None
    ctx = None
    try:
        if "async" in _selected(cfg):
            # A private broker for every process of the run: no other checkout's worker sees our messages.
            redis, env["REDIS_URL"] = services.redis_server(log_dir)
        pool = Pool(max(cfg.clients, 2), env)
        conn = db.connect(url)
        ctx = Context(cfg=cfg, url=url, env=env, conn=conn, pool=pool, log_dir=log_dir)
        log("migrating")
        pool.run("migrate")
        ctx.features = _features(ctx)
        found = ctx.features
        log(
            f"features: flat={found['flat_table']} docs={found['doc_table']} "
            f"read-model triggers={len(found['read_model_triggers'])} sync_mode={found['sync_mode']} "
            f"rebuild={'rebuild_read_model' in found['commands']} relay={'outbox_relay' in found['commands']}"
        )
        log(f"generating {cfg.items} items in SQL")
        t0 = time.perf_counter()
        _generate(ctx)
        ctx.detail("timing", "generate_s", round(time.perf_counter() - t0, 1))
        ctx.token = pool.run("setup_user")[0]
        chosen = _selected(cfg)
        web_port = None
        if chosen & {"read", "write"}:
            try:
                web, web_port = services.gunicorn(env, cfg.web_workers, log_dir)
            except Exception as exc:
                ctx.notes.append(f"gunicorn did not start: {exc}")
        if "rebuild" in chosen:
            _guard(ctx, "rebuild", rebuild.run)
        elif ctx.features["flat_table"]:
            rebuild._fill_directly(ctx, "pharmacy_fonte_itens", "pharmacy_fonte_documentos")
        if "read" in chosen:
            _guard(ctx, "read", read.run_sql)
            _guard(ctx, "read_http", read.run_http, web_port)
        if "search" in chosen:
            _guard(ctx, "search", search.run)
        if "http" in chosen:
            _guard(ctx, "http", http.run)
        if "fanout" in chosen:
            _guard(ctx, "fanout", fanout.run_trigger)
        if "write" in chosen:
            _guard(ctx, "write", write.run, web_port)
        if web is not None:
            ctx.detail("memory", "web_during_sync_benchmarks", services.peak_rss_mib(web.pid))
            web.stop()
            web = None
        if "async" in chosen:
            _guard(ctx, "async", asyncmode.run)
        ctx.detail("environment", "server", db.server_settings(conn))
        conn.close()
    finally:
        if web is not None:
            web.stop()
        if pool is not None:
            pool.close()
        if redis is not None:
            redis.stop()
        if cfg.keep_db:
            log(f"keeping database {name} ({url})")
        else:
            db.drop_database(server, name)
            log(f"dropped database {name}")
    if ctx is None:
        return 1
    ctx.detail(
        "environment",
        "machine",
        {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "database": "DATABASE_URL server" if os.environ.get("DATABASE_URL") else "embedded PostgreSQL",
        },
    )
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    report.write(ctx, out_dir, command=command.strip(), started=started, seconds=time.time() - started)
    log(f"wrote {out_dir / 'latest.json'} and {out_dir / 'latest.md'} in {time.time() - started:.0f}s")
    return 0
