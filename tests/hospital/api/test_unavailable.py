"""Requests while PostgreSQL cannot be reached: 503 with Retry-After in the error shape, then service resumes."""

import contextlib
import socket

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def database_unreachable():
    """Point the connection at a port nobody listens on (a real refused connection), then back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]  # closed again before use: connecting is refused
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(dead_port), OPTIONS={})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _token_client(username: str, group: str) -> APIClient:
    """A client with a real token (authentication reads the database) of a new member of `group`."""
    user = User.objects.create_user(username=username, password="senha-forte-123")
    user.groups.add(Group.objects.get_or_create(name=group)[0])  # a flush by an earlier test drops the migration's
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "O banco de dados está indisponível no momento; tente de novo em 5 segundos.",
        "code": "banco_indisponivel",
        "errors": {},
    }


def test_api_and_admin_answer_503_while_the_database_is_down_and_work_after():
    reader, writer = _token_client("farmacia1", "farmacia"), _token_client("prescritor1", "prescritor")
    staff = APIClient()
    staff.force_login(User.objects.create_superuser("admin1", "admin@example.org", "senha-forte-123"))
    with database_unreachable():
        _assert_unavailable(reader.get("/api/pharmacy/itens/"))
        _assert_unavailable(reader.get("/api/pharmacy/status/"))
        _assert_unavailable(writer.post("/api/commands/prescricoes/", {"medicamentos": []}, format="json"))
        _assert_unavailable(staff.get("/admin/prescriptions/prescricao/"))
    response = reader.get("/api/pharmacy/itens/")
    assert response.status_code == 200 and response.json()["results"] == []
    assert staff.get("/admin/prescriptions/prescricao/").status_code == 200
