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
Before serving, the database's sync mode is aligned with READ_MODEL_SYNC
(`manage.py switch_sync_mode`, a no-op when they match).

- `relay` (`manage.py outbox_relay`) and `worker` (`celery -A hospital
  worker`): only when READ_MODEL_SYNC=celery.

If any process exits on its own, the supervisor stops the rest and exits
non-zero: a half-running stack is worse than a stopped one.
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

from hospital import embedded

GRACE_SECONDS = 10
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


@dataclass
class Stack:
    host: str
    port: int
    out: TextIO = sys.stdout
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    # -- setup

    def child_env(self) -> dict[str, str]:
        """Children reach the same servers as this process without probing for them again."""
        env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="hospital.settings")
        if not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = embedded.ensure_postgres(settings.DATA_DIR)
        if settings.READ_MODEL_SYNC == "celery":
            env["REDIS_URL"] = settings.REDIS_URL
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
                ],
                env={"PROMETHEUS_MULTIPROC_DIR": str(web_metrics_dir())},  # /metrics sums every gunicorn worker
            ),
        ]  # fmt: skip
        if settings.READ_MODEL_SYNC == "celery":
            children += [
                Child("relay", [python, manage, "outbox_relay"]),
                Child("worker", [python, "-m", "celery", "-A", "hospital", "worker", "--loglevel", "INFO"]),
            ]
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
        for child in self.plan():
            self.say(f"starting {child.name}: {' '.join(child.argv[1:])}")
            child.process = subprocess.Popen(
                child.argv,
                env={**env, **child.env},
                cwd=settings.BASE_DIR,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            self.children.append(child)

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
        """Block until a signal asks to stop (exit 0) or a child exits on its own (exit 1)."""
        while not self.stopping:
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    self.say(f"{child.name} exited with status {code}; stopping the stack")
                    return 1
            time.sleep(0.2)
        return 0

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
            f"  Serving on {url}/   (Ctrl-C stops everything)",
            f"  Admin:       {url}/admin/        login admin / hospital-admin",
            f"  API docs:    {url}/api/docs/     token: POST {url}/api/auth/token/",
            "  API logins:  farmacia / hospital-farmacia (reads), prescritor / hospital-prescritor (writes)",
            f"  Sync mode:   {settings.READ_MODEL_SYNC}    Database: {database}",
            "",
        ]
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()


def run(*, host: str, port: int, seed: bool = True, out: TextIO = sys.stdout) -> int:
    """Migrate, seed, serve until SIGINT/SIGTERM/SIGHUP; return the exit status."""
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
        if not stack.stopping and "switch_sync_mode" in get_commands():
            # The database records which mechanism maintains the read models; align it with
            # READ_MODEL_SYNC (a no-op when it already matches) before starting that mode's workers.
            stack.say(f"sync mode: {settings.READ_MODEL_SYNC}")
            call_command("switch_sync_mode", settings.READ_MODEL_SYNC)
        connections.close_all()  # the children open their own
        if not stack.stopping:
            stack.start(stack.child_env())
            stack.wait_for_web()
            stack.banner()
            status = stack.wait()
    finally:
        stack.stop()
        connections.close_all()
        if embedded.started:
            stopped = embedded.stop_embedded(settings.DATA_DIR, set(embedded.started))
            stack.say(f"stopped embedded {', '.join(stopped) or 'services'}")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stack.say("stopped")
    return status
