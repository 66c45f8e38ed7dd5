"""Assertions over the read models, via SQL (fast enough to run after every step)."""

from outbox.models import OutboxEvent
from pharmacy.verify import find_drift


def assert_read_models_match_source() -> None:
    drift = find_drift()
    assert not drift, drift.summary()


def field_error_body(detail: str, code: str, field: str, field_code: str, message: str) -> dict:
    """The API's error answer (`hospital.api.exceptions`) with one error on one field."""
    return {"detail": detail, "code": code, "errors": {field: [{"code": field_code, "message": message}]}}


WRITE_TABLES = ("prescricao_medicamentos", "prescricoes", "medicos", "pacientes", "medicamentos")


def reset_write_model() -> None:
    """Empty the five write tables, both read models and the outbox; the sync mode back to trigger.

    DELETEs rather than TRUNCATE (tens of milliseconds, not the half second of a TRUNCATE of six tables on a
    busy machine, nor the second of pytest-django's flush of every table): for tests that reset the database
    many times (one Hypothesis example each) and commit for real. The outbox is emptied after the commit,
    once the deferred capture triggers have written their events.
    """
    from django.db import connection, transaction

    from outbox.sync_mode import set_mode

    set_mode("trigger")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pharmacy_clear()")
        for table in WRITE_TABLES:
            cursor.execute(f"DELETE FROM {table}")
    OutboxEvent.objects.all().delete()
