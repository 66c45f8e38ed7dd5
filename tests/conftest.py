"""Shared fixtures: users of each role, API clients, and small factories over the commands.

The suite runs the real migrations (triggers and groups live there) against
real PostgreSQL: whatever DATABASE_URL points at, else the embedded server.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from hospital import commands as master
from hospital.specialties import Especialidade
from outbox.sync_mode import set_mode
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests import hypothesis_profiles

hypothesis_profiles.load()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests make users all the time: hash their passwords cheaply (PBKDF2 costs ~0.5 s of CPU per user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, *, group: str | None = None, staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password="senha-forte-123", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def prescritor(db) -> User:
    return _user("prescritor1", group="prescritor")


@pytest.fixture
def farmaceutico(db) -> User:
    return _user("farmacia1", group="farmacia")


@pytest.fixture
def staff_user(db) -> User:
    return _user("staff1", staff=True)


@pytest.fixture
def admin_user_(db) -> User:
    return User.objects.create_superuser("admin1", "admin@example.org", "senha-forte-123")


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def writer_client(prescritor) -> APIClient:
    return _client(prescritor)


@pytest.fixture
def reader_client(farmaceutico) -> APIClient:
    return _client(farmaceutico)


@pytest.fixture
def cardiologista(db):
    return master.register_doctor(nome="Dr. João Silva", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345")


@pytest.fixture
def oncologista(db):
    return master.register_doctor(nome="Dra. Ana Souza", especialidade=Especialidade.ONCOLOGIA, crm="CRM54321")


@pytest.fixture
def paciente(db):
    return master.register_patient(
        nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10), endereco="Rua das Flores, 123"
    )


@pytest.fixture
def aspirina(db):
    return master.register_medication(nome="Aspirina", descricao="Analgésico e anti-inflamatório")


@pytest.fixture
def paracetamol(db):
    return master.register_medication(nome="Paracetamol", descricao="Analgésico")


@pytest.fixture
def quimio(db):
    return master.register_medication(
        nome="Ciclofosfamida", descricao="Quimioterápico", especialidades_permitidas=[Especialidade.ONCOLOGIA]
    )


@pytest.fixture
def article_prescription(cardiologista, paciente, aspirina, paracetamol):
    """The source article's example: 2023-05-20 14:30, Aspirina 08:00 100mg and Paracetamol 20:00 500mg."""
    return commands.create_prescription(
        id_medico=cardiologista.pk,
        id_paciente=paciente.pk,
        data_prescricao=dt.datetime(2023, 5, 20, 14, 30, tzinfo=dt.UTC),
        medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg"), ItemInput(paracetamol.pk, "20:00", "500mg")],
    )


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
