"""/api/cadastros/: an integrator finds a patient's and a medication's id."""

import datetime as dt

import pytest

from hospital import commands as master

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(cardiologista, oncologista, aspirina, quimio):
    maria = master.register_patient(nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10), prontuario="102030")
    master.register_patient(nome="José Santos", data_nascimento=dt.date(1952, 3, 2), prontuario="102031")
    return {"maria": maria}


def test_patient_found_by_name_or_record_number(writer_client, registry):
    by_name = writer_client.get("/api/cadastros/pacientes/", {"busca": "maria"}).json()
    by_record = writer_client.get("/api/cadastros/pacientes/", {"busca": "102030"}).json()
    expected = {
        "id_paciente": registry["maria"].pk,
        "nome": "Maria Oliveira",
        "data_nascimento": "1985-07-10",
        "endereco": None,
        "prontuario": "102030",
        "ativo": True,
    }
    assert by_name == {"count": 1, "next": None, "previous": None, "results": [expected]}
    assert by_record["results"] == [expected]


def test_medications_with_allowed_specialties_filtered_for_a_doctor(reader_client, registry, aspirina, quimio):
    everything = reader_client.get("/api/cadastros/medicamentos/").json()["results"]
    assert [(m["nome"], m["especialidades_permitidas"]) for m in everything] == [
        ("Aspirina", []),
        ("Ciclofosfamida", ["Oncologia"]),
    ]
    cardio = reader_client.get("/api/cadastros/medicamentos/", {"especialidade": "Cardiologia"}).json()["results"]
    assert [m["id_medicamento"] for m in cardio] == [aspirina.pk]


def test_doctors_and_one_by_id(writer_client, cardiologista, registry):
    listing = writer_client.get("/api/cadastros/medicos/", {"especialidade": "Cardiologia"}).json()["results"]
    assert listing == [
        {"id_medico": cardiologista.pk, "nome": "Dr. João Silva", "especialidade": "Cardiologia",
         "crm": "CRM12345", "crm_uf": "SP", "ativo": True}
    ]  # fmt: skip
    assert writer_client.get(f"/api/cadastros/medicos/{cardiologista.pk}/").json() == listing[0]
    missing = writer_client.get("/api/cadastros/medicos/999999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Não encontrado.", "code": "not_found", "errors": {}}


def test_inactive_records_only_on_request(writer_client, aspirina):
    master.deactivate_medication(id_medicamento=aspirina.pk)
    assert writer_client.get("/api/cadastros/medicamentos/").json()["results"] == []
    inactive = writer_client.get("/api/cadastros/medicamentos/", {"ativo": "false"}).json()["results"]
    assert [m["nome"] for m in inactive] == ["Aspirina"]


def test_anonymous_401_other_users_403_and_read_only(anon_client, client, writer_client, registry):
    assert anon_client.get("/api/cadastros/pacientes/").status_code == 401
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("sem_grupo", password="x"))
    forbidden = client.get("/api/cadastros/pacientes/")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "permission_denied"
    refused = writer_client.post("/api/cadastros/pacientes/", {"nome": "X"}, format="json")
    assert refused.status_code == 405
