"""Where this checkout's embedded PostgreSQL and Redis listen: URLs computed from the data folder, nothing started.

The settings use these when `DATABASE_URL` / `REDIS_URL` are unset; the local
supervisor (`hospital.devserver`) starts the servers at these addresses. Both
listen only on Unix sockets inside the data folder (or, when that path is too
long for a socket, a short folder under the temporary directory).

URL forms: the PostgreSQL URL is `postgresql://postgres@/hospital?host=<socketdir>`
(dj-database-url and psycopg accept it). The Redis URL is Kombu's
`redis+socket:///<path>/redis.sock` (what Celery's broker needs); redis-py
spells the same socket `unix:///<path>/redis.sock`: pass a broker URL through
`redis_py_url()` before `redis.Redis.from_url`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

DATABASE_NAME = "hospital"
PG_USER = "postgres"
_REDIS_SOCKET = "redis.sock"
_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


def default_data_dir() -> Path:
    """`DATA_DIR`, else `.data/` beside the project package (the settings' `DATA_DIR`)."""
    return Path(os.environ.get("DATA_DIR", Path(__file__).resolve().parent.parent / ".data"))


def pgdata(data_dir: Path) -> Path:
    return (Path(data_dir) / "postgres").resolve()


def postmaster(data_folder: Path) -> tuple[int, Path] | None:
    """(pid, socket path) from a PostgreSQL data folder's `postmaster.pid` when it says the server is ready."""
    try:
        lines = (data_folder / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready" or not lines[4].strip():
        return None
    return int(lines[0]), Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip() or 5432}"


def postgres_socket_url(socket_path: Path, database: str = DATABASE_NAME) -> str:
    return f"postgresql://{PG_USER}@/{database}?host={socket_path.parent}"


def postgres_url(data_dir: Path) -> str:
    """The `hospital` database URL of `data_dir`'s embedded PostgreSQL: its running server's socket, else the
    data folder (where the server puts its socket when that path is short enough)."""
    folder = pgdata(data_dir)
    info = postmaster(folder)
    return postgres_socket_url(info[1] if info else folder / ".s.PGSQL.5432")


def redis_dir(data_dir: Path) -> Path:
    return (Path(data_dir) / "redis").resolve()


def redis_socket(folder: Path) -> Path:
    """The Redis socket of `folder`: inside it unless that path is too long for a Unix socket."""
    path = folder / _REDIS_SOCKET
    if len(str(path)) <= _SOCKET_MAX:
        return path
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"hospital-redis-{digest}" / _REDIS_SOCKET


def redis_url(data_dir: Path) -> str:
    """The Kombu broker URL of `data_dir`'s embedded Redis, whether it runs or not."""
    return f"redis+socket://{redis_socket(redis_dir(Path(data_dir)))}"


def redis_py_url(url: str) -> str:
    """The redis-py spelling of a broker URL (`redis+socket://` becomes `unix://`)."""
    return "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+socket://") else url
