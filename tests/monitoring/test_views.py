"""/metrics, /healthz and /readyz through Django's full stack against the test database."""

import pytest
from django.test import Client, override_settings

from tests.celery.conftest import _free_port
from tests.monitoring.processes import sample as _sample

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_anything():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_lists_every_check_when_ready():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


@override_settings(READ_MODEL_SYNC="celery", REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0")
def test_readyz_is_503_naming_the_broker_when_redis_is_unreachable_in_celery_mode():
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "servico_indisponivel"
    assert body["detail"] == "Não pronto: broker."
    assert list(body["errors"]) == ["broker"]
    [error] = body["errors"]["broker"]
    assert error["code"] == "broker_inacessivel"
    assert error["message"].startswith("O broker (Redis) não respondeu: ConnectionError")


def test_metrics_show_requests_queries_and_the_sync_gauges(reader_client, article_prescription):
    client = Client()
    before = _sample(
        client.get("/metrics").content.decode(), "http_requests_total", method="GET", route="healthz", status="200"
    )
    client.get("/healthz")
    reader_client.get(f"/api/pharmacy/prescricoes/{article_prescription.pk}/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    page = response.content.decode()
    assert _sample(page, "http_requests_total", method="GET", route="healthz", status="200") == (before or 0) + 1
    route = "api/pharmacy/prescricoes/<bigint:prescricao_id>/"
    assert _sample(page, "http_requests_total", method="GET", route=route, status="200") >= 1
    assert _sample(page, "http_request_duration_seconds_count", method="GET", route=route) >= 1
    assert _sample(page, "db_queries_total", alias="default") >= 1
    assert _sample(page, "sync_status_up") == 1
    assert _sample(page, "sync_mode_info", configured="trigger", database="trigger") == 1
    assert _sample(page, "sync_backlog_events") == 0
    assert _sample(page, "sync_dead_letters") == 0
    assert _sample(page, "sync_projection_lag_events") == 0
    assert _sample(page, "sync_last_position") >= 1  # the prescription's event


def test_metrics_need_a_loopback_client_without_a_token():
    response = Client().get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Sem METRICS_TOKEN configurado, só clientes locais (loopback) leem as métricas.",
        "code": "permissao_negada",
        "errors": {},
    }


@override_settings(METRICS_TOKEN="s3gredo")
def test_metrics_need_the_bearer_token_when_one_is_set():
    client = Client()
    refused = client.get("/metrics")  # loopback is not enough once a token is configured
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert refused.json() == {
        "detail": "Métricas exigem 'Authorization: Bearer <METRICS_TOKEN>'.",
        "code": "nao_autenticado",
        "errors": {},
    }
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer errado").status_code == 401
    allowed = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3gredo")
    assert allowed.status_code == 200
    assert _sample(allowed.content.decode(), "sync_status_up") == 1
