"""/readyz and /healthz of a real gunicorn whose database is unreachable (a port nobody listens on)."""

import json

from tests.celery.conftest import _free_port
from tests.monitoring.processes import Gunicorn, get, poll


def test_readyz_is_503_naming_the_database_while_healthz_stays_200(tmp_path):
    dead = _free_port()
    web = Gunicorn(
        _free_port(), {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead}/hospital"}, tmp_path / "web.log"
    )
    try:
        status, body = poll(f"{web.url}/readyz", lambda status, body: status != 0, 30, "gunicorn to answer")
        assert status == 503, body
        answer = json.loads(body)
        assert answer["code"] == "servico_indisponivel"
        assert answer["detail"] == "Não pronto: database, migrations."
        [database] = answer["errors"]["database"]
        assert database["code"] == "banco_inacessivel"
        assert database["message"].startswith("O banco de dados não respondeu: OperationalError")
        assert answer["errors"]["migrations"] == [
            {"code": "nao_verificado", "message": "Migrações não verificadas: o banco de dados não respondeu."}
        ]
        assert get(f"{web.url}/healthz") == (200, '{"status": "ok"}')  # liveness: do not restart a healthy process
    finally:
        web.stop()
