"""How a migration installs an app's hand-written SQL: the files of `<app>/sql/`, read whole.

Each file holds the current definition of the objects of one concern; a
migration names the files it runs, in order. No migration slices a file or
imports another migration.
"""

from pathlib import Path

from django.db import migrations

ROOT = Path(__file__).resolve().parent.parent


def run_sql_files(app: str, *names: str) -> migrations.RunSQL:
    """One irreversible RunSQL of `<app>/sql/<name>.sql` for each name, in order.

    Irreversible: these run in an app's initial history, which is only ever
    undone by dropping the database.
    """
    folder = ROOT / app / "sql"
    return migrations.RunSQL("\n".join((folder / f"{name}.sql").read_text() for name in names))
