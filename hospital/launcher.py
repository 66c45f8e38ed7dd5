"""The `make run` stack: migrate, seed the demo, then run and supervise every process.

`manage.py runstack` calls `run()`. Loading the settings has already started
the embedded PostgreSQL (and, in celery mode, Redis) when `DATABASE_URL` /
`REDIS_URL` are unset; `hospital.embedded.started` says which of them this
process started, and only those are stopped on the way out.

Processes, each in its own session so that the terminal's Ctrl-C reaches only
this supervisor, which then stops them in order (SIGTERM, then SIGKILL after
a grace period):

- `web`: gunicorn serving `hospital.wsgi` on http://$HOST:$PORT. Gunicorn,
  not runserver, because it is what the Procfile deploys (several workers, so
  a read that waits for the projection never blocks the admin) and it does
  not reload or fork twice behind the supervisor's back. Its WSGI app is
  wrapped in Django's static-files handler (what runserver uses), so the
  admin has its CSS without collectstatic or a separate web server.
  Its access log leaves out static files (`hospital.access_log`).
Before serving, the database is switched to READ_MODEL_SYNC when that is set
(`manage.py switch_sync_mode`, a no-op when they match); unset, the
database's mode stays, and it decides which workers run.

- `relay` (`manage.py outbox_relay`) and `worker` (`celery -A hospital
  worker`): only when the database is in celery mode (the worker alone with
  READ_MODEL_SYNC=dualwrite, whose commands publish themselves).

A process that exits on its own (crash, OOM kill, `kill -9`) is restarted
while the others keep serving: what is left of its process group (a killed
Celery worker's pool children) is killed first, then it starts again after a
backoff of 1 s doubling up to `RESTART_BACKOFF_MAX` (back to 1 s once it has
stayed up `STABLE_SECONDS`), each step logged. Nothing is lost meanwhile: a
killed relay's leases expire (`OUTBOX_LEASE`) and a killed worker's messages
are republished by the relay (`OUTBOX_REPUBLISH_AFTER`).

With `REPLICAS=n` (`make run REPLICAS=1`), n embedded streaming replicas
(`hospital.embedded_replicas`) start beside the embedded primary before the
processes, which get them as DATABASE_REPLICA_URLS; they stop on the way out.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connections

from hospital import embedded, embedded_replicas

GRACE_SECONDS = 10
RESTART_BACKOFF_MAX = 30.0
STABLE_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1


def static_application():
    """Gunicorn app factory: the project's WSGI app that also serves static files (demo only)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    from hospital.wsgi import application

    return StaticFilesHandler(application)


def web_metrics_dir() -> Path:
    """An empty folder for the web's multiprocess metrics (one file per gunicorn worker; see monitoring)."""
    folder = Path(settings.DATA_DIR) / "metrics" / "web"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to the child if the supervisor dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of the stack's environment
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0  # the next restart's delay; 0 until the first crash
    restart_at: float | None = None  # when a crashed child is due to start again


@dataclass
class Stack:
    host: str
    port: int
    out: TextIO = sys.stdout
    children: list[Child] = field(default_factory=list)
    stopping: bool = False
    env: dict[str, str] = field(default_factory=dict, repr=False)
    mode: str = "trigger"  # the database's sync mode, read once it is final (see run())

    # -- setup

    def child_env(self) -> dict[str, str]:
        """Children reach the same servers as this process without probing for them again."""
        env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="hospital.settings")
        if not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = embedded.ensure_postgres(settings.DATA_DIR)
        if self.mode == "celery":
            env["REDIS_URL"] = (
                embedded.ensure_redis(settings.DATA_DIR) if not os.environ.get("REDIS_URL") else settings.REDIS_URL
            )
        return env

    def plan(self) -> list[Child]:
        python, manage = sys.executable, str(settings.BASE_DIR / "manage.py")
        children = [
            Child(
                "web",
                [
                    python, "-m", "gunicorn", "hospital.launcher:static_application()",
                    "--bind", f"{self.host}:{self.port}",
                    "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
                    "--threads", "4",
                    "--graceful-timeout", "5",
                    "--no-control-socket",  # its default path is per user, shared by every checkout
                    "--access-logfile", "-",
                    "--logger-class", "hospital.access_log.QuietStaticLogger",
                ],
                env={"PROMETHEUS_MULTIPROC_DIR": str(web_metrics_dir())},  # /metrics sums every gunicorn worker
            ),
        ]  # fmt: skip
        if self.mode == "celery":
            if settings.READ_MODEL_SYNC != "dualwrite":  # dual-write publishes from the commands: no relay
                children.append(Child("relay", [python, manage, "outbox_relay"]))
            children.append(Child("worker", [python, "-m", "celery", "-A", "hospital", "worker", "--loglevel", "INFO"]))
        return children

    def check_port_free(self) -> None:
        with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError as error:
                raise SystemExit(
                    f"Cannot serve on {self.host}:{self.port}: {error.strerror}. "
                    "Stop what uses it or pick another port: make run PORT=8001"
                ) from error

    # -- run

    def start(self, env: dict[str, str]) -> None:
        self.env = env
        for child in self.plan():
            self.say(f"starting {child.name}: {' '.join(child.argv[1:])}")
            self.spawn(child)
            self.children.append(child)

    def spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.argv,
            env={**self.env, **child.env},
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def wait_for_web(self, timeout: float = 30) -> None:
        """Return once the web process accepts connections (so the banner comes after its log lines)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.5):
                return
            if any(child.process.poll() is not None for child in self.children):
                return
            time.sleep(0.2)

    def wait(self) -> int:
        """Supervise (restart what crashes) until a signal asks to stop; exit status 0."""
        while not self.stopping:
            self.supervise()
            time.sleep(0.2)
        return 0

    def supervise(self) -> None:
        """One round: schedule the restart of each child that exited, start those whose backoff has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at and not self.stopping:
                    child.restarts += 1
                    self.spawn(child)
                    self.say(f"restarted {child.name} (restart #{child.restarts}, pid {child.process.pid})")
                continue
            code = child.process.poll()
            if code is None:
                continue
            # Its process group may outlive it (a SIGKILLed Celery worker leaves its pool children behind).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)
            stable = now - child.started_at >= STABLE_SECONDS
            child.backoff = 1.0 if stable or not child.backoff else min(RESTART_BACKOFF_MAX, child.backoff * 2)
            child.restart_at = now + child.backoff
            how = f"signal {-code}" if code < 0 else f"status {code}"
            self.say(f"{child.name} (pid {child.process.pid}) exited with {how}; restarting it in {child.backoff:g}s")

    def stop(self) -> None:
        alive = [c for c in self.children if c.process.poll() is None]
        for child in reversed(alive):  # workers before the relay, web last
            self.say(f"stopping {child.name}")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in alive:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in {GRACE_SECONDS}s; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
            # Its own children (gunicorn workers, celery pool) share its process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)

    def say(self, message: str) -> None:
        self.out.write(f"[runstack] {message}\n")
        self.out.flush()

    def banner(self) -> None:
        url = f"http://{self.host}:{self.port}"
        database = (
            "embedded PostgreSQL in " + str(settings.DATA_DIR) if not os.environ.get("DATABASE_URL") else "DATABASE_URL"
        )
        lines = [
            "",
            f"  Development server on {url}/   (Ctrl-C stops everything; deploy with the Procfile instead)",
            f"  Admin:       {url}/admin/        login admin / hospital-admin",
            f"  API docs:    {url}/api/docs/     token: POST {url}/api/auth/token/",
            "  API logins:  farmacia / hospital-farmacia (reads), prescritor / hospital-prescritor (writes)",
            f"  Sync mode:   {self.mode} (from the database)    Database: {database}",
            f"  Replicas:    {os.environ.get('REPLICAS') or 0} (reads per database: {url}/api/pharmacy/status/)",
            "",
        ]
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()


def run(*, host: str, port: int, seed: bool = True, out: TextIO = sys.stdout) -> int:
    """Migrate, seed, serve until SIGINT/SIGTERM/SIGHUP; return the exit status."""
    from outbox.sync_mode import current_mode, mode_line  # models: not importable when gunicorn loads this module

    stack = Stack(host=host, port=port, out=out)

    def request_stop(signum, _frame) -> None:
        stack.stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    status = 1
    try:
        stack.check_port_free()
        stack.say("applying migrations")
        call_command("migrate", interactive=False, verbosity=1)
        if seed:
            stack.say("loading demo data (seed_demo)")
            call_command("seed_demo")
        if not stack.stopping and settings.READ_MODEL_SYNC and "switch_sync_mode" in get_commands():
            # The database records which mechanism maintains the read models (the one truth); switch it to
            # READ_MODEL_SYNC (a no-op when it already matches) before starting that mode's workers.
            # Dual-write keeps the database in celery mode: the read-model triggers stand down, the worker projects.
            target = "celery" if settings.READ_MODEL_SYNC == "dualwrite" else settings.READ_MODEL_SYNC
            stack.say(f"switching the database to {target} (READ_MODEL_SYNC={settings.READ_MODEL_SYNC})")
            call_command("switch_sync_mode", target)
        stack.mode = current_mode()
        stack.say(mode_line())
        connections.close_all()  # the children open their own
        if not stack.stopping:
            replicas = int(os.environ.get("REPLICAS") or 0)
            stack.start(embedded_replicas.launcher_env(stack.child_env(), settings.DATA_DIR, replicas))
            stack.wait_for_web()
            stack.banner()
            status = stack.wait()
    finally:
        stack.stop()
        connections.close_all()
        if embedded_replicas.started:
            stack.say(f"stopped embedded {', '.join(embedded_replicas.stop_started(settings.DATA_DIR)) or 'replicas'}")
        if embedded.started:
            stopped = embedded.stop_embedded(settings.DATA_DIR, set(embedded.started))
            stack.say(f"stopped embedded {', '.join(stopped) or 'services'}")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stack.say("stopped")
    return status
