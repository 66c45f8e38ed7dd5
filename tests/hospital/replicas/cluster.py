"""A private PostgreSQL with two streaming replicas, and web stacks on it, for the replica tests.

The suite's own database (DATABASE_URL: in CI the machine's PostgreSQL 15 on
TCP) is not ours to reconfigure, so these tests start an embedded primary and
two hot-standby replicas (`hospital.devserver.replicas`, the same binaries
`make run REPLICAS=n` uses) on Unix sockets in a temporary folder, migrate
and seed it once, and talk to gunicorn processes serving it over HTTP: the
processes decide the routing, so only their answers and the status counters
show where each read went. Every setting is the shipped default.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from hospital.devserver import embedded
from hospital.devserver import replicas as embedded_replicas

ROOT = Path(__file__).resolve().parents[3]
REPLICAS = ("replica_1", "replica_2")


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: dict | list | None


@dataclass
class Site:
    """One web stack (gunicorn, plus relay and worker in celery mode) on one database of the cluster."""

    port: int
    tokens: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def request(self, method: str, path: str, *, user: str, body=None, headers=None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = {"Authorization": f"Token {self.tokens[user]}", **(headers or {})}
            payload = None if body is None else json.dumps(body)
            if payload is not None:
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=sent)
            raw = conn.getresponse()
            data = raw.read()
            got = {k.lower(): v for k, v in raw.getheaders()}
            parsed = json.loads(data) if data and "json" in got.get("content-type", "") else None
            return Response(raw.status, got, parsed)
        finally:
            conn.close()

    def create(self, horario: str = "08:00") -> Response:
        """A prescription by the demo's first doctor for its first patient (ids 1 of `seed_demo`)."""
        body = {"id_medico": 1, "id_paciente": 1, "medicamentos": [{"id_medicamento": 1, "horario": horario,
                                                                      "dosagem": "1 comprimido"}]}  # fmt: skip
        response = self.request("POST", "/api/commands/prescricoes/", user="prescritor", body=body)
        assert response.status == 201, response
        return response

    def document(self, prescription_id: int, token: str | None = None) -> Response:
        headers = {"X-Read-After": token} if token else {}
        return self.request("GET", f"/api/pharmacy/prescricoes/{prescription_id}/", user="farmacia", headers=headers)

    def status(self) -> dict:
        response = self.request("GET", "/api/pharmacy/status/", user="farmacia")
        assert response.status == 200, response
        return response.body

    def replica(self, alias: str) -> dict:
        return next(r for r in self.status()["replicas"] if r["alias"] == alias)

    def stop(self) -> None:
        """Kill every process of the site (throwaway servers: no graceful shutdown to wait for)."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Cluster:
    """The embedded primary and its replicas under one temporary data folder."""

    def __init__(self):
        self.data_dir = Path(tempfile.mkdtemp(prefix="hospital-replicas-"))
        self.data_dir.chmod(0o755)
        with _unrecorded():
            self.primary_url = embedded.ensure_postgres(self.data_dir)
            self.replica_urls = embedded_replicas.ensure_replicas(self.data_dir, len(REPLICAS))
        self.broker_url: str | None = None

    def url(self, base: str, database: str) -> str:
        return base.replace(f"/{embedded.DATABASE_NAME}?", f"/{database}?")

    def env(self, database: str, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url(self.primary_url, database),
            "DATABASE_REPLICA_URLS": ",".join(self.url(u, database) for u in self.replica_urls),
            "DJANGO_SETTINGS_MODULE": "hospital.settings",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "0",
            **extra,
        }

    def manage(self, database: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(database), capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def primary(self, database: str = embedded.DATABASE_NAME) -> psycopg.Connection:
        return psycopg.connect(self.url(self.primary_url, database), autocommit=True)

    def replica(self, alias: str, database: str = embedded.DATABASE_NAME) -> psycopg.Connection:
        return psycopg.connect(self.url(self.replica_urls[REPLICAS.index(alias)], database), autocommit=True)

    def tokens(self, database: str) -> dict[str, str]:
        with self.primary(database) as conn:
            rows = conn.execute(
                "SELECT u.username, t.key FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id"
            ).fetchall()
        return dict(rows)

    def clone(self, template: str, database: str) -> None:
        with self.primary() as conn:
            conn.execute(f"CREATE DATABASE {database} TEMPLATE {template}")

    def start_site(self, database: str, *, celery: bool = False, **settings: str) -> Site:
        port = _free_port()
        env = self.env(database, READ_MODEL_SYNC="celery" if celery else "trigger", **settings)
        if celery:
            with _unrecorded():
                self.broker_url = self.broker_url or embedded.ensure_redis(self.data_dir)
            env["REDIS_URL"] = self.broker_url
        argv = [sys.executable, "-m", "gunicorn", "hospital.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--threads", "4", "--graceful-timeout", "2", "--no-control-socket",
                "--log-level", "warning"]  # fmt: skip
        commands = [argv]
        if celery:
            commands += [
                [sys.executable, "manage.py", "outbox_relay"],
                [sys.executable, "-m", "celery", "-A", "hospital", "worker", "-c", "1", "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
            ]  # fmt: skip
        site = Site(port, self.tokens(database))
        log = open(self.data_dir / f"{database}.log", "ab")  # noqa: SIM115 -- lives as long as the processes
        for command in commands:
            site.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            )  # fmt: skip
        wait_until(lambda: _listening(port), 60, f"gunicorn on {port}")
        return site

    def wait_replayed(self, database: str = embedded.DATABASE_NAME) -> None:
        """Until every replica has replayed the primary's current WAL position."""
        with self.primary(database) as conn:
            lsn = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        for alias in REPLICAS:
            with self.replica(alias, database) as conn:
                wait_until(
                    lambda c=conn: c.execute("SELECT pg_last_wal_replay_lsn() >= %s", [lsn]).fetchone()[0],
                    30,
                    f"{alias} to replay {lsn}",
                )

    def stop(self) -> None:
        """Immediate shutdown of every server of the cluster (its folder is deleted: no checkpoint needed)."""
        pgdatas = [embedded_replicas.replica_dir(self.data_dir, alias) for alias in REPLICAS]
        pids = []
        for pgdata in [*pgdatas, self.data_dir / "postgres"]:
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                pids.append(int((pgdata / "postmaster.pid").read_text().split()[0]))
                os.kill(pids[-1], signal.SIGQUIT)
        for pid in pids:
            embedded._wait_gone(pid, 10)
        embedded.stop_redis(self.data_dir)
        # Three data folders take seconds to delete on this disk: let a detached `rm` do it.
        subprocess.Popen(["rm", "-rf", "--", str(self.data_dir)], start_new_session=True)


@contextlib.contextmanager
def _unrecorded():
    """These servers belong to the test, not to this process: keep them out of `started` (what a launcher stops)."""
    before = set(embedded.started), set(embedded_replicas.started)
    try:
        yield
    finally:
        embedded.started.intersection_update(before[0])
        embedded_replicas.started.intersection_update(before[1])


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False
