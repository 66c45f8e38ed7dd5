"""`python -m bench.dualwrite`: what a broker outage costs in dual-write mode and in the outbox (celery) mode.

On its own database `bench_dw_<pid>` and a private Redis (both removed at the
end), with a Celery worker and an outbox relay running with the shipped
defaults, `N` prescription commands per phase:

1. broker up: command latency in dual-write and in outbox mode (like-for-like);
2. broker refusing (Redis stopped): dual-write refuses every write (503,
   nothing stored) in how long; the outbox accepts every write;
3. broker hung (Redis SIGSTOPped): how long a dual-write command waits before
   its 503 (`BROKER_SOCKET_TIMEOUT`);
4. broker back: how long until the outbox has delivered and projected every
   write it accepted during the outage (the relay's backoff included).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench import db, services
from bench.context import log

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_DUALWRITE_COMMANDS", "100"))


class Redis:
    """A private redis-server on a fixed Unix socket, so it can be stopped and started again at the same URL."""

    def __init__(self):
        from hospital.devserver.embedded import _redis_binary

        self.dir = Path(tempfile.mkdtemp(prefix="bench_dw_redis_"))
        self.binary = str(_redis_binary())
        self.url = f"redis+socket://{self.dir / 'redis.sock'}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        sock = self.dir / "redis.sock"
        sock.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [self.binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not sock.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("redis did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _commands(world, mode: str) -> tuple[list[float], int, int]:
    """N creates in `mode`; (latencies in ms, accepted, refused)."""
    from django.conf import settings

    from outbox.dualwrite import WritesUnavailable
    from prescriptions import commands
    from prescriptions.rules import ItemInput

    settings.READ_MODEL_SYNC = mode
    medico, paciente, medicamento = world
    latencies, accepted, refused = [], 0, 0
    for k in range(N):
        t0 = time.perf_counter()
        try:
            commands.create_prescription(
                id_medico=medico, id_paciente=paciente, medicamentos=[ItemInput(medicamento, f"{k % 24:02d}:00", "1mg")]
            )
            accepted += 1
        except WritesUnavailable:
            refused += 1
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, accepted, refused


def _summary(latencies: list[float], accepted: int, refused: int) -> dict:
    return {"accepted": accepted, "refused": refused, "median_ms": round(statistics.median(latencies), 2)}


def _backlog() -> int:
    from outbox.positions import feed_status

    return feed_status().backlog


def _world():
    import datetime as dt

    from hospital import commands as master
    from hospital.specialties import Especialidade

    medico = master.register_doctor(nome="Dr. Bench", especialidade=Especialidade.CARDIOLOGIA, crm="CRM-BENCH")
    paciente = master.register_patient(nome="Paciente Bench", data_nascimento=dt.date(1980, 1, 1))
    medicamento = master.register_medication(nome="Bench")
    return medico.pk, paciente.pk, medicamento.pk


def _run(redis: Redis, env: dict, log_dir: Path) -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from outbox.sync_mode import set_mode

    set_mode("celery")  # dual-write and the outbox both leave projection to the worker
    world = _world()
    worker = services.celery_worker(env, 2, log_dir)
    relay = services.manage("relay", ["outbox_relay"], env, log_dir)
    try:
        results = {"commands_per_phase": N}
        results["up_dualwrite"] = _summary(*_commands(world, "dualwrite"))
        results["up_outbox"] = _summary(*_commands(world, "celery"))
        _wait(lambda: _backlog() == 0, 120)
        redis.stop()
        results["down_dualwrite"] = _summary(*_commands(world, "dualwrite"))
        results["down_outbox"] = _summary(*_commands(world, "celery"))
        redis.start()
        t0 = time.perf_counter()
        _wait(lambda: _backlog() == 0, 900)
        results["outbox_delivered_after_restart_s"] = round(time.perf_counter() - t0, 2)
        os.kill(redis.proc.pid, signal.SIGSTOP)
        try:
            hung = [_commands_once(world) for _ in range(2)]
        finally:
            os.kill(redis.proc.pid, signal.SIGCONT)
        results["hung_dualwrite_wait_s"] = round(statistics.median(hung), 2)
        return results
    finally:
        relay.stop()
        worker.stop()


def _commands_once(world) -> float:
    global N
    saved, N = N, 1
    try:
        latencies, _, refused = _commands(world, "dualwrite")
        assert refused == 1
        return latencies[0] / 1000
    finally:
        N = saved


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


def main() -> int:
    server = db.server_url()
    name = f"bench_dw_{os.getpid()}"
    url = db.create_database(server, name, synchronous_commit="off")
    redis = Redis()
    redis.start()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis.url, "READ_MODEL_SYNC": "dualwrite", "DEBUG": "0",
           "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "hospital.settings", "CONN_MAX_AGE": "600"}  # fmt: skip
    os.environ.update(env)
    log_dir = Path(tempfile.mkdtemp(prefix="bench_dw_logs_"))
    try:
        results = _run(redis, env, log_dir)
        (ROOT / "bench" / "results" / "dualwrite.json").write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
        log(f"logs in {log_dir}")
        return 0
    finally:
        redis.stop()
        from django.db import connections

        connections.close_all()
        db.drop_database(server, name)


if __name__ == "__main__":
    raise SystemExit(main())
