"""Read endpoints refuse query parameters they do not know: a misspelt filter must not widen the answer."""

import pytest

from tests.hospital.error_shape import assert_django_error

pytestmark = pytest.mark.django_db


def test_misspelt_filter_is_a_400_naming_the_accepted_ones(reader_client, article_prescription):
    error = assert_django_error(reader_client.get("/api/pharmacy/itens/?id_pacient=1"), 400, "dados_invalidos")
    assert list(error["errors"]) == ["id_pacient"]
    message = error["errors"]["id_pacient"][0]
    assert message["code"] == "parametro_desconhecido"
    assert "id_paciente" in message["message"] and "page_size" in message["message"]


@pytest.mark.parametrize("path", ["/api/pharmacy/status/?x=1", "/api/pharmacy/prescricoes/1/?id_medico=1"])
def test_endpoints_without_parameters_accept_none(reader_client, path):
    error = assert_django_error(reader_client.get(path), 400, "dados_invalidos")
    assert "nenhum" in next(iter(error["errors"].values()))[0]["message"]


def test_known_parameters_and_format_pass(reader_client, article_prescription):
    response = reader_client.get(
        f"/api/pharmacy/itens/?id_prescricao={article_prescription.pk}&page_size=5&format=json"
    )
    assert response.status_code == 200 and len(response.json()["results"]) == 2


def test_permission_is_checked_before_parameters(anon_client):
    assert_django_error(anon_client.get("/api/pharmacy/itens/?id_pacient=1"), 401, "not_authenticated")


@pytest.mark.parametrize("query", ["id_paciente=", "id_paciente=%20", "data_prescricao__gte=", "cursor=", "page_size="])
def test_a_parameter_without_a_value_is_refused_not_ignored(reader_client, article_prescription, query):
    error = assert_django_error(reader_client.get(f"/api/pharmacy/itens/?{query}"), 400, "dados_invalidos")
    name = query.split("=")[0]
    assert error["errors"] == {
        name: [{"code": "valor_vazio", "message": "Parâmetro sem valor: informe um valor ou retire o parâmetro."}]
    }
