"""The shadow tables of the build-and-swap rebuild (`pharmacy.swap_rebuild`): shape, build, swap in.

A shadow is `<table>__rebuild`: the read table's columns, storage parameters,
columns' statistics targets and (once filled) indexes under temporary names, filled from the source views
(pharmacy/sql/sources.sql). Swapping it in drops the read table and gives the
shadow, its indexes, primary key, triggers and their comments the original
names, inside the caller's transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pharmacy.models import ItemDetalhado, PrescricaoDocumento

ITEMS = ItemDetalhado._meta.db_table
DOCS = PrescricaoDocumento._meta.db_table
TABLES = (ITEMS, DOCS)  # lock order: the same as every sync function's write order
SOURCES = {ITEMS: "pharmacy_fonte_itens", DOCS: "pharmacy_fonte_documentos"}
SHADOW_SUFFIX = "__rebuild"


class RebuildError(RuntimeError):
    """The rebuild cannot (or may not) run now; nothing visible was changed."""


def shadow_name(table: str) -> str:
    return f"{table}{SHADOW_SUFFIX}"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copied_columns(cursor, table: str) -> list[str]:
    """The columns a rebuild copies: all but the generated ones (the search columns), which PostgreSQL computes."""
    cursor.execute(
        """SELECT attname FROM pg_attribute
           WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
           ORDER BY attnum""",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


@dataclass
class TableShape:
    table: str
    columns: list[str]
    reloptions: list[str]
    statistics: list[tuple[str, int]]  # (column, its statistics target) where not the default
    indexes: list[tuple[str, str, str | None, str | None]]  # (name, definition, constraint, its contype)
    triggers: list[tuple[str, str, str, str | None]]  # (name, definition, tgenabled, comment)


def read_shape(cursor, table: str) -> TableShape:
    cursor.execute("SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = %s::regclass", [table])
    reloptions = list(cursor.fetchone()[0])
    cursor.execute(
        """SELECT attname, attstattarget FROM pg_attribute
           WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attstattarget >= 0
           ORDER BY attnum""",
        [table],
    )
    statistics = list(cursor.fetchall())
    cursor.execute(
        """SELECT ic.relname, pg_get_indexdef(i.indexrelid), con.conname, con.contype::text
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                      AND con.contype IN ('p', 'u')
           WHERE i.indrelid = %s::regclass ORDER BY i.indisprimary DESC, ic.relname""",
        [table],
    )
    indexes = list(cursor.fetchall())
    cursor.execute(
        """SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgenabled, obj_description(t.oid, 'pg_trigger')
           FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal ORDER BY t.tgname""",
        [table],
    )
    triggers = list(cursor.fetchall())
    return TableShape(table, copied_columns(cursor, table), reloptions, statistics, indexes, triggers)


def preflight(cursor, table: str) -> None:
    """Refuse what a drop-and-rename would lose or break (fall back to `--in-place` then)."""
    checks = {
        "views or other objects depend on it": """
            SELECT 1 FROM pg_depend d WHERE d.refobjid = %(t)s::regclass AND d.classid = 'pg_rewrite'::regclass""",
        "it has privileges granted to other roles": """
            SELECT 1 FROM pg_class WHERE oid = %(t)s::regclass AND relacl IS NOT NULL""",
        "it is published for logical replication": """
            SELECT 1 FROM pg_publication_rel WHERE prrelid = %(t)s::regclass""",
        "it has row-level security policies": """
            SELECT 1 FROM pg_policy WHERE polrelid = %(t)s::regclass""",
        "foreign keys reference it": """
            SELECT 1 FROM pg_constraint WHERE confrelid = %(t)s::regclass""",
    }
    for reason, query in checks.items():
        cursor.execute(query, {"t": table})
        if cursor.fetchone():
            raise RebuildError(f"Cannot swap {table}: {reason}. Use rebuild_read_model --in-place.")


def temp_index_name(table: str, n: int) -> str:
    return f"{shadow_name(table)}_i{n}"


def create_shadow(cursor, shape: TableShape) -> None:
    shadow = shadow_name(shape.table)
    cursor.execute(f"DROP TABLE IF EXISTS {quote(shadow)}")
    with_clause = f" WITH ({', '.join(shape.reloptions)})" if shape.reloptions else ""
    cursor.execute(
        f"CREATE TABLE {quote(shadow)} (LIKE {quote(shape.table)} INCLUDING ALL EXCLUDING INDEXES){with_clause}"
    )
    for column, target in shape.statistics:  # LIKE copies neither these nor the storage parameters
        cursor.execute(f"ALTER TABLE {quote(shadow)} ALTER COLUMN {quote(column)} SET STATISTICS {int(target)}")


def fill(cursor, shape: TableShape) -> int:
    cols = ", ".join(quote(c) for c in shape.columns)
    cursor.execute(f"INSERT INTO {quote(shadow_name(shape.table))} ({cols}) SELECT {cols} FROM {SOURCES[shape.table]}")
    return cursor.rowcount


def index_sql(shape: TableShape, n: int, definition: str) -> str:
    """The original definition, on the shadow, under a temporary name."""
    unique = "UNIQUE " if definition.startswith("CREATE UNIQUE INDEX ") else ""
    _, using = definition.split(" USING ", 1)
    return (
        f"CREATE {unique}INDEX {quote(temp_index_name(shape.table, n))} "
        f"ON {quote(shadow_name(shape.table))} USING {using}"
    )


def create_indexes(cursor, shape: TableShape, log: Callable[[str], None]) -> None:
    for n, (name, definition, _constraint, _kind) in enumerate(shape.indexes):
        t0 = time.monotonic()
        cursor.execute(index_sql(shape, n, definition))
        log(f"  index {name} ({time.monotonic() - t0:.1f}s)")


def upsert_shadow(cursor, shape: TableShape, ids: list[int]) -> None:
    """Rows of these prescriptions in the shadow := the source view's rows of them."""
    shadow = quote(shadow_name(shape.table))
    cols = ", ".join(quote(c) for c in shape.columns)
    key = shape.columns[0]  # id / id_prescricao: the primary key
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in shape.columns[1:])
    cursor.execute(f"DELETE FROM {shadow} WHERE id_prescricao = ANY(%s::bigint[])", [ids])
    cursor.execute(
        f"""INSERT INTO {shadow} ({cols})
            SELECT {cols} FROM {SOURCES[shape.table]} WHERE id_prescricao = ANY(%s::bigint[])
            ON CONFLICT ({quote(key)}) DO UPDATE SET {updates}""",
        [ids],
    )


# Prescriptions whose read rows an event of each aggregate type may change (as the snapshot sees them).
def swap_ddl(cursor, shape: TableShape) -> None:
    """Old table out, shadow in under the original names (inside the swap transaction)."""
    shadow = shadow_name(shape.table)
    cursor.execute(f"DROP TABLE {quote(shape.table)}")
    cursor.execute(f"ALTER TABLE {quote(shadow)} RENAME TO {quote(shape.table)}")
    for n, (name, _definition, constraint, contype) in enumerate(shape.indexes):
        temp = temp_index_name(shape.table, n)
        if constraint:
            kind = "PRIMARY KEY" if contype == "p" else "UNIQUE"
            cursor.execute(
                f"ALTER TABLE {quote(shape.table)} ADD CONSTRAINT {quote(constraint)} {kind} USING INDEX {quote(temp)}"
            )
            if constraint != name:
                cursor.execute(f"ALTER INDEX {quote(constraint)} RENAME TO {quote(name)}")
        else:
            cursor.execute(f"ALTER INDEX {quote(temp)} RENAME TO {quote(name)}")
    for name, definition, enabled, comment in shape.triggers:
        cursor.execute(definition)
        if comment is not None:
            cursor.execute(f"COMMENT ON TRIGGER {quote(name)} ON {quote(shape.table)} IS %s", [comment])
        if enabled != "O":
            action = {"D": "DISABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}[enabled]
            cursor.execute(f"ALTER TABLE {quote(shape.table)} {action} {quote(name)}")


def read_shapes(cursor) -> list[TableShape]:
    shapes = [read_shape(cursor, table) for table in TABLES]
    for shape in shapes:
        # The upsert of the catch-up needs the primary key on the first column (id / id_prescricao).
        primary = [(c, kind) for _n, _d, c, kind in shape.indexes if kind == "p"]
        if not primary:
            raise RebuildError(f"Cannot swap {shape.table}: it has no primary key.")
    return shapes


def drop_leftovers(cursor) -> None:
    for table in TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(shadow_name(table))}")
