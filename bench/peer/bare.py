"""The limit: the read endpoints' SQL through psycopg, the same JSON written with orjson, no framework.

A WSGI callable for `/bare/itens/?id_prescricao=N` (or `id_paciente=N`) and
`/bare/prescricoes/N/`. One autocommit connection per gunicorn thread, kept
open; statements prepared by psycopg after their first use. No
authentication: what a request costs when nothing but the query and the
rendering stand between the socket and the database.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from urllib.parse import parse_qsl

import orjson
import psycopg

COLUMNS = (
    "id, id_prescricao, data_prescricao, id_medico, nome_medico, especialidade_medico, crm_medico, id_paciente, "
    "nome_paciente, data_nascimento_paciente, endereco_paciente, id_medicamento, nome_medicamento, "
    "descricao_medicamento, horario, dosagem"
)
NAMES = [name.strip() for name in COLUMNS.split(",")]
ITEMS_SQL = {
    key: f"SELECT {COLUMNS} FROM vw_prescricoes_medicamentos_detalhadas WHERE {key} = %s "
    "ORDER BY data_prescricao DESC, id DESC LIMIT 51"
    for key in ("id_prescricao", "id_paciente")
}
DOCUMENT_SQL = "SELECT documento FROM vw_prescricoes_documentos WHERE id_prescricao = %s"
PAGE_SIZE = 50

_local = threading.local()


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, options="-c timezone=UTC")
        _local.conn = conn
    return conn


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")  # DRF's DateTimeField with UTC


def _row(values: tuple) -> dict:
    row = dict(zip(NAMES, values, strict=True))
    row["data_prescricao"] = _utc(row["data_prescricao"])
    row["data_nascimento_paciente"] = row["data_nascimento_paciente"].isoformat()
    row["horario"] = row["horario"].strftime("%H:%M")
    return row


def _json(start_response, status: str, body) -> list[bytes]:
    payload = orjson.dumps(body)
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def items(query: dict, start_response) -> list[bytes]:
    key = next((k for k in ITEMS_SQL if k in query), None)
    if key is None or not query[key].isdigit():
        return _json(start_response, "400 Bad Request", {"detail": "filtro", "code": "dados_invalidos", "errors": {}})
    rows = _connection().execute(ITEMS_SQL[key], [int(query[key])]).fetchall()
    if len(rows) > PAGE_SIZE:  # the bench's pages are shorter; a cursor link is not the limit's business
        raise NotImplementedError("more than one page")
    return _json(start_response, "200 OK", {"next": None, "previous": None, "results": [_row(r) for r in rows]})


def document(id_prescricao: str, start_response) -> list[bytes]:
    row = _connection().execute(DOCUMENT_SQL, [int(id_prescricao)]).fetchone() if id_prescricao.isdigit() else None
    if row is None:
        return _json(start_response, "404 Not Found", {"detail": "Não encontrado.", "code": "not_found", "errors": {}})
    return _json(start_response, "200 OK", row[0])


def application(environ, start_response) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/bare/itens/":
        return items(dict(parse_qsl(environ.get("QUERY_STRING", ""))), start_response)
    if path.startswith("/bare/prescricoes/") and path.endswith("/"):
        return document(path[len("/bare/prescricoes/") : -1], start_response)
    return _json(start_response, "404 Not Found", {"detail": "Não encontrado.", "code": "not_found", "errors": {}})
