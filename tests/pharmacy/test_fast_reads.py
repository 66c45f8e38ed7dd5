"""Plain pharmacy reads answered by the WSGI handler (`pharmacy.fast_reads`) are exactly what the views answer.

Every request is sent twice to the project's WSGI application
(`hospital.wsgi`, what gunicorn serves), once with the fast path on and once
with it off (`PHARMACY_FAST_READS`), and the two responses must have the
same status, headers and bytes. The fast path's counter says which of them
it answered: the plain ones, and no other.
"""

import datetime as dt
from wsgiref.util import setup_testing_defaults

import orjson
import pytest
from django.contrib.auth.models import Group, User
from prometheus_client import REGISTRY
from rest_framework.authtoken.models import Token

from hospital import commands as master
from hospital.wsgi import application
from pharmacy import fast_reads
from pharmacy.fast_reads import FastReadHandler
from pharmacy.pagination import ItemCursorPagination
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.hospital.api.test_unavailable import _assert_unavailable, database_unreachable
from tests.hospital.in_process import requests_keep_the_connection

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS_ROUTE = "api/pharmacy/itens/"
DOCUMENT_ROUTE = "api/pharmacy/prescricoes/<bigint:prescricao_id>/"


@pytest.fixture
def data(article_prescription, paciente, oncologista, quimio, aspirina):
    """The article's prescription and one with the formats that differ when mishandled."""
    sem_endereco = master.register_patient(nome="Zoë d'Ávila 💊", data_nascimento=dt.date(1901, 1, 1))
    odd = commands.create_prescription(
        id_medico=oncologista.pk,
        id_paciente=sem_endereco.pk,
        data_prescricao=dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.UTC),
        medicamentos=[
            ItemInput(quimio.pk, "23:59", "1 ampola — diluída\u2028lenta"),
            ItemInput(aspirina.pk, "00:00", "1"),
        ],
    )
    return {"article": article_prescription, "odd": odd, "paciente": paciente, "sem_endereco": sem_endereco}


def _token(username: str, group: str | None) -> str:
    user = User.objects.create_user(username=username, password="senha-forte-123")
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return Token.objects.create(user=user).key


@pytest.fixture
def reader_token(db) -> str:
    return _token("farmacia_rapida", "farmacia")


def _answered(route: str) -> float:
    return REGISTRY.get_sample_value("pharmacy_fast_reads_total", {"route": route}) or 0.0


def _counted(route: str, status: str = "200") -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def _timed(route: str) -> float:
    labels = {"method": "GET", "route": route}
    return REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0.0


class Answer:
    """A WSGI response as a client reads it: status, header lines in order, body."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes):
        self.status_code = int(status.split(" ", 1)[0])
        self.status, self.headers, self.content = status, headers, content

    def __getitem__(self, name: str) -> str:
        return next(value for key, value in self.headers if key.lower() == name.lower())

    def json(self):
        return orjson.loads(self.content)


def _wsgi(path: str, method: str = "get", scheme: str = "http", app=application, **headers) -> Answer:
    """`method path` (headers as WSGI environ keys) sent to `app` (the project's), read to the end and closed."""
    path_info, _, query = path.partition("?")
    environ = {"REQUEST_METHOD": method.upper(), "PATH_INFO": path_info, "QUERY_STRING": query,
               "HTTP_HOST": "testserver", "wsgi.url_scheme": scheme, **headers}  # fmt: skip
    setup_testing_defaults(environ)
    started = []
    with requests_keep_the_connection():
        response = app(environ, lambda status, header_lines, exc_info=None: started.append((status, header_lines)))
        try:
            content = b"".join(response)
        finally:
            response.close()
    return Answer(*started[0], content)


def _both_ways(settings, path: str, token: str | None, **headers) -> tuple[Answer, Answer]:
    """(fast path on, fast path off) responses to the same request, each after a warm-up that fills the token cache."""
    if token is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"Token {token}")
    warm_up = {key: headers[key] for key in ("scheme", "app") if key in headers}
    responses = []
    for enabled in (True, False):
        settings.PHARMACY_FAST_READS = enabled
        _wsgi("/api/pharmacy/status/", HTTP_AUTHORIZATION=headers.get("HTTP_AUTHORIZATION", ""), **warm_up)
        responses.append(_wsgi(path, **headers))
    return tuple(responses)


def _same(fast: Answer, slow: Answer) -> None:
    if fast["Content-Type"].startswith("text/html"):  # the browsable API: a fresh CSRF token on each page
        assert (fast.status, fast["Content-Type"]) == (slow.status, slow["Content-Type"])
        return
    assert (fast.status, sorted(fast.headers), fast.content) == (slow.status, sorted(slow.headers), slow.content)


def _plain_requests(data) -> list[tuple[str, str]]:
    article, odd = data["article"], data["odd"]
    return [
        (ITEMS_ROUTE, f"/api/pharmacy/itens/?id_prescricao={article.pk}"),
        (ITEMS_ROUTE, f"/api/pharmacy/itens/?id_prescricao={odd.pk}"),
        (ITEMS_ROUTE, f"/api/pharmacy/itens/?id_paciente={data['sem_endereco'].pk}"),
        (ITEMS_ROUTE, f"/api/pharmacy/itens/?id_paciente={data['paciente'].pk}&id_medico={article.medico_id}"),
        (ITEMS_ROUTE, f"/api/pharmacy/itens/?id_medicamento={odd.itens.first().medicamento_id}"),
        (ITEMS_ROUTE, "/api/pharmacy/itens/?id_paciente=999999"),  # nobody's: an empty page
        (DOCUMENT_ROUTE, f"/api/pharmacy/prescricoes/{article.pk}/"),
        (DOCUMENT_ROUTE, f"/api/pharmacy/prescricoes/{odd.pk}/"),
    ]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_plain_reads_are_answered_by_the_fast_path_with_the_views_bytes_and_headers(settings, data, reader_token,
                                                                                    accept):  # fmt: skip
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}
    for route, path in _plain_requests(data):
        before = _answered(route), _counted(route), _timed(route)
        fast, slow = _both_ways(settings, path, reader_token, **extra)
        assert (_answered(route), _counted(route), _timed(route)) == (before[0] + 1, before[1] + 2, before[2] + 2), path
        assert fast.status_code == 200, (path, fast.content)
        _same(fast, slow)
    odd = _both_ways(settings, f"/api/pharmacy/prescricoes/{data['odd'].pk}/", reader_token)[0]
    assert b"dilu\xc3\xadda\\u2028lenta" in odd.content  # escaped for JavaScript, as DRF writes it
    document = odd.json()
    assert (document["paciente"]["endereco"], document["data_prescricao"]) == (None, "2024-02-29T23:59:58.123456Z")
    assert {item["dosagem"] for item in document["medicamentos"]} == {"1", "1 ampola — diluída\u2028lenta"}


def test_requests_that_are_not_plain_go_through_the_views(settings, data, reader_token, monkeypatch):
    article = data["article"]
    items = f"/api/pharmacy/itens/?id_prescricao={article.pk}"
    document = f"/api/pharmacy/prescricoes/{article.pk}/"
    not_plain = [
        (items, {"HTTP_COOKIE": "sessionid=x"}),
        (items, {"HTTP_ACCEPT_LANGUAGE": "en"}),
        (items, {"HTTP_X_READ_AFTER": "0"}),
        (items, {"HTTP_ACCEPT": "text/html"}),
        (items, {"HTTP_ACCEPT": "application/json; indent=4"}),
        (items, {"method": "head"}),
        (items, {"HTTP_AUTHORIZATION": "Token nao-existe"}),
        (items, {"HTTP_AUTHORIZATION": reader_token}),  # the key without "Token "
        (items + "&format=json", {}),
        (items + "&page_size=1", {}),
        (items + "&cursor=cD0yMDIz", {}),
        (items + f"&id_prescricao={article.pk}", {}),  # a filter twice
        (items + "&id_paciente=", {}),
        ("/api/pharmacy/itens/?id_paciente=-1", {}),
        ("/api/pharmacy/itens/?id_paciente=1.0", {}),
        ("/api/pharmacy/itens/?id_paciente=%EF%BC%91", {}),  # a full-width digit: not plain ASCII
        ("/api/pharmacy/itens/?id_paciente=1234567890123456789", {}),  # past 18 digits
        ("/api/pharmacy/itens/?data_prescricao__gte=2023-01-01T00:00:00Z", {}),
        ("/api/pharmacy/itens/", {}),  # the whole worklist, in pages
        ("/api/pharmacy/itens", {}),
        (document + "?format=json", {}),
        ("/api/pharmacy/prescricoes/999999/", {}),  # no such prescription: the views' 404
        (f"/api/pharmacy/prescricoes/{article.pk}/receita/", {}),
        ("/api/pharmacy/prescricoes/?id_paciente=1", {}),
    ]
    for path, headers in not_plain:
        before = _answered(ITEMS_ROUTE), _answered(DOCUMENT_ROUTE)
        fast, slow = _both_ways(settings, path, reader_token, **headers)
        assert (_answered(ITEMS_ROUTE), _answered(DOCUMENT_ROUTE)) == before, (path, headers)
        _same(fast, slow)
    monkeypatch.setattr(ItemCursorPagination, "page_size", 1)  # the article's two items now take two pages
    before = _answered(ITEMS_ROUTE)
    fast, slow = _both_ways(settings, items, reader_token)
    assert _answered(ITEMS_ROUTE) == before and fast.json()["next"] is not None
    _same(fast, slow)


def test_who_may_not_read_gets_the_views_refusal(settings, data):
    outsider = _token("sem_grupo", None)
    path = f"/api/pharmacy/prescricoes/{data['article'].pk}/"
    before = _answered(DOCUMENT_ROUTE)
    fast, slow = _both_ways(settings, path, outsider)
    assert _answered(DOCUMENT_ROUTE) == before
    assert fast.status_code == 403 and fast.json()["code"] == "permission_denied"
    _same(fast, slow)


def test_a_revoked_token_stops_at_once_in_this_process(settings, data, reader_token):
    path = f"/api/pharmacy/prescricoes/{data['article'].pk}/"
    assert _both_ways(settings, path, reader_token)[0].status_code == 200
    Token.objects.filter(key=reader_token).delete()
    settings.PHARMACY_FAST_READS = True
    response = _wsgi(path, HTTP_AUTHORIZATION=f"Token {reader_token}")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_plain_read_while_the_database_is_unreachable_gets_the_503(settings, data, reader_token):
    path = f"/api/pharmacy/itens/?id_prescricao={data['article'].pk}"
    warm = _wsgi(path, HTTP_AUTHORIZATION=f"Token {reader_token}")  # the token is now in the cache
    assert warm.status_code == 200
    before = _answered(ITEMS_ROUTE)
    with database_unreachable():
        _assert_unavailable(_wsgi(path, HTTP_AUTHORIZATION=f"Token {reader_token}"))
    assert _answered(ITEMS_ROUTE) == before
    assert _wsgi(path, HTTP_AUTHORIZATION=f"Token {reader_token}").status_code == 200


def test_an_https_redirect_due_goes_through_the_views(settings, data, reader_token):
    settings.SECURE_SSL_REDIRECT = True
    app, auth = FastReadHandler(), {"HTTP_AUTHORIZATION": f"Token {reader_token}"}  # the app reads the setting above
    path = f"/api/pharmacy/prescricoes/{data['article'].pk}/"
    assert _wsgi("/api/pharmacy/status/", scheme="https", app=app, **auth).status_code == 200  # the token is cached
    before = _answered(DOCUMENT_ROUTE)
    fast = _wsgi(path, app=app, **auth)
    settings.PHARMACY_FAST_READS = False
    slow = _wsgi(path, app=app, **auth)
    assert _answered(DOCUMENT_ROUTE) == before
    assert (fast.status_code, fast["Location"]) == (301, f"https://testserver{path}")
    _same(fast, slow)


def test_over_https_the_fast_path_sends_the_views_strict_transport_security(settings, data, reader_token):
    settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS = True, 3600
    path = f"/api/pharmacy/prescricoes/{data['article'].pk}/"
    before = _answered(DOCUMENT_ROUTE)
    fast, slow = _both_ways(settings, path, reader_token, scheme="https", app=FastReadHandler())
    assert _answered(DOCUMENT_ROUTE) == before + 1
    assert (fast.status_code, fast["Strict-Transport-Security"]) == (200, "max-age=3600")
    _same(fast, slow)


def test_a_fast_path_that_fails_unexpectedly_is_logged_and_the_views_answer(settings, data, reader_token, monkeypatch,
                                                                            caplog):  # fmt: skip
    def broken(document):
        raise RuntimeError("a bug in the fast path")

    monkeypatch.setattr(fast_reads, "_json", broken)
    path = f"/api/pharmacy/prescricoes/{data['article'].pk}/"
    before = _answered(DOCUMENT_ROUTE)
    fast, slow = _both_ways(settings, path, reader_token)
    assert _answered(DOCUMENT_ROUTE) == before
    assert fast.status_code == 200 and fast.json()["id_prescricao"] == data["article"].pk
    _same(fast, slow)
    failures = [record for record in caplog.records if record.name == "pharmacy.fast_reads"]
    assert [(record.getMessage(), record.exc_info[1].args) for record in failures] == [
        (f"Fast read of {path} failed; the views answer it", ("a bug in the fast path",))
    ]
