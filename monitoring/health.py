"""Readiness checks for a load balancer: may this process take traffic now?

Each check returns None when it passes, else a `Failure` (a stable code and
a message for the operator). `/readyz` runs them all and answers 503 with
the failures in the project's error shape.

- database: a connection and `SELECT 1` on the default database;
- migrations: nothing in the migration plan is left to apply (a process
  started against an old schema must not serve: the triggers live in
  migrations);
- broker (only when `READ_MODEL_SYNC=celery`): Redis answers `PING`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

BROKER_TIMEOUT = 1.0  # seconds: a probe must answer well within a load balancer's timeout


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


def check_database(alias: str = DEFAULT_DB_ALIAS) -> Failure | None:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        with contextlib.suppress(Exception):
            connection.close()  # a broken pooled connection: the next request reconnects
        return Failure("banco_inacessivel", f"O banco de dados não respondeu: {_first_line(exc)}")
    return None


def check_migrations(alias: str = DEFAULT_DB_ALIAS) -> Failure | None:
    connection = connections[alias]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return Failure("migracoes_indisponiveis", f"Não foi possível ler as migrações aplicadas: {_first_line(exc)}")
    if plan:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        more = f" e mais {len(plan) - 5}" if len(plan) > 5 else ""
        return Failure(
            "migracoes_pendentes", f"{len(plan)} migração(ões) por aplicar: {pending}{more}. Rode `manage.py migrate`."
        )
    return None


def check_broker() -> Failure | None:
    import redis

    from hospital.local_servers import redis_py_url

    client = redis.Redis.from_url(
        redis_py_url(settings.REDIS_URL), socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT
    )
    try:
        client.ping()
    except Exception as exc:
        return Failure("broker_inacessivel", f"O broker (Redis) não respondeu: {_first_line(exc)}")
    finally:
        client.close()
    return None


def readiness() -> dict[str, Failure | None]:
    """Every check, by name (None: passed). The migrations are not read when the database is down."""
    results: dict[str, Failure | None] = {"database": check_database()}
    results["migrations"] = (
        check_migrations()
        if results["database"] is None
        else Failure("nao_verificado", "Migrações não verificadas: o banco de dados não respondeu.")
    )
    if settings.READ_MODEL_SYNC == "celery":
        results["broker"] = check_broker()
    return results


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
