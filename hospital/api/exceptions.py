"""API plumbing shared by the command and read endpoints.

One exception handler gives every error response the same shape::

    {"detail": "...", "code": "...", "errors": {"medicamentos[0].horario": [{"code": "...", "message": "..."}]}}

`DomainError`s from the commands become 400/404/409 with their field errors;
DRF's own errors (validation, parse, auth, permission) keep their status.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from hospital.api.authentication import explain_not_authenticated
from hospital.errors import DomainError

EVENT_POSITION_HEADER = "X-Event-Position"


def _child_path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):  # ListField errors are keyed by the item's index
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _flatten(details: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """DRF's nested `get_full_details()` as {"a.b[0].c": [{"code", "message"}]}."""
    if isinstance(details, dict) and {"message", "code"} <= details.keys() and len(details) == 2:
        return {prefix or "non_field_errors": [{"code": str(details["code"]), "message": str(details["message"])}]}
    flat: dict[str, list[dict[str, str]]] = {}
    if isinstance(details, dict):
        for key, value in details.items():
            path = _child_path(prefix, key)
            for field, errors in _flatten(value, path).items():
                flat.setdefault(field, []).extend(errors)
    elif isinstance(details, list):
        leaves = all(isinstance(item, dict) and {"message", "code"} <= item.keys() for item in details)
        for index, item in enumerate(details):
            path = prefix if leaves else f"{prefix}[{index}]"
            for field, errors in _flatten(item, path).items():
                flat.setdefault(field, []).extend(errors)
    return flat


def _domain_error_response(exc: DomainError) -> Response:
    errors = {
        field: [{"code": str(error.code), "message": error.message} for error in field_errors]
        for field, field_errors in exc.by_field().items()
    }
    first = exc.errors[0]
    detail = first.message if len(exc.errors) == 1 else exc.default_message
    return Response({"detail": detail, "code": exc.default_code, "errors": errors}, status=exc.status_code)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return _domain_error_response(exc)
    exc = explain_not_authenticated(exc)
    if isinstance(exc, Http404):  # DRF converts these itself, after which they would miss the shaping below
        exc = exceptions.NotFound("Não encontrado.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "Dados inválidos; corrija os campos indicados. Nada foi gravado.",
            "code": "dados_invalidos",
            "errors": _flatten(exc.get_full_details()),
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else "erro",
            "errors": {},
        }
    if response.status_code == status.HTTP_400_BAD_REQUEST and isinstance(exc, exceptions.ParseError):
        response.data["detail"] = f"Corpo da requisição inválido: {exc.detail}"
    return response
