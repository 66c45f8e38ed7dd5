"""Read-your-writes: X-Event-Position from a command, X-Read-After on the pharmacy reads."""

import threading
import time

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.test import APIClient

from pharmacy import projector, read_after
from pharmacy.status import sync_status
from tests.pharmacy.helpers import field_error_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clients(transactional_db):
    def client(username: str, group: str) -> APIClient:
        user = User.objects.create_user(username=username, password="senha-forte-123")
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        api = APIClient()
        api.force_authenticate(user)
        return api

    return client("escritor", "prescritor"), client("leitor", "farmacia")


def _create(writer, world) -> tuple[int, int]:
    response = writer.post(
        "/api/commands/prescricoes/",
        {
            "id_medico": world["medicos"][0].pk,
            "id_paciente": world["pacientes"][0].pk,
            "medicamentos": [{"id_medicamento": world["medicamentos"][0].pk, "horario": "08:00", "dosagem": "1mg"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id_prescricao"], int(response["X-Event-Position"])


def test_trigger_mode_reads_after_a_write_at_once(world, clients):
    writer, reader = clients
    prescricao_id, position = _create(writer, world)
    response = reader.get(f"/api/pharmacy/prescricoes/{prescricao_id}/", HTTP_X_READ_AFTER=str(position))
    assert response.status_code == 200


def test_celery_mode_answers_503_until_projected_then_200(world, clients, celery_mode, settings):
    settings.READ_AFTER_TIMEOUT = 0.2
    writer, reader = clients
    prescricao_id, position = _create(writer, world)
    url = f"/api/pharmacy/prescricoes/{prescricao_id}/"

    response = reader.get(url, HTTP_X_READ_AFTER=str(position))
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "projecao_atrasada"
    assert reader.get(url).status_code == 404  # without the header: whatever the read model has now
    status = sync_status()
    assert status.backlog == 1 and status.projection_position == position - 1

    projector.catch_up()
    response = reader.get(url, HTTP_X_READ_AFTER=str(position))
    assert response.status_code == 200
    assert response.json()["id_prescricao"] == prescricao_id
    items = reader.get("/api/pharmacy/itens/", {"id_prescricao": prescricao_id}, HTTP_X_READ_AFTER=str(position))
    assert items.status_code == 200 and len(items.json()["results"]) == 1
    assert sync_status().projection_position >= position


@pytest.mark.parametrize("header", ["abc", "-1"])
def test_a_malformed_read_after_is_a_400(world, clients, header):
    _, reader = clients
    response = reader.get("/api/pharmacy/itens/", HTTP_X_READ_AFTER=header)
    assert response.status_code == 400
    assert "X-Read-After" in response.json()["errors"]


def test_a_position_the_outbox_never_assigned_is_refused_at_once(world, clients, settings):
    settings.READ_AFTER_TIMEOUT = 30  # a wait would show: the refusal must not wait at all
    writer, reader = clients
    _, position = _create(writer, world)
    started = time.monotonic()
    response = reader.get("/api/pharmacy/itens/", HTTP_X_READ_AFTER=str(position + 1000))
    assert time.monotonic() - started < 10
    assert response.status_code == 400
    assert response.json() == field_error_body(
        "Dados inválidos; corrija os campos indicados. Nada foi gravado.",
        "dados_invalidos",
        "X-Read-After",
        "read_after_futuro",
        f"A posição {position + 1000} ainda não existe: a última atribuída pelo outbox é "
        f"{position}. Use a posição devolvida em X-Event-Position.",
    )
    assert reader.get("/api/pharmacy/itens/", HTTP_X_READ_AFTER=str(position)).status_code == 200


def test_waiters_beyond_the_cap_get_503_at_once_and_the_waiting_one_its_answer(world, clients, celery_mode, settings):
    settings.READ_AFTER_TIMEOUT = 30
    settings.READ_AFTER_MAX_WAITERS = 1
    writer, reader = clients
    prescricao_id, position = _create(writer, world)  # celery mode: not projected until the catch-up below
    url = f"/api/pharmacy/prescricoes/{prescricao_id}/"
    waiting: dict = {}

    def wait_for_it():
        try:
            waiting["response"] = reader.get(url, HTTP_X_READ_AFTER=str(position))
        finally:
            connection.close()

    first = threading.Thread(target=wait_for_it, daemon=True)
    first.start()
    deadline = time.monotonic() + 30
    while read_after.wait_slots.taken < 1:
        assert first.is_alive() and time.monotonic() < deadline, "the first reader must be waiting"
        time.sleep(0.01)
    started = time.monotonic()
    response = reader.get(url, HTTP_X_READ_AFTER=str(position))
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "detail": "Muitas leituras já aguardam a projeção neste servidor; tente de novo em 1s "
        "(ou leia sem X-Read-After).",
        "code": "leituras_em_espera_esgotadas",
        "errors": {},
    }
    projector.catch_up()
    first.join(30)
    assert waiting["response"].status_code == 200
    assert waiting["response"].json()["id_prescricao"] == prescricao_id
    assert read_after.wait_slots.taken == 0
