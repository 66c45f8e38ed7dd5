"""Switching trigger <-> celery loses no write, and verify works in both modes."""

import pytest
from django.core.management import call_command
from django.db import connection

from outbox.sync_mode import current_mode
from pharmacy.verify import find_drift
from prescriptions import commands
from prescriptions.rules import ItemInput

pytestmark = pytest.mark.django_db(transaction=True)


def _write(world, hour: int) -> int:
    medico, paciente, medicamentos = world["medicos"][0], world["pacientes"][0], world["medicamentos"]
    return commands.create_prescription(
        id_medico=medico.pk,
        id_paciente=paciente.pk,
        medicamentos=[ItemInput(medicamentos[0].pk, f"{hour:02d}:00", "1")],
    ).pk


def test_round_trip_trigger_celery_trigger_keeps_every_write(world, capsys):
    _write(world, 1)
    call_command("switch_sync_mode", "celery")
    assert current_mode() == "celery"
    # Writes in celery mode, with no worker running: the read models lag ...
    pending = [_write(world, hour) for hour in (2, 3)]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE medicos SET nome = 'Dr. Novo Nome' WHERE id = %s", [world["medicos"][0].pk])
    assert find_drift().prescription_ids >= set(pending)
    with pytest.raises(SystemExit):
        call_command("verify_read_model")
    # ... and switching back applies them, rebuilds and verifies.
    call_command("switch_sync_mode", "trigger")
    assert current_mode() == "trigger"
    assert not find_drift()
    call_command("verify_read_model")
    out = capsys.readouterr().out
    assert "mode trigger in effect" in out

    _write(world, 4)  # triggers are back
    assert not find_drift()


def test_switching_to_the_current_mode_is_a_no_op(transactional_db, capsys):
    call_command("switch_sync_mode", "trigger")
    assert "nothing to do" in capsys.readouterr().out
