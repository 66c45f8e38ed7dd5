"""Fixtures for the outbox tests: celery mode in the test database, master data, a recording publisher."""

import datetime as dt

import pytest

from hospital import commands as master
from hospital.specialties import Especialidade
from outbox.sync_mode import set_mode


@pytest.fixture
def celery_mode(transactional_db):
    """The database in celery mode (triggers stand down); the flush after the test resets it to trigger."""
    set_mode("celery")
    yield
    set_mode("trigger")


@pytest.fixture
def world(transactional_db):
    """Committed master data: two doctors, two patients, three medications."""
    return {
        "medicos": [
            master.register_doctor(nome="Dr. João Silva", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345"),
            master.register_doctor(nome="Dra. Ana Souza", especialidade=Especialidade.ONCOLOGIA, crm="CRM54321"),
        ],
        "pacientes": [
            master.register_patient(nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10), endereco="Rua A"),
            master.register_patient(nome="Pedro", data_nascimento=dt.date(2000, 1, 1)),
        ],
        "medicamentos": [
            master.register_medication(nome="Aspirina", descricao="Analgésico"),
            master.register_medication(nome="Paracetamol"),
            master.register_medication(nome="Dipirona"),
        ],
    }


class RecordingPublisher:
    """Stands in for the broker in relay unit tests: records each message, can fail on demand."""

    def __init__(self):
        self.messages: list[list[int]] = []
        self.fail_with: Exception | None = None
        self.poison: set[int] = set()

    def __call__(self, events):
        if self.fail_with is not None:
            raise self.fail_with
        bad = [e.id for e in events if e.id in self.poison]
        if bad:
            raise ValueError(f"cannot serialize event {bad[0]}")
        self.messages.append([e.id for e in events])

    @property
    def published(self) -> list[int]:
        return [i for message in self.messages for i in message]


@pytest.fixture
def publisher():
    return RecordingPublisher()
