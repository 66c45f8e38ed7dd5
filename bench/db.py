"""The bench's own database: created on the configured server, dropped at the end.

The server is the one of DATABASE_URL, else the checkout's embedded PostgreSQL
(`hospital.devserver.embedded`). The database is `bench_<pid>`: the bench never touches
another one. Helpers here speak plain psycopg (the orchestrating process
never loads Django).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

WRITE_TABLES = ("medicos", "pacientes", "medicamentos", "prescricoes", "prescricao_medicamentos")
FLAT_TABLE = "vw_prescricoes_medicamentos_detalhadas"
DOC_TABLE = "vw_prescricoes_documentos"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from hospital.devserver.embedded import default_data_dir, ensure_postgres

    return ensure_postgres(Path(default_data_dir()))


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def create_database(url: str, name: str, synchronous_commit: str = "on") -> str:
    assert name.startswith("bench_"), name
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = {}").format(
                sql.Identifier(name), sql.Literal(synchronous_commit)
            )
        )
    return with_database(url, name)


def drop_database(url: str, name: str) -> None:
    assert name.startswith("bench_"), name  # never drop anything the bench did not create
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, **kwargs)


def table_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()[0]


def read_model_triggers(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(table, trigger) of the user triggers on the write tables that maintain the read models.

    A trigger counts when its function writes a read table, directly or through
    functions it calls (closure over the function bodies that name one). The
    outbox's own capture triggers do not, so they stay on in every mode.
    """
    procs = conn.execute(
        "SELECT p.oid, p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    ).fetchall()
    marked = {oid for oid, _, src in procs if src and ("vw_prescricoes" in src)}
    names = {name for oid, name, _ in procs if oid in marked}
    while True:
        more = {oid for oid, _, src in procs if oid not in marked and src and any(n in src for n in names)}
        if not more:
            break
        marked |= more
        names |= {name for oid, name, _ in procs if oid in more}
    rows = conn.execute(
        "SELECT c.relname, t.tgname, t.tgfoid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relname = ANY(%s) ORDER BY 1, 2",
        [list(WRITE_TABLES)],
    ).fetchall()
    return [(table, name) for table, name, foid in rows if foid in marked]


def set_triggers(conn: psycopg.Connection, triggers: list[tuple[str, str]], enabled: bool) -> None:
    verb = sql.SQL("ENABLE" if enabled else "DISABLE")
    for table, name in triggers:
        conn.execute(sql.SQL("ALTER TABLE {} {} TRIGGER {}").format(sql.Identifier(table), verb, sql.Identifier(name)))


@contextlib.contextmanager
def user_triggers_off(conn: psycopg.Connection, tables=WRITE_TABLES):
    """Every user trigger of `tables` off (bulk loading: no read-model or outbox work)."""
    for table in tables:
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table)))
    try:
        yield
    finally:
        for table in tables:
            conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table)))


def sync_mode_supported(conn: psycopg.Connection) -> bool:
    return table_exists(conn, "outbox_sync_state")


def set_sync_mode(conn: psycopg.Connection, mode: str) -> None:
    """Flip the database's sync mode (the bench DB only; operators use switch_sync_mode)."""
    conn.execute(
        "INSERT INTO outbox_sync_state (id, mode, changed_at) VALUES (1, %s, now()) "
        "ON CONFLICT (id) DO UPDATE SET mode = EXCLUDED.mode, changed_at = now()",
        [mode],
    )


def server_settings(conn: psycopg.Connection) -> dict:
    names = ["server_version", "shared_buffers", "work_mem", "maintenance_work_mem", "synchronous_commit", "fsync"]
    names.append("autovacuum")
    return {n: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(n))).fetchone()[0] for n in names}
