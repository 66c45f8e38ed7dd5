"""Fixtures of the pharmacy tests."""

import datetime as dt

import pytest

from hospital import commands as master
from prescriptions import commands
from prescriptions.rules import ItemInput


@pytest.fixture
def second_prescription_like(oncologista, quimio, aspirina):
    """Another patient's active prescription (two items), by another doctor."""
    pedro = master.register_patient(nome="Pedro Santos", data_nascimento=dt.date(1990, 1, 2))
    return commands.create_prescription(
        id_medico=oncologista.pk,
        id_paciente=pedro.pk,
        data_prescricao=dt.datetime(2024, 2, 1, 9, 0, tzinfo=dt.UTC),
        medicamentos=[ItemInput(quimio.pk, "09:00", "50mg"), ItemInput(aspirina.pk, "21:00", "100mg")],
    )


@pytest.fixture(scope="session")
def _test_database(django_db_setup, django_db_blocker):
    """The test database, even when no test of this run carries pytest-django's `django_db` mark.

    pytest-django creates it only for sessions where some test asks for it by mark or `db` fixture; run alone,
    `committed_db` tests would otherwise reach the development database.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.settings_dict["NAME"].startswith("test_"):
        yield
        return
    with django_db_blocker.unblock():
        old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    yield
    with django_db_blocker.unblock():
        teardown_databases(old_config, verbosity=0)


@pytest.fixture(scope="module")
def _empty_after_module(_test_database, django_db_blocker):
    yield
    from tests.pharmacy.helpers import reset_write_model

    with django_db_blocker.unblock():
        reset_write_model()


@pytest.fixture
def committed_db(_empty_after_module, django_db_blocker):
    """The test database with real commits, emptied before each test by `reset_write_model`, not flushed.

    Auth users and groups are left alone. Commits skip the WAL flush (`synchronous_commit = off`: this
    session's durability is of no interest here, its speed is); the module leaves the database empty.
    """
    from django.db import connection

    from tests.pharmacy.helpers import reset_write_model

    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        reset_write_model()
        yield
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
