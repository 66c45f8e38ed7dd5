"""Operations the hand-written migrations share: an app's SQL files, the API groups.

Each SQL file (`<app>/sql/<name>.sql`) holds the current definition of the
objects of one concern and is run whole: no migration slices a file or
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


def create_groups(*names: str) -> migrations.RunPython:
    """The API's permission groups of these names (removed again when reversed)."""

    def create(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        for name in names:
            Group.objects.get_or_create(name=name)

    def remove(apps, schema_editor):
        apps.get_model("auth", "Group").objects.filter(name__in=names).delete()

    return migrations.RunPython(create, remove)
