"""The authorization matrix: every route of the URLconf x every kind of caller -> the status it gets.

`MATRIX` is the one table to edit. Its keys are routes as the URLconf spells
them (`ResolverMatch.route`); each maps the route's methods to the expected
status for (anonymous, bad token, farmacia, prescritor, staff). The test
walks the resolver: a route with no row fails with a message naming it, a row
for a route that is gone fails too, and so does a method the view answers
that has no column. API callers authenticate with a token; the admin's with a
session (its callers never reach a view unless staff).

Requests are well-formed and name objects that exist (`_world`), so a
status says who may call, not whether the input was good; every 4xx is
checked for the one error shape. Each (route, method, caller) runs on a fresh
database, so a write by one caller does not change what the next one sees.
"""

import json
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.authtoken.models import Token

from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.conftest import _client as client_for
from tests.conftest import _user
from tests.hospital.error_shape import assert_django_error
from tests.prontuario.conftest import integration_user, triage, visit_opened

CALLERS = ("anonymous", "bad token", "farmacia", "prescritor", "clinico", "integracao", "staff")
ANY = (200,) * len(CALLERS)
READ = (401, 401, 200, 200, 403, 403, 200)  # the pharmacy's read models
WRITE_CREATED = (401, 401, 403, 201, 403, 403, 201)
WRITE_OK = (401, 401, 403, 200, 403, 403, 200)
RECORDS = (401, 401, 403, 403, 200, 403, 200)  # patient records: clinicians and staff

#: route -> method -> expected status for CALLERS, in that order.
MATRIX: dict[str, dict[str, tuple[int, ...]]] = {
    # public: credentials travel in the body, the Authorization header is not read
    "api/auth/token/": {"POST": ANY},
    # public: the landing page's links, and the documentation (no patient data)
    "": {"GET": ANY},
    "api/schema/": {"GET": ANY},
    # operators' endpoints: health for a load balancer; metrics for loopback scrapers (the test client is local)
    "healthz": {"GET": ANY},
    "readyz": {"GET": ANY},
    "metrics": {"GET": ANY},
    "api/docs/": {"GET": ANY},
    # commands: prescribers and staff
    "api/commands/prescricoes/": {"POST": WRITE_CREATED},
    "api/commands/prescricoes/<bigint:prescricao_id>/medicamentos/": {"POST": WRITE_CREATED},
    "api/commands/prescricoes/<bigint:prescricao_id>/medicamentos/<bigint:item_id>/": {"DELETE": WRITE_OK},
    "api/commands/prescricoes/<bigint:prescricao_id>/cancelar/": {"POST": WRITE_OK},
    # pharmacy reads: farmacia, prescribers and staff
    "api/pharmacy/itens/": {"GET": READ},
    "api/pharmacy/prescricoes/": {"GET": READ},
    "api/pharmacy/prescricoes/<bigint:prescricao_id>/": {"GET": READ},
    "api/pharmacy/prescricoes/<bigint:prescricao_id>/receita/": {"GET": READ},
    "api/pharmacy/busca/": {"GET": READ},
    "api/pharmacy/status/": {"GET": READ},
    # the registry's ids, for prescribing systems (and the pharmacy)
    "api/cadastros/medicos/$": {"GET": READ},
    "api/cadastros/medicos/(?P<pk>[^/.]+)/$": {"GET": READ},
    "api/cadastros/pacientes/$": {"GET": READ},
    "api/cadastros/pacientes/(?P<pk>[^/.]+)/$": {"GET": READ},
    "api/cadastros/medicamentos/$": {"GET": READ},
    "api/cadastros/medicamentos/(?P<pk>[^/.]+)/$": {"GET": READ},
    # other hospital systems deliver their own source's events; nobody else may
    "api/integracoes/eventos/": {"POST": (401, 401, 403, 403, 403, 200, 403)},
    # the consolidated patient record
    "api/prontuarios/<bigint:id_paciente>/": {"GET": RECORDS},
    "api/prontuarios/<bigint:id_paciente>/atendimentos/<str:id_atendimento>/": {"GET": RECORDS},
    # the admin: every route under admin/ not listed here sends non-staff to the login page (ADMIN_DEFAULT)
    "admin/login/": {"GET": (200,) * (len(CALLERS) - 1) + (302,)},
    "admin/logout/": {"GET": (302,) * (len(CALLERS) - 1) + (405,)},  # logging out takes a POST
}
#: Every other admin route: non-staff callers are redirected to the login page; staff get past it (whatever the
#: model permissions then say, never a 5xx).
ADMIN_PREFIX = "admin/"
TO_LOGIN, PAST_LOGIN = "login redirect", "past the login"
ADMIN_DEFAULT = (TO_LOGIN,) * (len(CALLERS) - 1) + (PAST_LOGIN,)

#: Request bodies by route (JSON), built from `_world`; routes not listed get none.
BODIES = {
    "api/auth/token/": lambda world: {"username": "prescritor1", "password": "senha-forte-123"},
    "api/commands/prescricoes/": lambda world: {
        "id_medico": world.medico,
        "id_paciente": world.paciente,
        "medicamentos": [{"id_medicamento": world.medicamento, "horario": "09:00", "dosagem": "1 comprimido"}],
    },
    "api/commands/prescricoes/<bigint:prescricao_id>/medicamentos/": lambda world: {
        "id_medicamento": world.medicamento,
        "horario": "12:00",
        "dosagem": "1 comprimido",
    },
    "api/commands/prescricoes/<bigint:prescricao_id>/cancelar/": lambda world: {"motivo": "teste"},
    "api/integracoes/eventos/": lambda world: {
        "eventos": [triage("matriz-1", paciente=world.paciente, atendimento="ATD-M")]
    },
}


def _walk(patterns, prefix: str = ""):
    """(route, pattern) of every URL pattern, the route joined as `ResolverMatch.route` joins it."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _routes() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver().url_patterns))


def _allowed_methods(pattern: URLPattern) -> set[str]:
    actions = getattr(pattern.callback, "actions", None)  # a viewset's route: the methods it maps
    if actions:
        return {method.upper() for method in actions} - {"HEAD", "OPTIONS"}
    view_class = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return set()
    names = set(view_class.http_method_names) - {"options", "head"}
    return {name.upper() for name in names if hasattr(view_class, name)}


def _expected(route: str) -> dict[str, tuple]:
    return MATRIX.get(route) or ({"GET": ADMIN_DEFAULT} if route.startswith(ADMIN_PREFIX) else {})


def test_every_route_has_a_row_and_every_row_a_route():
    routes = _routes()
    missing = [route for route in routes if not _expected(route)]
    assert not missing, (
        f"routes with no row in MATRIX ({__name__}): {missing}. Add one per route: "
        f"{{method: (status for {', '.join(CALLERS)})}}."
    )
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"
    for route in MATRIX:
        if route.startswith("api/"):
            answered = _allowed_methods(routes[route])
            assert set(MATRIX[route]) == answered, f"{route}: the view answers {sorted(answered)}; MATRIX lists others"


@dataclass
class World:
    medico: int
    paciente: int
    medicamento: int
    prescricao: int
    item: int
    tokens: dict[str, str]
    users: dict[str, User]


@pytest.fixture
def world(cardiologista, paciente, aspirina, paracetamol, farmaceutico, prescritor, staff_user) -> World:
    """Objects every route can name, and one user per kind of caller (the visit `ATD-M` exists)."""
    prescricao = commands.create_prescription(
        id_medico=cardiologista.pk,
        id_paciente=paciente.pk,
        data_prescricao=None,
        medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg"), ItemInput(paracetamol.pk, "20:00", "500mg")],
    )
    users = {
        "farmacia": farmaceutico,
        "prescritor": prescritor,
        "clinico": _user("clinico-matriz", group="clinico"),
        "integracao": integration_user("triagem", "triagem-matriz"),
        "staff": staff_user,
    }
    opened = client_for(users["integracao"]).post(
        "/api/integracoes/eventos/",
        {"eventos": [visit_opened("matriz-0", paciente=paciente.pk, atendimento="ATD-M")]},
        format="json",
    )
    assert opened.status_code == 200, opened.content
    return World(
        medico=cardiologista.pk,
        paciente=paciente.pk,
        medicamento=aspirina.pk,
        prescricao=prescricao.pk,
        item=prescricao.itens.order_by("pk").first().pk,
        tokens={name: Token.objects.create(user=user).key for name, user in users.items()} | {"bad token": "0" * 40},
        users=users,
    )


ARGUMENT_VALUES = {"app_label": "hospital", "url": "nada/", "content_type_id": "1", "object_id": "1"}


#: The registry's detail routes name their object `pk`: which of `world`'s ids each one takes.
REGISTRY_PK = {
    "api/cadastros/medicos/": "medico",
    "api/cadastros/pacientes/": "paciente",
    "api/cadastros/medicamentos/": "medicamento",
}


def _url(route: str, world: World) -> str:
    """A concrete URL of `route`: ids of `world` for the API's converters, plausible values for the admin's."""
    registry = next((getattr(world, name) for prefix, name in REGISTRY_PK.items() if route.startswith(prefix)), 1)
    values = {
        "pk": str(registry),
        "prescricao_id": str(world.prescricao),
        "item_id": str(world.item),
        "id_paciente": str(world.paciente),
        "id_atendimento": "ATD-M",
        **ARGUMENT_VALUES,
    }
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: values.get(match[1], "1"), route)  # re_path groups
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values.get(match[1], "1"), url)  # path converters
    return "/" + url.replace("^", "").replace("$", "")


def _client(route: str, caller: str, world: World) -> tuple[Client, dict]:
    client = Client(raise_request_exception=False)
    if caller in world.users and route.startswith(ADMIN_PREFIX):
        client.force_login(world.users[caller])
    elif caller in world.tokens:
        return client, {"HTTP_AUTHORIZATION": f"Token {world.tokens[caller]}"}
    return client, {}


def _call(route: str, method: str, caller: str, world: World):
    client, headers = _client(route, caller, world)
    url = _url(route, world)
    assert resolve(url).route == route, f"{url} does not resolve to {route}"
    body = BODIES[route](world) if route in BODIES else None
    if body is None:
        return getattr(client, method.lower())(url, **headers)
    return getattr(client, method.lower())(url, data=json.dumps(body), content_type="application/json", **headers)


def _assert_status(response, expected, route: str) -> None:
    if expected == TO_LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), response
    elif expected == PAST_LOGIN:
        assert response.status_code < 500 and not response.get("Location", "").startswith("/admin/login/"), response
    elif expected >= 400 and route.startswith("api/"):
        assert_django_error(response, expected)
    else:
        assert response.status_code == expected, (response.status_code, response.content[:300])


API_CASES = [
    pytest.param(route, method, index, id=f"{method} {route} as {caller}")
    for route, methods in MATRIX.items()
    for method, statuses in methods.items()
    for index, caller in enumerate(CALLERS)
    if not route.startswith(ADMIN_PREFIX)
]


@pytest.mark.parametrize(("route", "method", "caller_index"), API_CASES)
def test_api_route_answers_each_caller_as_the_matrix_says(world, route, method, caller_index):
    response = _call(route, method, CALLERS[caller_index], world)
    _assert_status(response, MATRIX[route][method][caller_index], route)


@pytest.mark.parametrize("caller_index", range(len(CALLERS)), ids=CALLERS)
def test_admin_routes_answer_each_caller_as_the_matrix_says(world, caller_index):
    """All admin routes for one caller in one test (the admin only reads here, so they share a database)."""
    admin_routes = [route for route in _routes() if route.startswith(ADMIN_PREFIX)]
    for route in admin_routes:
        for method, statuses in _expected(route).items():
            response = _call(route, method, CALLERS[caller_index], world)
            try:
                _assert_status(response, statuses[caller_index], route)
            except AssertionError as failure:
                raise AssertionError(f"{method} {route} as {CALLERS[caller_index]}: {failure}") from None
