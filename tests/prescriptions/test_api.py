"""The command endpoints through HTTP: rules, input errors, auth matrix, X-Event-Position."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from outbox.models import OutboxEvent
from prescriptions.models import Prescricao, PrescricaoMedicamento, StatusPrescricao
from prescriptions.serializers import ItemOutputSerializer, PrescriptionOutputSerializer

pytestmark = pytest.mark.django_db

CREATE = "/api/commands/prescricoes/"


def body(medico, paciente, *itens, **extra):
    return {
        "id_medico": medico.pk,
        "id_paciente": paciente.pk,
        "medicamentos": [{"id_medicamento": m.pk, "horario": h, "dosagem": d} for m, h, d in itens],
        **extra,
    }


def nothing_written(before_events: int) -> bool:
    return (
        not Prescricao.objects.exists()
        and not PrescricaoMedicamento.objects.exists()
        and OutboxEvent.objects.count() == before_events
    )


def test_create_answers_201_with_prescription_and_event_position(writer_client, cardiologista, paciente, aspirina):
    response = writer_client.post(
        CREATE,
        body(cardiologista, paciente, (aspirina, "08:00", "100mg"), data_prescricao="2023-05-20T14:30:00Z"),
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id_medico"] == cardiologista.pk and data["status"] == "ativa"
    assert data["data_prescricao"] == "2023-05-20T14:30:00Z"
    assert [(m["id_medicamento"], m["horario"], m["dosagem"]) for m in data["medicamentos"]] == [
        (aspirina.pk, "08:00", "100mg")
    ]
    position = int(response["X-Event-Position"])
    assert OutboxEvent.objects.get(pk=position).aggregate_id == data["id_prescricao"]


def stored(id_prescricao: int) -> dict:
    """The prescription as the database holds it, in the commands' answer shape."""
    return PrescriptionOutputSerializer(Prescricao.objects.prefetch_related("itens").get(pk=id_prescricao)).data


def test_each_command_answers_the_prescription_as_stored(writer_client, cardiologista, paciente, aspirina, paracetamol):
    itens = [(paracetamol, "20:00", "  500mg "), (aspirina, "08:00", "100mg")]  # out of time order, padded
    payload = body(cardiologista, paciente, *itens, data_prescricao="2023-05-20T11:30:00.123456-03:00")
    created = writer_client.post(CREATE, {**payload, "id_atendimento": "ATD-7"}, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data == {
        "id_prescricao": data["id_prescricao"],
        "id_medico": cardiologista.pk,
        "id_paciente": paciente.pk,
        "data_prescricao": "2023-05-20T14:30:00.123456Z",
        "status": "ativa",
        "cancelada_em": None,
        "motivo_cancelamento": "",
        "id_atendimento": "ATD-7",
        "medicamentos": [
            {"id": data["medicamentos"][0]["id"], "id_prescricao": data["id_prescricao"],
             "id_medicamento": aspirina.pk, "horario": "08:00", "dosagem": "100mg"},
            {"id": data["medicamentos"][1]["id"], "id_prescricao": data["id_prescricao"],
             "id_medicamento": paracetamol.pk, "horario": "20:00", "dosagem": "500mg"},
        ],
    }  # fmt: skip
    assert data == stored(data["id_prescricao"])
    url = f"/api/commands/prescricoes/{data['id_prescricao']}/"
    added = writer_client.post(f"{url}medicamentos/", {"id_medicamento": aspirina.pk, "horario": "22:00",
                                                        "dosagem": " 50mg "}, format="json")  # fmt: skip
    assert added.status_code == 201, added.content
    assert added.json() == ItemOutputSerializer(PrescricaoMedicamento.objects.get(pk=added.json()["id"])).data
    assert added.json()["horario"] == "22:00" and added.json()["dosagem"] == "50mg"
    assert [m["horario"] for m in stored(data["id_prescricao"])["medicamentos"]] == ["08:00", "20:00", "22:00"]
    removed = writer_client.delete(f"{url}medicamentos/{data['medicamentos'][0]['id']}/")
    assert removed.status_code == 200 and removed.json() == stored(data["id_prescricao"])
    assert [m["id_medicamento"] for m in removed.json()["medicamentos"]] == [paracetamol.pk, aspirina.pk]
    cancelled = writer_client.post(f"{url}cancelar/", {"motivo": " alta "}, format="json")
    assert cancelled.status_code == 200 and cancelled.json() == stored(data["id_prescricao"])
    assert cancelled.json()["status"] == "cancelada" and cancelled.json()["motivo_cancelamento"] == "alta"


def _statements(queries: list[dict]) -> list[str]:
    """Each statement as its verb and table (or as written), leaving out savepoints and the user's token and groups."""
    out = []
    for query in queries:
        sql = query["sql"]
        match = re.match(r'(SELECT|INSERT|UPDATE|DELETE)\b.*?(?:FROM|INTO|UPDATE) "(\w+)"', sql)
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) or (match and match.group(2).startswith("auth")):
            continue
        out.append(f"{match.group(1)} {match.group(2)}" if match else sql)
    return out


def test_a_create_asks_the_database_only_what_it_needs(writer_client, cardiologista, paciente, aspirina, paracetamol):
    """Trigger mode: the rules' reads and the three inserts (the read models follow in their triggers), nothing more.

    The sync mode comes back with the event's row (`OutboxEvent.projected_at`)
    and the record's visit with the event (`prontuario.feed`), not from
    statements of their own, and the answer from what the command saved.
    """
    payload = body(cardiologista, paciente, (aspirina, "08:00", "100mg"), (paracetamol, "20:00", "500mg"))
    with CaptureQueriesContext(connection) as queries:
        response = writer_client.post(CREATE, payload, format="json")
    assert response.status_code == 201, response.content
    assert _statements(queries.captured_queries) == [
        "SELECT medicos",
        "SELECT pacientes",
        "SELECT medicamentos",
        "INSERT prescricoes",
        "INSERT prescricao_medicamentos",
        "INSERT outbox_events",
    ]
    assert OutboxEvent.objects.get(pk=int(response["X-Event-Position"])).projected_at is not None


def test_domain_rule_violation_is_400_with_field_codes(writer_client, cardiologista, paciente, quimio):
    before = OutboxEvent.objects.count()
    response = writer_client.post(CREATE, body(cardiologista, paciente, (quimio, "08:00", "1")), format="json")
    assert response.status_code == 400
    error = response.json()["errors"]["medicamentos[0].id_medicamento"][0]
    assert error["code"] == "especialidade_nao_autorizada"
    assert "Oncologia" in error["message"]
    assert nothing_written(before)


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"medicamentos": []}, "medicamentos", "prescricao_sem_itens"),
        ({"id_medico": 99999}, "id_medico", "medico_inexistente"),
        ({"id_paciente": 99999}, "id_paciente", "paciente_inexistente"),
        ({"id_medico": "abc"}, "id_medico", "invalid"),
        ({"id_medico": 2**70}, "id_medico", "max_value"),
        ({"id_medico": None}, "id_medico", "null"),
        ({"data_prescricao": "ontem"}, "data_prescricao", "invalid"),
        ({"data_prescricao": "2999-01-01T00:00:00Z"}, "data_prescricao", "data_no_futuro"),
        ({"medicamentos": "Aspirina"}, "medicamentos", "not_a_list"),
        ({"medicamentos": [{"id_medicamento": 1}]}, "medicamentos[0].horario", "required"),
        (
            {"medicamentos": [{"id_medicamento": 999, "horario": "08:00", "dosagem": "1"}]},
            "medicamentos[0].id_medicamento",
            "medicamento_inexistente",
        ),
        (
            {"medicamentos": [{"id_medicamento": 1, "horario": "8h", "dosagem": "1"}]},
            "medicamentos[0].horario",
            "horario_invalido",
        ),
        (
            {"medicamentos": [{"id_medicamento": 1, "horario": "08:00", "dosagem": ""}]},
            "medicamentos[0].dosagem",
            "dosagem_vazia",
        ),
        (
            {"medicamentos": [{"id_medicamento": 1, "horario": "08:00", "dosagem": "x" * 101}]},
            "medicamentos[0].dosagem",
            "max_length",
        ),
    ],
)
def test_bad_input_is_400_with_field_errors_and_writes_nothing(
    writer_client, cardiologista, paciente, aspirina, payload, field, code
):
    data = body(cardiologista, paciente, (aspirina, "08:00", "1"))
    for item in payload.get("medicamentos", []) if isinstance(payload.get("medicamentos"), list) else []:
        if item.get("id_medicamento") == 1:
            item["id_medicamento"] = aspirina.pk
    data.update(payload)
    before = OutboxEvent.objects.count()
    response = writer_client.post(CREATE, data, format="json")
    assert response.status_code == 400, response.content
    assert code in [e["code"] for e in response.json()["errors"][field]], response.json()
    assert nothing_written(before)


def test_duplicate_item_over_http(writer_client, cardiologista, paciente, aspirina):
    response = writer_client.post(
        CREATE, body(cardiologista, paciente, (aspirina, "08:00", "1"), (aspirina, "08:00", "2")), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["medicamentos[1].horario"][0]["code"] == "item_duplicado"


@pytest.mark.parametrize("raw", ['{"id_medico": 1,', "[1, 2]", "null", '"texto"'])
def test_malformed_json_is_400(writer_client, raw):
    response = writer_client.post(CREATE, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Prescricao.objects.exists()


def test_add_item_endpoint(writer_client, article_prescription, aspirina):
    url = f"/api/commands/prescricoes/{article_prescription.pk}/medicamentos/"
    response = writer_client.post(
        url, {"id_medicamento": aspirina.pk, "horario": "14:00", "dosagem": "100mg"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["horario"] == "14:00"
    assert int(response["X-Event-Position"]) > article_prescription.event_position
    duplicate = writer_client.post(
        url, {"id_medicamento": aspirina.pk, "horario": "14:00", "dosagem": "1"}, format="json"
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"]["horario"][0]["code"] == "item_duplicado"


def test_remove_item_endpoint(writer_client, article_prescription):
    first, second = article_prescription.itens.order_by("horario")
    url = f"/api/commands/prescricoes/{article_prescription.pk}/medicamentos/"
    response = writer_client.delete(f"{url}{first.pk}/")
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["medicamentos"]] == [second.pk]
    assert "X-Event-Position" in response
    assert writer_client.delete(f"{url}{first.pk}/").status_code == 404
    last = writer_client.delete(f"{url}{second.pk}/")
    assert last.status_code == 400 and last.json()["errors"]["item_id"][0]["code"] == "ultimo_item"


def test_cancel_endpoint(writer_client, article_prescription, aspirina):
    url = f"/api/commands/prescricoes/{article_prescription.pk}/cancelar/"
    response = writer_client.post(url, {"motivo": "paciente recebeu alta"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == StatusPrescricao.CANCELADA
    again = writer_client.post(url, {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflito_de_estado"
    add = writer_client.post(
        f"/api/commands/prescricoes/{article_prescription.pk}/medicamentos/",
        {"id_medicamento": aspirina.pk, "horario": "09:00", "dosagem": "1"},
        format="json",
    )
    assert add.status_code == 409


@pytest.mark.parametrize("prescricao_id", ["987654", "99999999999999999999"])
def test_unknown_prescription_is_404(writer_client, prescricao_id):
    assert (
        writer_client.post(f"/api/commands/prescricoes/{prescricao_id}/cancelar/", {}, format="json").status_code == 404
    )


def test_anonymous_is_401(anon_client, cardiologista, paciente, aspirina):
    response = anon_client.post(CREATE, body(cardiologista, paciente, (aspirina, "08:00", "1")), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_pharmacy_user_writing_is_403(reader_client, cardiologista, paciente, aspirina):
    response = reader_client.post(CREATE, body(cardiologista, paciente, (aspirina, "08:00", "1")), format="json")
    assert response.status_code == 403
    assert not Prescricao.objects.exists()


def test_staff_may_write(staff_user, cardiologista, paciente, aspirina):
    client = APIClient()
    client.force_authenticate(staff_user)
    assert (
        client.post(CREATE, body(cardiologista, paciente, (aspirina, "08:00", "1")), format="json").status_code == 201
    )


def test_token_flow(prescritor, cardiologista, paciente, aspirina):
    client = APIClient()
    bad = client.post("/api/auth/token/", {"username": "prescritor1", "password": "errada"}, format="json")
    assert bad.status_code == 400
    token = client.post("/api/auth/token/", {"username": "prescritor1", "password": "senha-forte-123"}, format="json")
    assert token.status_code == 200
    assert token.json()["token"] == Token.objects.get(user=prescritor).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert (
        client.post(CREATE, body(cardiologista, paciente, (aspirina, "08:00", "1")), format="json").status_code == 201
    )
    client.credentials(HTTP_AUTHORIZATION="Token invalido")
    assert client.post(CREATE, {}, format="json").status_code == 401


def test_session_auth_is_accepted(client, prescritor, cardiologista, paciente, aspirina):
    client.force_login(prescritor)
    response = client.post(
        CREATE, body(cardiologista, paciente, (aspirina, "08:00", "1")), content_type="application/json"
    )
    assert response.status_code == 201
