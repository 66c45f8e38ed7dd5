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
        medico_id=oncologista.pk,
        paciente_id=pedro.pk,
        data_prescricao=dt.datetime(2024, 2, 1, 9, 0, tzinfo=dt.UTC),
        itens=[ItemInput(quimio.pk, "09:00", "50mg"), ItemInput(aspirina.pk, "21:00", "100mg")],
    )
