"""Every error under `/api/` in the one error shape, whoever produced it.

DRF's views answer their errors through `hospital.api.exceptions.exception_handler`.
Some errors never reach a DRF view: a URL that matches no route (or an id
past bigint, which the converter refuses), a body over the size limit, a
POST missing its trailing slash, an exception Django turns into a 400 or a
500 page. `ApiErrorMiddleware`, first in `MIDDLEWARE`, makes those answer
too as JSON ``{"detail", "code", "errors"}`` (never an HTML or debug page,
whatever `DEBUG` says), and renders DRF's error responses as JSON even when
the browsable API was negotiated. Outside `/api/` (the admin) nothing
changes.

Codes follow DRF's for the same condition (`not_found`,
`method_not_allowed`, ...), so a client sees one code whichever layer
refused the request.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework.response import Response

API_PREFIX = "/api/"
ERROR_KEYS = ("detail", "code", "errors")

#: status -> (code, detail) for errors that carry nothing more specific.
_GENERIC = {
    400: ("bad_request", "Requisição inválida."),
    401: ("not_authenticated", "As credenciais de autenticação não foram fornecidas."),
    403: ("permission_denied", "Você não tem permissão para executar essa ação."),
    404: ("not_found", "Recurso não encontrado: nenhuma rota da API corresponde a este endereço."),
    405: ("method_not_allowed", "Método não permitido neste endereço."),
    406: ("not_acceptable", "Não é possível responder no formato pedido em Accept; a API responde JSON."),
    413: ("request_too_large", "Corpo da requisição grande demais."),
    415: ("unsupported_media_type", "Tipo de mídia não suportado; envie application/json."),
    500: ("server_error", "Erro interno do servidor; nada foi confirmado por esta resposta. Tente de novo."),
}
# Headers of the replaced response that must not describe the new body.
_BODY_HEADERS = {"content-type", "content-length", "content-disposition", "content-encoding"}


def error_body(status: int, *, detail: str | None = None, code: str | None = None) -> dict:
    """The one error shape for `status`, with a generic code and message unless given."""
    generic_code, generic_detail = _GENERIC.get(status, ("server_error" if status >= 500 else "erro", ""))
    return {"detail": detail or generic_detail or f"HTTP {status}", "code": code or generic_code, "errors": {}}


def _json(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def error_response(status: int, *, detail: str | None = None, code: str | None = None) -> JsonResponse:
    return _json(error_body(status, detail=detail, code=code), status)


def _too_large(limit: int) -> JsonResponse:
    return error_response(
        413, detail=f"Corpo da requisição grande demais: o limite é de {limit} bytes. Nada foi gravado."
    )


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _resolves(path: str, urlconf: str | None) -> bool:
    try:
        resolve(path, urlconf)
    except Resolver404:
        return False
    return True


def _missing_slash(request) -> JsonResponse | None:
    """A 404 naming the right URL when only the trailing slash is missing (never a redirect: it would drop a POST)."""
    path = request.path_info
    if path.endswith("/"):
        return None
    urlconf = getattr(request, "urlconf", None)
    if _resolves(path, urlconf) or not _resolves(f"{path}/", urlconf):
        return None
    return error_response(404, detail=f"Endereço sem a barra final: use {request.path}/ (nada foi executado).")


def _shaped(data) -> bool:
    return isinstance(data, dict) and all(key in data for key in ERROR_KEYS)


def _json_body(response: HttpResponse):
    if not response.get("Content-Type", "").startswith("application/json") or response.streaming:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _as_error_shape(response: HttpResponse) -> HttpResponse:
    """`response` if it already is JSON in the error shape, else a JSON one with its status and headers."""
    data = response.data if isinstance(response, Response) else _json_body(response)
    if _shaped(data) and response.get("Content-Type", "").startswith("application/json"):
        return response
    body = {key: data[key] for key in ERROR_KEYS} if _shaped(data) else error_body(response.status_code)
    shaped = _json(body, response.status_code)
    for header, value in response.items():
        if header.lower() not in _BODY_HEADERS:
            shaped[header] = value
    shaped.cookies = response.cookies
    return shaped


class ApiErrorMiddleware:
    """Answers every `/api/` error in the one JSON error shape (see the module doc). Goes first in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # None: no limit
        if limit is not None and _declared_length(request) > limit:
            return _too_large(limit)
        response = _missing_slash(request) or self.get_response(request)
        if response.status_code >= 400:
            response = _as_error_shape(response)
        return response

    def process_exception(self, request, exception):
        """A body found too large while a view reads it (no usable Content-Length) is a 413, not Django's 400."""
        if request.path_info.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None
