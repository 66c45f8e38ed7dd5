"""The replica bench: an embedded primary with 2 streaming replicas, gunicorn with 0, 1 and 2 of them.

1. Read throughput over HTTP: `clients` processes read random prescription
   documents from three gunicorns (Procfile settings: 2 workers x 4
   threads) that differ only in DATABASE_REPLICA_URLS (none, 1, 2), in
   alternating rounds; ratios against 0 replicas.
2. Read-your-writes: `pairs` create-then-read pairs with the returned token
   against the 2-replica site; stale reads counted (must be 0).
3. The token check per request, timed in a Django process (`probe`).
4. Replica lag under a write load of `lag_rate` commands/s: a sampler takes
   the primary's WAL position every 10 ms and times until each replica has
   replayed it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from bench import services
from bench.context import log, pct
from bench.replicas import load
from hospital.devserver import embedded
from hospital.devserver import replicas as embedded_replicas

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ("replica_1", "replica_2")


def _env(primary: str, replicas: list[str]) -> dict:
    return {
        **os.environ, "DATABASE_URL": primary, "DATABASE_REPLICA_URLS": ",".join(replicas), "DEBUG": "0",
        "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "600", "READ_MODEL_SYNC": "trigger",
        "DJANGO_SETTINGS_MODULE": "hospital.settings", "PYTHONPATH": str(ROOT),
    }  # fmt: skip


def _site(env: dict, log_dir: Path, name: str) -> tuple[services.Service, int]:
    port = services.free_port()
    service = services.Service(
        name,
        [sys.executable, "-m", "gunicorn", "hospital.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--no-control-socket", "--log-level", "warning"],
        env, log_dir,
    )  # fmt: skip
    services._wait_port(port, service.proc)
    return service, port


def ryw_pairs(port: int, writer: str, reader: str, pairs: int) -> dict:
    """`pairs` create-then-read pairs with the returned token; stale (not 200 or not the write) counted."""
    write, read = load.Client(port, writer), load.Client(port, reader)
    stale, latencies = [], []
    for n in range(pairs):
        horario = f"{n // 60 % 24:02d}:{n % 60:02d}"
        prescription_id, token = write.create(horario)
        t0 = time.perf_counter()
        status, _, body = read.call("GET", load.READ_PATH.format(id=prescription_id), headers={"X-Read-After": token})
        latencies.append(time.perf_counter() - t0)
        document = json.loads(body) if status == 200 else {}
        if document.get("medicamentos", [{}])[0].get("horario") != horario:
            stale.append((prescription_id, status))
    return {
        "pairs": pairs,
        "stale_reads": len(stale),
        "stale_examples": stale[:5],
        "token_read_p50_ms": round(pct(latencies, 50) * 1000, 2),
        "token_read_p99_ms": round(pct(latencies, 99) * 1000, 2),
    }


def _lag_sampler(primary: str, replicas: list[str], stop: threading.Event, samples: dict) -> None:
    with psycopg.connect(primary, autocommit=True) as source:
        conns = {alias: psycopg.connect(url, autocommit=True) for alias, url in zip(REPLICAS, replicas, strict=True)}
        while not stop.is_set():
            lsn = source.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
            t0, waiting = time.perf_counter(), set(conns)
            while waiting:
                for alias in list(waiting):
                    if conns[alias].execute("SELECT pg_last_wal_replay_lsn() >= %s", [lsn]).fetchone()[0]:
                        samples[alias].append(time.perf_counter() - t0)
                        waiting.discard(alias)
                time.sleep(0.0005)
            stop.wait(0.01)
        for conn in conns.values():
            conn.close()


def replica_lag(port: int, token: str, primary: str, replicas: list[str], rate: float, seconds: float) -> dict:
    samples = {alias: [] for alias in REPLICAS}
    stop = threading.Event()
    sampler = threading.Thread(target=_lag_sampler, args=(primary, replicas, stop, samples), daemon=True)
    start_at = time.time() + 2.0
    pool, result = load.write_load(port, token, rate=rate, clients=4, seconds=seconds, start_at=start_at)
    time.sleep(max(0.0, start_at - time.time()))
    sampler.start()
    sent = sum(result.get(seconds * 3 + 60))
    stop.set()
    sampler.join(30)
    pool.join()
    lag = {}
    for alias, values in samples.items():
        ms = [v * 1000 for v in values]
        lag[alias] = {"samples": len(ms), "p50_ms": round(pct(ms, 50), 2), "p99_ms": round(pct(ms, 99), 2),
                      "max_ms": round(max(ms), 2)}  # fmt: skip
    return {"offered_per_s": rate, "achieved_per_s": round(sent / seconds, 1), "replicas": lag}


def throughput(ports: dict[int, int], token: str, ids: list[int], clients: int, seconds: float) -> dict:
    """Rounds over the three sites in the order 0,1,2,2,1,0 (twice); medians and ratios against 0 replicas."""
    runs: dict[int, list[dict]] = {k: [] for k in ports}
    for k in [0, 1, 2, 2, 1, 0] * 2:
        result = load.read_throughput(ports[k], token, ids, clients=clients, seconds=seconds)
        log(f"  {k} replicas: {result}")
        runs[k].append(result)
    medians = {k: statistics.median(r["requests_per_s"] for r in runs[k]) for k in runs}
    return {
        "requests_per_s": medians,
        "ratio_1_vs_0": round(medians[1] / medians[0], 3),
        "ratio_2_vs_0": round(medians[2] / medians[0], 3),
        "errors": sum(r["errors"] for rs in runs.values() for r in rs),
        "rounds": runs,
    }


def probe(env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.replicas.probe"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(args) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    data_dir.chmod(0o755)
    log_dir = data_dir / "logs"
    log_dir.mkdir()
    sites = []
    try:
        primary = embedded.ensure_postgres(data_dir)
        replicas = embedded_replicas.ensure_replicas(data_dir, 2)
        log("migrating and seeding the bench database")
        services.run_manage(
            ["shell", "-c", "from django.core.management import call_command as c; c('migrate', verbosity=0); "
             "c('seed_demo', verbosity=0)"], _env(primary, []),
        )  # fmt: skip
        ports = {}
        for k in (0, 1, 2):
            service, ports[k] = _site(_env(primary, replicas[:k]), log_dir, f"web{k}")
            sites.append(service)
        writer = load.login(ports[2], "prescritor", "hospital-prescritor")
        reader = load.login(ports[2], "farmacia", "hospital-farmacia")
        results = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}
        log(f"read-your-writes: {args.pairs} create-then-read pairs on 2 replicas")
        results["ryw"] = ryw_pairs(ports[2], writer, reader, args.pairs)
        log(f"  {results['ryw']}")
        results["check"] = probe(_env(primary, replicas))
        log(f"  token check: {results['check']}")
        with psycopg.connect(primary, autocommit=True) as conn:
            ids = [row[0] for row in conn.execute("SELECT id_prescricao FROM vw_prescricoes_documentos")]
        log(f"read throughput: {args.clients} clients, {args.seconds}s rounds, {len(ids)} documents")
        results["read"] = throughput(ports, reader, ids, args.clients, args.seconds)
        log(f"replica lag under {args.lag_rate} commands/s for {args.lag_seconds}s")
        results["lag"] = replica_lag(ports[2], writer, primary, replicas, args.lag_rate, args.lag_seconds)
        log(f"  {results['lag']}")
        return results
    finally:
        for service in sites:
            service.stop()
        for alias in REPLICAS:
            embedded_replicas.stop_replica(data_dir, alias)
        embedded.stop_embedded(data_dir)
        subprocess.Popen(["rm", "-rf", "--", str(data_dir)], start_new_session=True)


def check(args) -> dict:
    """The done check against a running `make run REPLICAS=n`: pairs with the token, then plain reads."""
    writer = load.login(args.port, "prescritor", "hospital-prescritor")
    reader = load.login(args.port, "farmacia", "hospital-farmacia")
    result = ryw_pairs(args.port, writer, reader, args.pairs)
    client = load.Client(args.port, reader)
    for _ in range(50):
        client.call("GET", "/api/pharmacy/itens/?page_size=5")
    _, _, body = client.call("GET", "/api/pharmacy/status/")
    status = json.loads(body)
    result["status"] = {k: status[k] for k in ("replicas", "reads_served", "token_reads")}
    return result
