"""The record's HTTP API: the integration inbox and the documents, their auth matrix and error shape."""

import datetime as dt

import pytest

from prescriptions import commands
from prescriptions.rules import ItemInput
from prontuario.ingestion import IncomingEvent, receive_events
from prontuario.models import EventoRecebido
from prontuario.serializers import EventoEntrada
from tests.conftest import _user
from tests.prontuario.conftest import client_for, integration_user, lab_order, lab_result, triage, visit_opened

EVENTS = "/api/integracoes/eventos/"


def record(id_paciente: int) -> str:
    return f"/api/prontuarios/{id_paciente}/"


def visit(id_paciente: int, atendimento: str = "ATD-1") -> str:
    return f"/api/prontuarios/{id_paciente}/atendimentos/{atendimento}/"


@pytest.mark.django_db
def test_the_new_users_story_result_before_visit_then_triage_then_opening_then_redelivery(
    source_clients, clinico_client, paciente, cardiologista, aspirina
):
    p = paciente.pk
    commands.create_prescription(
        id_medico=cardiologista.pk, id_paciente=p, id_atendimento="ATD-1",
        data_prescricao=dt.datetime(2024, 3, 10, 14, 20, tzinfo=dt.UTC),
        medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg")],
    )  # fmt: skip
    lab = {"eventos": [lab_result("r1", paciente=p)]}
    assert source_clients["laboratorio"].post(EVENTS, lab, format="json").json()["aplicados"] == 1
    assert (
        source_clients["triagem"].post(EVENTS, {"eventos": [triage("t1", paciente=p)]}, format="json").status_code
        == 200
    )
    opened = {"fonte": "triagem", "eventos": [visit_opened("v1", paciente=p)]}
    assert source_clients["triagem"].post(EVENTS, opened, format="json").status_code == 200
    again = source_clients["laboratorio"].post(EVENTS, lab, format="json")
    assert again.json() == {
        "fonte": "laboratorio", "aplicados": 0, "pendentes": 0, "duplicados": 1,
        "eventos": [{"id_evento": "r1", "situacao": "duplicado"}],
    }  # fmt: skip

    page = clinico_client.get(record(p)).json()
    assert page["paciente"] == {"id_paciente": p, "nome": "Maria Oliveira", "data_nascimento": "1985-07-10"}
    assert page["count"] == 1
    (doc,) = page["atendimentos"]
    assert doc == clinico_client.get(visit(p)).json()
    assert doc["atendimento"]["situacao"] == "aberto"
    assert doc["inicio"] == "2024-03-10T13:58:00Z"
    assert doc["triagem"]["classificacao_risco"] == "laranja"
    assert doc["triagem"]["origem"]["fonte"] == "triagem"
    assert doc["exames_laboratoriais"][0]["resultado"]["resultados"][0]["valor"] == "0.02"
    assert [(rx["medico"]["nome"], rx["medicamentos"][0]["nome"]) for rx in doc["prescricoes"]] == [
        ("Dr. João Silva", "Aspirina")
    ]


@pytest.mark.django_db
def test_visits_are_newest_first_and_paginated(source_clients, clinico_client, paciente):
    batch = [
        visit_opened(f"v{n}", paciente=paciente.pk, atendimento=f"ATD-{n}", aberto_em=f"2024-0{n}-01T10:00:00Z")
        for n in range(1, 6)
    ]
    source_clients["triagem"].post(EVENTS, {"eventos": batch}, format="json")
    first = clinico_client.get(record(paciente.pk), {"page_size": 2}).json()
    assert [d["id_atendimento"] for d in first["atendimentos"]] == ["ATD-5", "ATD-4"]
    assert first["count"] == 5
    second = clinico_client.get(first["next"]).json()
    assert [d["id_atendimento"] for d in second["atendimentos"]] == ["ATD-3", "ATD-2"]


@pytest.mark.django_db
def test_a_malformed_event_gets_field_errors_and_nothing_of_the_batch_is_stored(source_clients, paciente):
    bad_triage = triage("t2", paciente=paciente.pk)
    bad_triage["dados"]["classificacao_risco"] = "roxo"
    batch = [triage("t1", paciente=paciente.pk), {**triage("t3", paciente=paciente.pk), "tipo": "Inexistente"},
             bad_triage, {**triage("t4", paciente=paciente.pk), "id_atendimento": "com espaço"}]  # fmt: skip
    response = source_clients["triagem"].post(EVENTS, {"eventos": batch}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "dados_invalidos"
    assert body["detail"] == "Dados inválidos; corrija os campos indicados. Nada foi gravado."
    assert set(body["errors"]) == {
        "eventos[1].tipo",
        "eventos[2].dados.classificacao_risco",
        "eventos[3].id_atendimento",
    }
    assert body["errors"]["eventos[1].tipo"] == [
        {"code": "invalid_choice", "message": '"Inexistente" não é uma escolha válida.'}
    ]
    assert not EventoRecebido.objects.exists()


@pytest.mark.django_db
def test_a_source_cannot_post_another_sources_batch_or_event_types(source_clients, paciente):
    other = source_clients["imagem"].post(
        EVENTS, {"fonte": "laboratorio", "eventos": [lab_order("o1", paciente=paciente.pk)]}, format="json"
    )
    assert other.status_code == 403
    assert other.json() == {
        "detail": "Este token entrega eventos de 'imagem', não de 'laboratorio'.",
        "code": "fonte_nao_autorizada",
        "errors": {"fonte": [{"code": "fonte_nao_autorizada",
                              "message": "Este token entrega eventos de 'imagem', não de 'laboratorio'."}]},
    }  # fmt: skip
    smuggled = source_clients["imagem"].post(
        EVENTS, {"eventos": [lab_order("o1", paciente=paciente.pk)]}, format="json"
    )
    assert smuggled.status_code == 403
    assert smuggled.json()["errors"] == {
        "eventos[0].tipo": [{"code": "tipo_de_outra_fonte", "message": "ExameLaboratorialSolicitado é entregue "
                             "pelo sistema 'laboratorio', não por 'imagem'."}]
    }  # fmt: skip
    assert not EventoRecebido.objects.exists()


def _valid(raw: dict) -> dict:
    serializer = EventoEntrada(data=raw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "post_events", "read_record"),
    [
        ("anonimo", 401, 401),
        ("farmacia", 403, 403),
        ("prescritor", 403, 403),
        ("integracao", 200, 403),
        ("integracao_sem_fonte", 403, 403),
        ("clinico", 403, 200),
        ("staff", 403, 200),
    ],
)
def test_auth_matrix(who, post_events, read_record, paciente):
    """Every refusal in the one error shape; `integracao` delivers but cannot read, `farmacia` cannot read."""
    receive_events(fonte="triagem", eventos=[IncomingEvent(**_valid(visit_opened("v0", paciente=paciente.pk)))])
    users = {
        "anonimo": lambda: None,
        "farmacia": lambda: _user("f", group="farmacia"),
        "prescritor": lambda: _user("p", group="prescritor"),
        "integracao": lambda: integration_user("laboratorio"),
        "integracao_sem_fonte": lambda: _user("i", group="integracao"),
        "clinico": lambda: _user("c", group="clinico"),
        "staff": lambda: _user("s", staff=True),
    }
    client = client_for(users[who]())
    posted = client.post(EVENTS, {"eventos": [lab_order("o1", paciente=paciente.pk)]}, format="json")
    responses = [posted, client.get(record(paciente.pk)), client.get(visit(paciente.pk))]
    assert [r.status_code for r in responses] == [post_events, read_record, read_record]
    expected_code = {401: "not_authenticated", 403: "permission_denied"}
    for response in responses:
        if response.status_code >= 400:
            body = response.json()
            assert body["code"] == expected_code[response.status_code]
            assert body["errors"] == {}
            assert body["detail"]


@pytest.mark.django_db
def test_unknown_patient_or_visit_is_a_404_in_the_error_shape(clinico_client, paciente):
    assert clinico_client.get(record(paciente.pk + 1000)).json() == {
        "detail": f"Paciente {paciente.pk + 1000} não existe.", "code": "not_found", "errors": {}
    }  # fmt: skip
    missing = clinico_client.get(visit(paciente.pk, "ATD-9"))
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


@pytest.mark.django_db
def test_the_openapi_schema_documents_the_event_endpoint_with_an_example(staff_user):
    schema = client_for(staff_user).get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/integracoes/eventos/"]["post"]
    example = next(iter(post["requestBody"]["content"]["application/json"]["examples"].values()))
    assert example["value"]["eventos"][0]["tipo"] == "ExameLaboratorialSolicitado"
    assert "/api/prontuarios/{id_paciente}/atendimentos/{id_atendimento}/" in schema["paths"]
