"""Real processes for the asynchronous mode: Celery workers and outbox relays against a real Redis.

Each test runs with `transaction=True` so what it writes is committed and
visible to the subprocesses, which reach the test database through
DATABASE_URL. The broker is REDIS_URL (CI: db 15), or a private
`redis-server` this fixture starts when a test needs to stop the broker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings

from outbox.pg import connection_params
from outbox.sync_mode import set_mode
from pharmacy.status import sync_status
from pharmacy.verify import find_drift

ROOT = Path(__file__).resolve().parents[2]

# Faster polling and backoff for the tests of behaviour; the fault tests (test_faults.py) use none of it:
# they measure recovery with the shipped defaults.
FAST = {
    "OUTBOX_POLL_INTERVAL": "0.5",
    "OUTBOX_BACKOFF_BASE": "0.2",
    "OUTBOX_BACKOFF_MAX": "2",
    "OUTBOX_LEASE": "10",
    "OUTBOX_MESSAGE_SIZE": "50",
}


def _database_url() -> str:
    """The test database as a URL for the subprocesses.

    From the parameters psycopg receives, not `settings_dict`: the embedded
    server's socket directory is in OPTIONS (`?host=` of its URL), and
    without it the subprocesses reached the default socket, another server.
    """
    p = connection_params()
    auth = quote(p.get("user") or "")
    if p.get("password"):
        auth += ":" + quote(p["password"])
    host = quote(p.get("host") or "", safe="")
    port = f":{p['port']}" if p.get("port") else ""
    return f"postgres://{auth}@{host}{port}/{quote(p['dbname'])}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A throwaway redis-server (no persistence) that a test may stop and start again on the same port."""

    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        binary = shutil.which("redis-server")
        if binary is None:
            from hospital.devserver.embedded import _redis_binary

            binary = str(_redis_binary())
        self.binary = binary

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a hung broker)."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def queued(self) -> int:
        """Messages waiting in Celery's default queue."""
        return redis.Redis.from_url(self.url).llen("celery")


class Stack:
    """Starts relays and workers as subprocesses; stops whatever is left at teardown."""

    def __init__(self, tmp: Path, broker_url: str, overrides: dict[str, str] | None = None):
        self.tmp = tmp
        self.broker_url = broker_url
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            **(FAST if overrides is None else overrides),
            "DATABASE_URL": _database_url(),
            "REDIS_URL": broker_url,
            "READ_MODEL_SYNC": "celery",
            "DJANGO_SETTINGS_MODULE": "hospital.settings",
            "PYTHONUNBUFFERED": "1",
        }

    def _spawn(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 -- closed with the process
        proc = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def worker(self, name: str = "w1", concurrency: int = 2, **env: str) -> subprocess.Popen:
        return self._spawn(
            name,
            [sys.executable, "-m", "celery", "-A", "hospital", "worker", "-c", str(concurrency), "-P", "prefork",
             "-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-l", "INFO"],
            **env,
        )  # fmt: skip

    def web(self, port: int, name: str = "web") -> subprocess.Popen:
        """Gunicorn serving the project on 127.0.0.1:`port` (one process, four threads)."""
        return self._spawn(
            name,
            [sys.executable, "-m", "gunicorn", "hospital.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "--no-control-socket"],
        )  # fmt: skip

    def relay(self, name: str = "r1", **env: str) -> subprocess.Popen:
        return self._spawn(name, [sys.executable, "manage.py", "outbox_relay"], **env)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the worker and its pool children
        proc.wait(30)

    def stop_all(self) -> None:
        """SIGTERM every process group at once, then SIGKILL what is left after 10 s."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name in list(self.procs):
            try:
                self.procs[name].wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(name)
                continue
            self.procs.pop(name)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*.log"))


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, stack: Stack | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            extra = f"\nstatus: {sync_status()}\n{stack.logs() if stack else ''}"
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(0.1)


def drained() -> bool:
    status = sync_status()
    return status.backlog == 0


def converged() -> bool:
    return drained() and not find_drift()


def time_to_converge(since: float, stack: Stack, timeout: float = 60) -> float:
    """Wait (at most `timeout` s from now) for the read models to converge; seconds from `since` (monotonic)."""
    wait_until(converged, timeout, "the read models to converge", stack)
    return time.monotonic() - since


def verify_exit_code() -> int:
    """`manage.py verify_read_model`'s exit status."""
    from django.core.management import call_command

    try:
        call_command("verify_read_model")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def assert_nothing_lost() -> None:
    """Every committed event projected (none pending, none dead-lettered) and the read models equal the source."""
    from outbox.models import OutboxEvent

    assert not OutboxEvent.objects.filter(projected_at__isnull=True).values_list("pk", flat=True)[:10]
    assert verify_exit_code() == 0


def _broker() -> redis.Redis:
    from hospital.local_servers import redis_py_url

    client = redis.Redis.from_url(redis_py_url(settings.REDIS_URL))
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"the celery tests need a real Redis at REDIS_URL={settings.REDIS_URL!r} ({exc}); use `make test`")
    return client


def _celery_stack(tmp_path: Path, overrides: dict[str, str] | None):
    broker = _broker()
    broker.flushdb()  # our own database number: REDIS_URL is reserved for this suite
    set_mode("celery")
    stack = Stack(tmp_path, settings.REDIS_URL, overrides)
    yield stack
    stack.stop_all()
    broker.flushdb()


@pytest.fixture
def stack(transactional_db, tmp_path):
    """Celery mode in the test database, a clean broker db, and a process launcher (fast polling and backoff)."""
    yield from _celery_stack(tmp_path, None)


@pytest.fixture
def shipped_stack(transactional_db, tmp_path):
    """Like `stack`, but the processes run with the shipped settings: what recovery is measured with."""
    yield from _celery_stack(tmp_path, {})


CONVERGENCE: list[tuple[str, float]] = []


@pytest.fixture
def record_convergence(request):
    """`record_convergence(seconds, what)`: listed at the end of the run, for the README's reliability figures."""

    def record(seconds: float, what: str = "") -> None:
        CONVERGENCE.append((f"{request.node.name}{f' ({what})' if what else ''}", seconds))

    return record


def pytest_terminal_summary(terminalreporter):
    if CONVERGENCE:
        terminalreporter.section("time to converge after each fault (shipped settings)")
        for name, seconds in CONVERGENCE:
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}")


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
