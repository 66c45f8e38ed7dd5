"""Hostile requests by hand: each answers a 4xx in the one error shape, nothing is written, never a 500 or HTML."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from hospital.api.parsers import MAX_JSON_DEPTH
from pharmacy import views as pharmacy_views
from prescriptions.models import Prescricao, PrescricaoMedicamento
from tests.hospital.error_shape import assert_django_error

CREATE = "/api/commands/prescricoes/"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def http(db) -> Client:
    """A test client that answers with the app's response to an exception instead of raising it."""
    return Client(raise_request_exception=False)


@pytest.fixture
def writer(prescritor) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=prescritor).key}"}


@pytest.fixture
def reader(farmaceutico) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=farmaceutico).key}"}


def _create_body(cardiologista, paciente, aspirina, **item) -> dict:
    return {
        "id_medico": cardiologista.pk,
        "id_paciente": paciente.pk,
        "medicamentos": [{"id_medicamento": aspirina.pk, "horario": "08:00", "dosagem": "100mg", **item}],
    }


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", [CREATE, "/api/commands/prescricoes/1/medicamentos/", "/api/auth/token/"])
def test_ten_megabyte_body_is_413_before_anything_reads_it(http, writer, path):
    body = json.dumps({"dosagem": "x" * TEN_MB})
    response = http.post(path, data=body, content_type="application/json", **writer)
    error = assert_django_error(response, 413, "request_too_large")
    assert "2621440 bytes" in error["detail"]
    assert not Prescricao.objects.exists()


def test_ten_megabyte_body_is_413_for_anonymous_too(http):
    response = http.post(CREATE, data="x" * TEN_MB, content_type="application/json")
    assert_django_error(response, 413, "request_too_large")


@pytest.mark.parametrize("depth", [1_000, 100_000, MAX_JSON_DEPTH + 1])
def test_deeply_nested_json_is_a_parse_error_even_anonymously(http, depth):
    response = http.post("/api/auth/token/", data=_nested(depth), content_type="application/json")
    error = assert_django_error(response, 400, "parse_error")
    assert f"no máximo {MAX_JSON_DEPTH} níveis" in error["detail"]


def test_deeply_nested_json_in_a_command_writes_nothing(http, writer, cardiologista, paciente, aspirina):
    body = _create_body(cardiologista, paciente, aspirina)
    body["medicamentos"][0]["dosagem"] = json.loads(_nested(MAX_JSON_DEPTH))
    response = http.post(CREATE, data=json.dumps(body), content_type="application/json", **writer)
    assert_django_error(response, 400, "parse_error")
    assert not Prescricao.objects.exists()


def test_nesting_within_the_limit_reaches_the_serializer(http, writer, cardiologista, paciente, aspirina):
    body = _create_body(cardiologista, paciente, aspirina)
    body["medicamentos"][0]["dosagem"] = json.loads(_nested(MAX_JSON_DEPTH - 3))
    response = http.post(CREATE, data=json.dumps(body), content_type="application/json", **writer)
    error = assert_django_error(response, 400, "dados_invalidos")
    assert list(error["errors"]) == ["medicamentos[0].dosagem"]


def test_nul_byte_in_a_string_is_a_field_error(http, writer, cardiologista, paciente, aspirina):
    body = _create_body(cardiologista, paciente, aspirina, dosagem="100\x00mg")
    response = http.post(CREATE, data=json.dumps(body), content_type="application/json", **writer)
    error = assert_django_error(response, 400, "dados_invalidos")
    assert error["errors"]["medicamentos[0].dosagem"][0]["code"] == "null_characters_not_allowed"
    assert not PrescricaoMedicamento.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("id_medico", "1"), ("id_paciente", 1.0), ("id_medico", True), ("dosagem", 100), ("horario", 800)],
)
def test_json_types_are_not_coerced(http, writer, cardiologista, paciente, aspirina, field, value):
    """The schema says integer or string: `"1"` for an id or `100` for a dosage is refused, not converted."""
    body = _create_body(cardiologista, paciente, aspirina)
    target = body if field in body else body["medicamentos"][0]
    target[field] = value
    response = http.post(CREATE, data=json.dumps(body), content_type="application/json", **writer)
    error = assert_django_error(response, 400, "dados_invalidos")
    path = field if field in body else f"medicamentos[0].{field}"
    assert [e["code"] for e in error["errors"][path]] == ["invalid"]
    assert not Prescricao.objects.exists()


def test_nul_byte_in_credentials_is_a_field_error(http):
    body = {"username": "admin\x00", "password": "x\x00"}
    response = http.post("/api/auth/token/", data=json.dumps(body), content_type="application/json")
    error = assert_django_error(response, 400, "dados_invalidos")
    assert set(error["errors"]) == {"username", "password"}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/pharmacy/prescricoes/1%00/", 404, "not_found"),
        ("/api/pharmacy/%00/", 404, "not_found"),
        ("/api/pharmacy/itens/?id_medico=1%00", 400, "dados_invalidos"),
        ("/api/pharmacy/itens/?data_prescricao__gte=2023-01-01%00", 400, "dados_invalidos"),
        ("/api/pharmacy/itens/?cursor=%00", 400, "dados_invalidos"),
        ("/api/pharmacy/itens/?%00=1", 400, "dados_invalidos"),
    ],
)
def test_nul_byte_in_the_url(http, reader, path, status, code):
    assert_django_error(http.get(path, **reader), status, code)


def test_empty_x_read_after_is_refused_not_ignored(http, reader):
    response = http.get("/api/pharmacy/itens/", HTTP_X_READ_AFTER="", **reader)
    error = assert_django_error(response, 400, "dados_invalidos")
    assert error["errors"]["X-Read-After"][0]["code"] == "read_after_invalido"


def test_nul_byte_in_x_read_after(http, reader):
    response = http.get("/api/pharmacy/status/", HTTP_X_READ_AFTER="1\x00", **reader)
    error = assert_django_error(response, 400, "dados_invalidos")
    assert list(error["errors"]) == ["X-Read-After"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"],
)
def test_wrong_content_type_is_415_and_writes_nothing(http, writer, content_type, cardiologista, paciente, aspirina):
    body = json.dumps(_create_body(cardiologista, paciente, aspirina))
    response = http.post(CREATE, data=body, content_type=content_type, **writer)
    error = assert_django_error(response, 415, "unsupported_media_type")
    assert content_type.split(";")[0] in error["detail"]
    assert not Prescricao.objects.exists()


def test_token_endpoint_takes_a_plain_form(http, prescritor):
    form = "username=prescritor1&password=senha-forte-123"
    response = http.post("/api/auth/token/", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json() == {"token": Token.objects.get(user=prescritor).key}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("get", CREATE, "POST, OPTIONS"),
        ("put", CREATE, "POST, OPTIONS"),
        ("patch", "/api/commands/prescricoes/1/cancelar/", "POST, OPTIONS"),
        ("post", "/api/pharmacy/itens/", "GET, HEAD, OPTIONS"),
        ("delete", "/api/pharmacy/prescricoes/1/", "GET, HEAD, OPTIONS"),
        ("put", "/api/pharmacy/status/", "GET, HEAD, OPTIONS"),
        ("post", "/api/commands/prescricoes/1/medicamentos/1/", "DELETE, OPTIONS"),
    ],
)
def test_method_not_allowed_is_405_with_allow(http, writer, method, path, allow):
    response = getattr(http, method)(path, **writer)
    assert_django_error(response, 405, "method_not_allowed")
    assert response["Allow"] == allow


def test_missing_trailing_slash_on_a_post_names_the_right_url(http, writer, cardiologista, paciente, aspirina):
    body = json.dumps(_create_body(cardiologista, paciente, aspirina))
    response = http.post(CREATE.rstrip("/"), data=body, content_type="application/json", **writer)
    error = assert_django_error(response, 404, "not_found")
    assert f"use {CREATE}" in error["detail"]
    assert not Prescricao.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/nada/",
        "/api/pharmacy/prescricoes/99999999999999999999/",  # past bigint: the converter refuses it
        "/api/pharmacy/prescricoes/abc/",
        "/api/pharmacy/itens",  # no trailing slash on a GET either: no redirect, a 404 naming the URL
    ],
)
def test_unknown_urls_under_api_are_json_404s(http, reader, path):
    assert_django_error(http.get(path, **reader), 404, "not_found")


def test_missing_document_is_a_404_in_the_error_shape(http, reader):
    error = assert_django_error(http.get("/api/pharmacy/prescricoes/987654/", **reader), 404, "not_found")
    assert error["errors"] == {}


def test_browsable_api_errors_are_json_too(http):
    response = http.get("/api/pharmacy/itens/", HTTP_ACCEPT="text/html")
    assert_django_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Token realm="api"' or response["WWW-Authenticate"].startswith("Token")


def test_an_unexpected_exception_is_a_json_500_without_debug_details(http, reader, settings, monkeypatch):
    settings.DEBUG = True

    def broken():
        raise RuntimeError("segredo interno")

    monkeypatch.setattr(pharmacy_views, "sync_status", broken)
    response = http.get("/api/pharmacy/status/", **reader)
    assert_django_error(response, 500, "server_error")
    assert b"segredo" not in response.content and b"Traceback" not in response.content


def test_docs_page_asked_for_json_with_a_bad_token_is_a_406_not_a_500(http):
    response = http.get("/api/docs/", HTTP_AUTHORIZATION="Token ruim", HTTP_ACCEPT="application/json")
    assert_django_error(response, 406, "not_acceptable")


def test_admin_errors_stay_html(http, admin_user_):
    http.force_login(admin_user_)
    response = http.get("/admin/nada/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
