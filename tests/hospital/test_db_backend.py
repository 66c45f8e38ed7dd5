"""The database backend's health check (`hospital.db`): no round trip while quiet, a dropped connection replaced.

The first tests talk to the backend directly on a connection of their own; the last runs the shipped
gunicorn (one thread, so its one connection is the one reused) and has the server drop that connection,
as a restart or an operator's `pg_terminate_backend` would.
"""

import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, connections
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from rest_framework.authtoken.models import Token

from tests.celery.conftest import ROOT, _database_url, _free_port

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = "SELECT 'ultima consulta da conexao'"


def _poll(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        time.sleep(0.02)
    return result


def _activity(pid: int):
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()


@pytest.fixture
def own_connection():
    """A second connection to the test database, under the same settings as `default`."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_a_quiet_connection_is_usable_without_a_query(own_connection):
    with own_connection.cursor() as cursor:
        cursor.execute(MARKER)
        pid = own_connection.connection.info.backend_pid
    assert own_connection.is_usable()
    assert own_connection.is_usable()
    assert _activity(pid) == ("idle", MARKER)  # Django's own check would have left `SELECT 1` here


def test_a_connection_the_server_dropped_is_not_usable(own_connection):
    pid = own_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _poll(lambda: _activity(pid) is None)
    assert not own_connection.is_usable()


def test_a_connection_inside_a_transaction_is_asked(own_connection):
    own_connection.connection.execute("BEGIN")
    pid = own_connection.connection.info.backend_pid
    assert own_connection.is_usable()
    assert _activity(pid)[1] == "SELECT 1"
    own_connection.connection.execute("ROLLBACK")


TIMES = "SELECT %s::timestamptz, %s::timestamptz"
INSTANTS = ["2023-05-20T14:30:00.123456Z", "2023-05-20T11:30:00-03:00"]


def test_a_prepared_cursor_reads_instants_as_the_orm_does_with_psycopgs_loader(own_connection):
    with own_connection.cursor() as cursor:
        cursor.execute(TIMES, INSTANTS)
        expected = cursor.fetchone()
    with own_connection.prepared_cursor() as cursor:
        cursor.execute(TIMES, INSTANTS)
        loaded = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, psycopg.pq.Format.TEXT)
    assert (
        loaded
        == expected
        == (
            dt.datetime(2023, 5, 20, 14, 30, 0, 123456, tzinfo=dt.UTC),
            dt.datetime(2023, 5, 20, 14, 30, tzinfo=dt.UTC),
        )
    )
    assert [moment.tzinfo for moment in loaded] == [dt.UTC, dt.UTC]
    assert loader is psycopg.adapters.get_loader(TIMESTAMPTZ_OID, psycopg.pq.Format.TEXT)  # the C one, not Django's


def _get(port: int, path: str, token: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Token {token}"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _web_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_the_first_read_after_the_server_drops_the_web_connection_is_answered(tmp_path, article_prescription):
    user = User.objects.create_user("farmacia_conexao", password="senha-forte-123")
    user.groups.add(Group.objects.get_or_create(name="farmacia")[0])
    token = Token.objects.create(user=user).key
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "hospital.settings"}
    log = (tmp_path / "web.log").open("wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hospital.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "1", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    paths = [f"/api/pharmacy/prescricoes/{article_prescription.pk}/", "/api/pharmacy/status/"]
    try:
        _poll(lambda: _answers(port, paths[1], token), timeout=60)
        for path in paths:
            assert _get(port, path, token)[0] == 200
        dropped = _web_backends()
        assert dropped, "the web kept no connection"
        with psycopg.connect(_database_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [dropped])
        _poll(lambda: not set(dropped) & set(_web_backends()))
        status, body = _get(port, paths[0], token)
        assert (status, body["id_prescricao"]) == (200, article_prescription.pk), body
        assert _get(port, paths[1], token)[0] == 200
    finally:
        web.terminate()
        web.wait(30)
        log.close()


def _answers(port: int, path: str, token: str) -> bool:
    try:
        return _get(port, path, token)[0] == 200
    except OSError:
        return False
