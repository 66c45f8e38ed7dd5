"""The API documentation as integrators meet it: offline, with real examples, saying how to authenticate."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_real_examples(schema):
    missing = []
    for name, operation in _operations(schema):
        if name == "GET /api/schema/":
            continue
        body = operation.get("requestBody", {}).get("content", {})
        if body and not all(media.get("examples") for media in body.values()):
            missing.append(f"{name} request")
        success = [code for code in operation["responses"] if code.startswith("2")]
        for code in success:
            content = operation["responses"][code].get("content", {})
            if not all(media.get("examples") for media in content.values()):
                missing.append(f"{name} {code}")
    assert missing == []


def test_examples_use_the_articles_prescription_and_hhmm_times(schema):
    text = json.dumps(schema, ensure_ascii=False)
    assert "api.example.org" not in text
    for expected in ("Dr. João Silva", "CRM12345", "Maria Oliveira", "Aspirina", "Paracetamol"):
        assert expected in text
    horarios = re.findall(r'"horario": "([^"]*)"', text)
    assert horarios and all(re.fullmatch(r"\d\d:\d\d", value) for value in horarios)
    create = schema["paths"]["/api/commands/prescricoes/"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/json"} or "application/json" in create
    token = schema["paths"]["/api/auth/token/"]["post"]["requestBody"]["content"]
    assert set(token) == {"application/json"}  # a form-encoded example would send nothing
    example = next(iter(token["application/json"]["examples"].values()))["value"]
    assert example == {"username": "prescritor", "password": "hospital-prescritor"}


def test_security_scheme_explains_the_token_prefix(schema):
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "apiKey" and scheme["name"] == "Authorization"
    assert "Cole `Token <chave>`: a palavra **Token**, um espaço e a chave" in scheme["description"]


def test_docs_page_loads_swagger_ui_from_this_server(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in src for src in sources)
    assert all(src.startswith("/") for src in sources), sources


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (
            None,
            'Credenciais não informadas: envie o cabeçalho "Authorization: Token <chave>" (a palavra Token, um '
            "espaço e a chave; a chave vem de POST /api/auth/token/). Em /api/docs/, clique em Authorize e cole "
            '"Token <chave>".',
        ),
        (
            "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
            'O cabeçalho Authorization não começa por "Token ": envie o cabeçalho "Authorization: Token <chave>" '
            "(a palavra Token, um espaço e a chave; a chave vem de POST /api/auth/token/). Em /api/docs/, clique "
            'em Authorize e cole "Token <chave>".',
        ),
    ],
)
def test_401_says_how_to_send_the_token(client, header, detail):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/pharmacy/itens/", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    code = "not_authenticated" if header is None else "authentication_failed"
    assert response.json() == {"detail": detail, "code": code, "errors": {}}
