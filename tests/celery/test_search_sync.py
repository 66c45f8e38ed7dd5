"""Celery mode: the search sees a rename once the relay and a worker (real processes) have applied it.

The search columns are generated from the document, so the projector keeps
them right without any search code of its own: this pins that the search
follows the asynchronous sync as it follows the triggers
(tests/pharmacy/test_search.py covers trigger mode).
"""

import datetime as dt

import pytest

from hospital import commands as master
from hospital.specialties import Especialidade
from pharmacy.search import search
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.celery.conftest import converged, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _ids(q: str) -> list[int]:
    return [hit.document.id_prescricao for hit in search(q).hits]


def test_a_doctor_renamed_reaches_the_search_through_the_workers(stack):
    medico = master.register_doctor(nome="Dr. João Silva", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345")
    paciente = master.register_patient(nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10))
    paracetamol = master.register_medication(nome="Paracetamol", descricao="Analgésico")
    pk = commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(paracetamol.pk, "20:00", "500mg")]
    ).pk
    stack.worker("w1", concurrency=1)
    stack.relay("r1")
    wait_until(lambda: _ids("joao slva paracetmol") == [pk], 30, "the new prescription to be found", stack)

    master.update_doctor(
        id_medico=medico.pk, nome="Dr. Joaquim Barbosa", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345"
    )
    wait_until(lambda: _ids("joaquim barbosa") == [pk], 30, "the renamed doctor to be found", stack)
    assert _ids("joao silva") == []
    wait_until(converged, 30, "the read models to converge", stack)
