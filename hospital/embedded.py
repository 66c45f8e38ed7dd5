"""Embedded services for a machine with none: PostgreSQL and Redis under .data/."""

from pathlib import Path


def ensure_postgres(data_dir: Path) -> str:
    raise NotImplementedError


def ensure_redis(data_dir: Path) -> str:
    raise NotImplementedError
