"""The `make run` stack: migrate, seed the demo, then run and supervise every process.

`manage.py runstack` calls `run()`. `manage.py` has already started the
embedded PostgreSQL when `DATABASE_URL` is unset; the launcher starts the
embedded Redis in celery mode when `REDIS_URL` is unset.
`hospital.devserver.embedded.started` says which of them this process
started, and only those are stopped on the way out.

Processes (`hospital.devserver.supervisor` runs them, restarts what crashes
and stops them on Ctrl-C; docs/architecture.md, "Processes"):

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

Nothing is lost while a child restarts: a killed relay's leases expire
(`OUTBOX_LEASE`) and a killed worker's messages are republished by the relay
(`OUTBOX_REPUBLISH_AFTER`).

With `REPLICAS=n` (`make run REPLICAS=1`), n embedded streaming replicas
(`hospital.devserver.replicas`) start beside the embedded primary before the
processes, which get them as DATABASE_REPLICA_URLS; they stop on the way out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connections

from hospital.devserver import embedded
from hospital.devserver import replicas as embedded_replicas
from hospital.devserver.supervisor import Child, Supervisor


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


def child_env(mode: str) -> dict[str, str]:
    """Children reach the same servers as this process without probing for them again."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="hospital.settings")
    if not os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded.ensure_postgres(settings.DATA_DIR)
    if mode == "celery":
        env["REDIS_URL"] = (
            embedded.ensure_redis(settings.DATA_DIR) if not os.environ.get("REDIS_URL") else settings.REDIS_URL
        )
    return env


def plan(host: str, port: int, mode: str) -> list[Child]:
    """The processes of `mode`: web always; the relay and a worker in celery mode (the worker alone in dualwrite)."""
    python, manage = sys.executable, str(settings.BASE_DIR / "manage.py")
    children = [
        Child(
            "web",
            [
                python, "-m", "gunicorn", "hospital.devserver.launcher:static_application()",
                "--bind", f"{host}:{port}",
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
    if mode == "celery":
        if settings.READ_MODEL_SYNC != "dualwrite":  # dual-write publishes from the commands: no relay
            children.append(Child("relay", [python, manage, "outbox_relay"]))
        children.append(Child("worker", [python, "-m", "celery", "-A", "hospital", "worker", "--loglevel", "INFO"]))
    return children


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise SystemExit(
                f"Cannot serve on {host}:{port}: {error.strerror}. "
                "Stop what uses it or pick another port: make run PORT=8001"
            ) from error


def wait_for_web(host: str, port: int, supervisor: Supervisor, timeout: float = 30) -> None:
    """Return once the web process accepts connections (so the banner comes after its log lines)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        if any(child.process.poll() is not None for child in supervisor.children):
            return
        time.sleep(0.2)


def banner(out: TextIO, host: str, port: int, mode: str) -> None:
    url = f"http://{host}:{port}"
    database = (
        "embedded PostgreSQL in " + str(settings.DATA_DIR) if not os.environ.get("DATABASE_URL") else "DATABASE_URL"
    )
    lines = [
        "",
        f"  Development server on {url}/   (Ctrl-C stops everything; deploy with the Procfile instead)",
        f"  Admin:       {url}/admin/        login admin / hospital-admin",
        f"  API docs:    {url}/api/docs/     token: POST {url}/api/auth/token/",
        "  API logins:  farmacia / hospital-farmacia (reads), prescritor / hospital-prescritor (writes)",
        f"  Sync mode:   {mode} (from the database)    Database: {database}",
        f"  Replicas:    {os.environ.get('REPLICAS') or 0} (reads per database: {url}/api/pharmacy/status/)",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def prepare_database(supervisor: Supervisor, *, seed: bool) -> None:
    """Migrate, seed the demo, and switch the database to READ_MODEL_SYNC when that is set."""
    supervisor.say("applying migrations")
    call_command("migrate", interactive=False, verbosity=1)
    if seed:
        supervisor.say("loading demo data (seed_demo)")
        call_command("seed_demo")
    if not supervisor.stopping and settings.READ_MODEL_SYNC and "switch_sync_mode" in get_commands():
        # The database records which mechanism maintains the read models (the one truth); switch it to
        # READ_MODEL_SYNC (a no-op when it already matches) before starting that mode's workers.
        # Dual-write keeps the database in celery mode: the read-model triggers stand down, the worker projects.
        target = "celery" if settings.READ_MODEL_SYNC == "dualwrite" else settings.READ_MODEL_SYNC
        supervisor.say(f"switching the database to {target} (READ_MODEL_SYNC={settings.READ_MODEL_SYNC})")
        call_command("switch_sync_mode", target)


def stop_embedded_servers(supervisor: Supervisor) -> None:
    """Stop the embedded replicas and servers this process started (none it merely found running)."""
    if embedded_replicas.started:
        stopped = embedded_replicas.stop_started(settings.DATA_DIR)
        supervisor.say(f"stopped embedded {', '.join(stopped) or 'replicas'}")
    if embedded.started:
        stopped = embedded.stop_embedded(settings.DATA_DIR, set(embedded.started))
        supervisor.say(f"stopped embedded {', '.join(stopped) or 'services'}")


def run(*, host: str, port: int, seed: bool = True, out: TextIO = sys.stdout) -> int:
    """Migrate, seed, serve until SIGINT/SIGTERM/SIGHUP; return the exit status."""
    from outbox.sync_mode import current_mode, mode_line  # models: not importable when gunicorn loads this module

    supervisor = Supervisor(out=out, cwd=settings.BASE_DIR)

    def request_stop(signum, _frame) -> None:
        supervisor.stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    status = 1
    try:
        check_port_free(host, port)
        prepare_database(supervisor, seed=seed)
        mode = current_mode()
        supervisor.say(mode_line())
        connections.close_all()  # the children open their own
        if not supervisor.stopping:
            replicas = int(os.environ.get("REPLICAS") or 0)
            env = embedded_replicas.launcher_env(child_env(mode), settings.DATA_DIR, replicas)
            supervisor.start(plan(host, port, mode), env)
            wait_for_web(host, port, supervisor)
            banner(out, host, port, mode)
            status = supervisor.wait()
    finally:
        supervisor.stop()
        connections.close_all()
        stop_embedded_servers(supervisor)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        supervisor.say("stopped")
    return status
