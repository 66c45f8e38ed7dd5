"""`GET /api/pharmacy/busca/` over HTTP: the response document, parameters, errors, auth, schema, query count."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from prescriptions import commands

URL = "/api/pharmacy/busca/"


@pytest.fixture
def cancelled(article_prescription):
    return commands.cancel_prescription(id_prescricao=article_prescription.pk, motivo="Erro de digitação").pk


def test_the_articles_query_answers_the_whole_response_document(reader_client, article_prescription, aspirina):
    response = reader_client.get(URL, {"q": "joao silva paracetmol"})
    assert response.status_code == 200
    body = response.json()
    (hit,) = body["results"]
    assert isinstance(hit.pop("relevancia"), float)
    assert hit == {
        "id_prescricao": article_prescription.pk,
        "data_prescricao": "2023-05-20T14:30:00Z",
        "status": "ativa",
        "destaques": {
            "medico.nome": "Dr. <mark>João</mark> <mark>Silva</mark>",
            "medicamentos[1].nome": "<mark>Paracetamol</mark>",
        },
        "documento": reader_client.get(f"/api/pharmacy/prescricoes/{article_prescription.pk}/").json(),
    }
    assert body["count"] == 1 and body["next"] is None
    assert body["facets"] == {
        "status": [{"valor": "ativa", "total": 1}],
        "especialidade": [{"valor": "Cardiologia", "total": 1}],
        "medicamento": [
            {"id_medicamento": aspirina.pk, "nome": "Aspirina", "total": 1},
            {"id_medicamento": aspirina.pk + 1, "nome": "Paracetamol", "total": 1},
        ],
    }


def test_a_cancelled_prescription_shows_its_status(reader_client, cancelled):
    body = reader_client.get(URL, {"q": "maria", "status": "cancelada"}).json()
    assert [(h["id_prescricao"], h["status"], h["documento"]["status"]) for h in body["results"]] == [
        (cancelled, "cancelada", "cancelada")
    ]
    assert reader_client.get(URL, {"q": "maria", "status": "ativa"}).json()["count"] == 0


def test_next_links_walk_the_pages(reader_client, article_prescription, second_prescription_like):
    first = reader_client.get(URL, {"q": "aspirina", "page_size": 1}).json()
    assert first["count"] == 2 and len(first["results"]) == 1
    second = reader_client.get(first["next"]).json()
    assert second["next"] is None
    seen = [first["results"][0]["id_prescricao"], second["results"][0]["id_prescricao"]]
    assert seen == [second_prescription_like.pk, article_prescription.pk]  # same relevance: newest first


def test_bad_parameters_answer_400_with_field_errors_in_the_one_error_shape(reader_client):
    response = reader_client.get(
        URL,
        {"status": "arquivada", "especialidade": "Astrologia", "id_medicamento": "x", "cursor": "%%%", "page_size": 0},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "dados_invalidos" and body["detail"]
    assert {field: [e["code"] for e in errors] for field, errors in body["errors"].items()} == {
        "status": ["invalid_choice"],
        "especialidade": ["invalid_choice"],
        "id_medicamento": ["invalid"],
        "cursor": ["cursor_invalido"],
        "page_size": ["min_value"],
    }
    assert all(e["message"] for errors in body["errors"].values() for e in errors)
    reversed_range = reader_client.get(URL, {"data_de": "2024-02-01", "data_ate": "2024-01-01"}).json()
    assert reversed_range["errors"] == {
        "data_ate": [{"code": "intervalo_invalido", "message": "data_ate é anterior a data_de."}]
    }


def test_date_range_is_whole_days_in_sao_paulo(reader_client, article_prescription):
    # 2023-05-20T14:30Z is 11:30 on the 20th in São Paulo.
    assert reader_client.get(URL, {"data_de": "2023-05-20", "data_ate": "2023-05-20"}).json()["count"] == 1
    assert reader_client.get(URL, {"data_de": "2023-05-21"}).json()["count"] == 0


def test_anonymous_is_401_and_users_outside_the_groups_are_403(anon_client, db):
    response = anon_client.get(URL, {"q": "maria"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    outsider = APIClient()
    outsider.force_authenticate(User.objects.create_user("visitante", password="senha-forte-123"))
    response = outsider.get(URL, {"q": "maria"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Somente a farmácia (grupo 'farmacia'), prescritores ou a equipe podem consultar.",
        "code": "permission_denied",
        "errors": {},
    }


def test_writers_and_staff_may_search_too(writer_client, staff_user, article_prescription):
    assert writer_client.get(URL, {"q": "maria"}).json()["count"] == 1
    staff = APIClient()
    staff.force_authenticate(staff_user)
    assert staff.get(URL, {"q": "maria"}).json()["count"] == 1


def test_a_search_costs_a_constant_number_of_queries(
    reader_client, article_prescription, second_prescription_like, django_assert_num_queries
):
    # permission check, the words' normalization, one statement for the page of hits and the facets
    with django_assert_num_queries(3):
        assert reader_client.get(URL, {"q": "aspirina maria"}).status_code == 200


def test_the_openapi_schema_documents_the_search_and_the_receita(reader_client):
    schema = reader_client.get("/api/schema/?format=json").json()
    search = schema["paths"]["/api/pharmacy/busca/"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {
        "q", "status", "data_de", "data_ate", "especialidade", "id_medicamento", "id_paciente", "cursor", "page_size"
    }  # fmt: skip
    assert {"200", "400", "401", "403"} <= set(search["responses"])
    receita = schema["paths"]["/api/pharmacy/prescricoes/{prescricao_id}/receita/"]["get"]
    assert set(receita["responses"]["200"]["content"]) == {"text/html", "application/pdf"}
