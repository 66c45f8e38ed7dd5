"""Master-data rules through the commands."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from hospital import commands
from hospital.errors import DomainError, ErrorCode
from hospital.models import Medico

pytestmark = pytest.mark.django_db


def test_crm_is_unique(cardiologista):
    with pytest.raises(DomainError) as raised:
        commands.register_doctor(nome="Outro", especialidade="Pediatria", crm="crm12345")
    assert [e.code for e in raised.value.errors] == [ErrorCode.CRM_TAKEN]
    assert Medico.objects.count() == 1


def test_crm_uniqueness_is_also_enforced_by_the_database(cardiologista):
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO medicos (nome, especialidade, crm, ativo) VALUES ('X', 'Pediatria', 'CRM12345', true)"
        )


def test_specialty_comes_from_the_fixed_list():
    with pytest.raises(DomainError) as raised:
        commands.register_doctor(nome="Dr. X", especialidade="Astrologia", crm="CRM1")
    assert [e.code for e in raised.value.errors] == [ErrorCode.INVALID_SPECIALTY]
    with pytest.raises(DomainError):
        commands.register_medication(nome="X", especialidades_permitidas=["Astrologia"])


def test_birth_date_cannot_be_in_the_future():
    with pytest.raises(DomainError) as raised:
        commands.register_patient(nome="Bebê", data_nascimento=timezone.localdate() + dt.timedelta(days=1))
    assert [e.code for e in raised.value.errors] == [ErrorCode.DATE_IN_FUTURE]


def test_blank_names_are_refused():
    with pytest.raises(DomainError) as raised:
        commands.register_doctor(nome="  ", especialidade="Pediatria", crm=" ")
    assert {e.field for e in raised.value.errors} == {"nome", "crm"}


def test_update_doctor_keeps_crm_unique_and_emits_event(cardiologista, oncologista):
    with pytest.raises(DomainError):
        commands.update_doctor(id_medico=oncologista.pk, nome="Dra. Ana", especialidade="Oncologia", crm="CRM12345")
    updated = commands.update_doctor(
        id_medico=cardiologista.pk, nome="Dr. João P. Silva", especialidade="Cardiologia", crm="CRM12345"
    )
    assert updated.event_position is not None
    assert Medico.objects.get(pk=cardiologista.pk).nome == "Dr. João P. Silva"


def test_medication_restriction_is_normalized(db):
    medicamento = commands.register_medication(nome="Lítio", especialidades_permitidas=["Psiquiatria", "Psiquiatria"])
    assert medicamento.especialidades_permitidas == ["Psiquiatria"]
