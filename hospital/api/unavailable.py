"""While the database is unreachable, every request answers 503 with `Retry-After`, in the one error shape.

A lost or refused PostgreSQL connection (server restarting, failover, network
cut) is not a bug of the request: the client should retry shortly, and the
web process must not need a restart once the server is back. Django raises
`OperationalError` / `InterfaceError` from the first query of the request (DRF
views let them through: `hospital.api.exceptions.exception_handler` leaves them alone);
this middleware turns them into::

    503  Retry-After: 5
    {"detail": "...", "code": "banco_indisponivel", "errors": {}}

The broken connection is discarded at the end of the request (Django closes a
connection that raised), and `CONN_HEALTH_CHECKS` makes the next request
check a reused connection before trusting it, so service resumes by itself.
Transient server-side refusals (deadlock, statement cancelled) are the same
kind of error and get the same answer: retrying is right for them too.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
CODE = "banco_indisponivel"


def unavailable_response() -> JsonResponse:
    """The 503 every request gets while the database cannot serve it."""
    response = JsonResponse(
        {
            "detail": (
                f"O banco de dados está indisponível no momento; tente de novo em {RETRY_AFTER_SECONDS} segundos."
            ),
            "code": CODE,
            "errors": {},
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 (error shape, `Retry-After`) when a view fails because the database is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
            return unavailable_response()
        return None
