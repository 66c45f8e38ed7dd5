"""Read endpoints under /api/pharmacy/, through HTTP: filters, pagination, permissions, query counts."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from prescriptions import commands

pytestmark = pytest.mark.django_db

ITEMS = "/api/pharmacy/itens/"


@pytest.fixture
def second_prescription(second_prescription_like):
    return second_prescription_like


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_worklist_rows_have_the_source_columns(reader_client, article_prescription):
    response = reader_client.get(ITEMS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["nome_medicamento"], r["horario"], r["dosagem"]) for r in rows] == [
        ("Paracetamol", "20:00", "500mg"),  # same prescription: newer id first
        ("Aspirina", "08:00", "100mg"),
    ]
    assert rows[0]["data_prescricao"] == "2023-05-20T14:30:00Z"
    assert rows[0]["data_nascimento_paciente"] == "1985-07-10"
    assert set(rows[0]) == {
        "id", "id_prescricao", "data_prescricao", "id_medico", "nome_medico", "especialidade_medico", "crm_medico",
        "id_paciente", "nome_paciente", "data_nascimento_paciente", "endereco_paciente", "id_medicamento",
        "nome_medicamento", "descricao_medicamento", "horario", "dosagem",
    }  # fmt: skip


def test_worklist_filters(reader_client, article_prescription, second_prescription, aspirina, oncologista):
    article_items = set(article_prescription.itens.values_list("id", flat=True))
    second_items = set(second_prescription.itens.values_list("id", flat=True))
    cases = {
        f"id_prescricao={article_prescription.pk}": article_items,
        f"id_paciente={second_prescription.paciente_id}": second_items,
        f"id_medico={oncologista.pk}": second_items,
        f"id_medicamento={aspirina.pk}": {
            *article_prescription.itens.filter(medicamento=aspirina).values_list("id", flat=True),
            *second_prescription.itens.filter(medicamento=aspirina).values_list("id", flat=True),
        },
        "data_prescricao__gte=2024-01-01T00:00:00Z": second_items,
        "data_prescricao__lte=2023-12-31": article_items,
        "data_prescricao__gte=2023-05-20T14:30:00Z&data_prescricao__lte=2023-05-20T14:30:00Z": article_items,
    }
    for query, expected in cases.items():
        response = reader_client.get(f"{ITEMS}?{query}")
        assert response.status_code == 200, query
        assert set(_ids(response)) == expected, query
    assert reader_client.get(f"{ITEMS}?id_paciente=abc").status_code == 400


def test_cancelled_prescription_leaves_the_worklist_and_its_document_says_so(reader_client, article_prescription):
    commands.cancel_prescription(id_prescricao=article_prescription.pk)
    assert reader_client.get(ITEMS).json()["results"] == []
    doc = reader_client.get(f"/api/pharmacy/prescricoes/{article_prescription.pk}/").json()
    assert doc["status"] == "cancelada"


def test_cursor_pagination_walks_every_row_once_in_order(reader_client, article_prescription, second_prescription):
    seen, url = [], f"{ITEMS}?page_size=1"
    while url:
        body = reader_client.get(url).json()
        seen += [(r["data_prescricao"], r["id"]) for r in body["results"]]
        url = body["next"]
    assert len(seen) == 4 and len(set(seen)) == 4
    assert seen == sorted(seen, reverse=True)


def test_document_endpoint(reader_client, article_prescription):
    response = reader_client.get(f"/api/pharmacy/prescricoes/{article_prescription.pk}/")
    assert response.status_code == 200
    doc = response.json()
    assert doc["id_prescricao"] == article_prescription.pk
    assert doc["data_prescricao"] == "2023-05-20T14:30:00Z"
    assert doc["medico"]["crm"] == "CRM12345"
    assert doc["paciente"]["endereco"] == "Rua das Flores, 123"
    assert [(m["nome"], m["horario"], m["dosagem"]) for m in doc["medicamentos"]] == [
        ("Aspirina", "08:00", "100mg"),
        ("Paracetamol", "20:00", "500mg"),
    ]
    assert reader_client.get("/api/pharmacy/prescricoes/999999/").status_code == 404
    assert reader_client.get(f"/api/pharmacy/prescricoes/{2**63}/").status_code == 404


def test_status_endpoint(reader_client, article_prescription):
    body = reader_client.get("/api/pharmacy/status/").json()
    assert body["mode"] == "trigger"
    assert body["lag_events"] == 0
    assert body["dead_letters"] == 0
    assert {"backlog", "oldest_pending_age_seconds", "unpublished", "last_position"} <= set(body)


@pytest.mark.parametrize("path", [ITEMS, "/api/pharmacy/prescricoes/1/", "/api/pharmacy/status/"])
def test_anonymous_gets_401_and_users_outside_the_groups_get_403(anon_client, path):
    assert anon_client.get(path).status_code == 401
    client = APIClient()
    client.force_authenticate(User.objects.create_user("curioso", password="senha-forte-123"))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", [ITEMS, "/api/pharmacy/status/"])
def test_read_endpoints_are_read_only(reader_client, path):
    assert reader_client.post(path, {}).status_code == 405


def test_query_counts_are_constant(reader_client, article_prescription, second_prescription, django_assert_num_queries):
    # 1 query for the permission (group membership) + 1 for the data, however many rows.
    for url in (ITEMS, f"{ITEMS}?page_size=1", f"{ITEMS}?id_medico=1&data_prescricao__gte=2020-01-01"):
        with django_assert_num_queries(2):
            assert reader_client.get(url).status_code == 200
    with django_assert_num_queries(2):
        assert reader_client.get(f"/api/pharmacy/prescricoes/{article_prescription.pk}/").status_code == 200
    with django_assert_num_queries(2):
        assert reader_client.get("/api/pharmacy/status/").status_code == 200
